"""An API-Bank dialogue's goal as instructions for an LLM user (``APIBankDomain.user_goal_text``).

The goal is the one the ``apibank_goal`` user pursues: the dialogue's own user turns, in order, each
with the facts it states (the values of gold-call arguments that occur in the turn's text, which the
user may say only when it makes that request or is asked). No API names, calls or results.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["apibank_goal_text"]


def apibank_goal_text(user_turns: Sequence[str], facts: Sequence[Sequence[str]]) -> str:
    lines = []
    for i, turn in enumerate(user_turns, 1):
        known = f" (facts in it: {', '.join(facts[i - 1])})" if i <= len(facts) and facts[i - 1] else ""
        lines.append(f"{i}. {turn}{known}")
    return ("Your requests, in order (say them in your own words, keep every name, date, number and "
            "credential exactly; give a credential or detail only when the assistant needs it):\n"
            + "\n".join(lines) + "\nThe task is done when the assistant has done every request.")
