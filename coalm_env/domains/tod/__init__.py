"""Shared layer for task-oriented dialogue domains (Travel, MultiWOZ): slot schemas, goals, the
entity database with MultiWOZ matching rules, and the knowledge handed to users and rule policies."""

from coalm_env.domains.tod.schema import SCHEMAS, DomainSchema, goal_domains

__all__ = ["SCHEMAS", "DomainSchema", "goal_domains"]
