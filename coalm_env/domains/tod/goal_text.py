"""A MultiWOZ-shaped goal as instructions for an LLM playing the user (``Domain.user_goal_text``).

The text says what the user wants (``info``), what it must find out (``reqt``), what to book
(``book``), its fallbacks (``fail_info``: constraints tried first that have no match, ``fail_book``: a
booking tried first that fails) and when the task is done. It is built from the goal only: no gold
calls, no database rows, no answers. MultiWOZ passes the crowd-worker instructions (``goal.message``)
as ``message``; they come first, with their HTML emphasis removed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["goal_text", "goal_values"]

_TAGS = re.compile(r"<[^>]+>")


def _pairs(slots: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in slots.items())


def _domain_lines(domain: str, g: Mapping[str, Any]) -> list[str]:
    lines = []
    if g.get("fail_info"):
        lines.append(f"- First ask for a {domain} with {_pairs(g['fail_info'])}. If there is none, "
                     f"change to: {_pairs(g.get('info') or {})}.")
    elif g.get("info"):
        lines.append(f"- You want a {domain} with {_pairs(g['info'])}.")
    if g.get("fail_book"):
        lines.append(f"- First try to book it with {_pairs(g['fail_book'])}. If that fails, "
                     f"book with: {_pairs(g.get('book') or {})}.")
    elif g.get("book"):
        lines.append(f"- Book it: {_pairs(g['book'])}. Get the reference number.")
    if g.get("reqt"):
        lines.append(f"- Find out its {', '.join(map(str, g['reqt']))}.")
    return lines


def goal_text(goal: Mapping[str, Mapping[str, Any]], message: Sequence[str] | str | None = None) -> str:
    """The user's instructions for ``goal`` (``{domain: {info, fail_info, reqt, book, fail_book}}``)."""
    parts = []
    if message:
        lines = [message] if isinstance(message, str) else list(message)
        parts.append("Task description:\n" + "\n".join(_TAGS.sub("", str(m)).strip() for m in lines))
    lines = [line for domain, g in goal.items() for line in _domain_lines(domain, g)]
    parts.append("Your goal, one item at a time:\n" + "\n".join(lines))
    parts.append("Give a value only when it is part of your goal; say it when asked or when you make the "
                 "request. The task is done when every item above is found out or booked.")
    return "\n\n".join(parts)


def goal_values(goal: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Every slot value the goal holds (lower-cased), for checking that a user invents none."""
    out = set()
    for g in goal.values():
        for part in ("info", "fail_info", "book", "fail_book"):
            out.update(str(v).lower() for v in (g.get(part) or {}).values())
    return out
