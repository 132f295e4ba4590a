"""A BFCL multi-turn entry's goal as instructions for an LLM user (``BFCLDomain.user_goal_text``).

The user restates each turn's question in its own words, keeping every fact (file names, paths,
numbers, names), one turn after each answer of the assistant. No ground-truth calls.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["bfcl_goal_text"]


def bfcl_goal_text(user_turns: Sequence[str]) -> str:
    lines = "\n".join(f"{i}. {t}" for i, t in enumerate(user_turns, 1))
    return ("Your requests, one per turn, in this order. Restate each in your own words but keep every fact "
            "exactly (file and folder names, paths, numbers, names, ids); ask the next one after the "
            f"assistant has answered the previous one:\n{lines}\n"
            "The task is done when the assistant has handled the last request.")
