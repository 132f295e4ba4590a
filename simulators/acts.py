"""Dialogue acts of simulated users: what a user turn says, as data (``UserTurn.acts``).

An :class:`Act` is a list ``[intent, domain, slot, value]`` (so it compares equal to a plain list and
serialises as a JSON list) with read-only names for its fields; :class:`ActType` names the intents
(their meanings: :mod:`simulators.agenda.agenda`). Simulators share them; the core never reads them.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["Act", "ActType"]


class ActType(str, enum.Enum):
    """The intent of an act; its value is the stable string written into trajectories."""

    INFORM = "inform"
    BOOK = "book"
    REQALTS = "reqalts"
    REQUEST = "request"
    REQMORE = "reqmore"
    NEGATE = "negate"
    AFFIRM = "affirm"
    THANK = "thank"
    BYE = "bye"

    def __str__(self) -> str:
        return self.value


class Act(list):
    """``Act(ActType.INFORM, "restaurant", "food", "italian")``: one dialogue act, a 4-item list."""

    __slots__ = ()

    def __init__(self, intent: ActType | str, domain: str, slot: str = "", value: Any = ""):
        super().__init__((ActType(intent), domain, slot, value))

    @property
    def intent(self) -> ActType:
        return self[0]

    @property
    def domain(self) -> str:
        return self[1]

    @property
    def slot(self) -> str:
        return self[2]

    @property
    def value(self) -> Any:
        return self[3]

    def __repr__(self) -> str:
        return f"Act({self.intent.name}, {self.domain!r}, {self.slot!r}, {self.value!r})"
