"""User-fault checks of one simulated-user turn (role flip, leaked values, repetition), no model needed.

Heuristics with a recorded purpose: they flag episodes for statistics to report with and without
(``user_fault``), they never steer the dialogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from coalm_env.parsing import parse_action

__all__ = ["role_flip", "leaked_values", "is_repeat", "normalise"]

_ASSISTANT = re.compile("|".join([
    r"\bhow (?:can|may) i (?:help|assist)\b", r"\bi(?: have|'ve)? (?:booked|reserved|found|located)\b",
    r"\byour (?:booking|reservation) (?:is|has been) (?:confirmed|made|successful)\b",
    r"\b(?:the |your )?reference (?:number )?is\b", r"\bwould you like me to\b", r"\bshall i (?:book|reserve)\b",
    r"\bis there anything else i can\b", r"<tool_call>", r"^\s*(?:Action|Thought|API-Request)\s*:",
]), re.IGNORECASE | re.MULTILINE)
_NUMBER = re.compile(r"\b\d[\d:./-]*\d\b")


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def role_flip(text: str) -> bool:
    """The user talks like the assistant: offers help, reports bookings, or writes tool calls."""
    return bool(_ASSISTANT.search(text)) or parse_action(text).kind == "tool_calls"


def is_repeat(text: str, earlier: Sequence[str]) -> bool:
    """The turn says again what one of the user's earlier turns said."""
    key = normalise(text)
    return bool(key) and any(key == normalise(t) for t in earlier)


def _words_in(value: str, text: str) -> bool:
    return value in text and re.search(rf"(?<![a-z0-9]){re.escape(value)}(?![a-z0-9])", text) is not None


def leaked_values(text: str, allowed: str, lexicon: Any = None) -> list[str]:
    """Values the user said that its goal does not hold and nobody said before (``allowed``: the goal
    text and the conversation so far, lower-cased). With a lexicon (``{domain: {slot: [values]}}``,
    task-oriented domains) the candidates are its values; without one, numbers (ids, dates, amounts)."""
    low = text.lower()
    if lexicon:
        candidates: Iterable[str] = {str(v).lower() for slots in lexicon.values() for vals in slots.values()
                                     for v in vals}
        candidates = [v for v in candidates if len(v) >= 4 and not v.isdigit() and _words_in(v, low)]
    else:
        candidates = _NUMBER.findall(low)
    return sorted(v for v in candidates if v not in allowed)
