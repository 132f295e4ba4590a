"""The procedural travel domain (``coalm/Travel-v0``)."""

from coalm_env.domains.travel.domain import TravelDomain

__all__ = ["TravelDomain"]
