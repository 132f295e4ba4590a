"""MultiWOZ 2.4 (``coalm/MultiWOZ-v0``): real goals, databases, gold dialogues and states, and its scorers
(:mod:`~coalm_env.domains.multiwoz.scoring`, :mod:`~coalm_env.domains.multiwoz.jga`)."""

from __future__ import annotations

from coalm_env.domains.multiwoz.domain import MultiWOZDomain

__all__ = ["MultiWOZDomain"]
