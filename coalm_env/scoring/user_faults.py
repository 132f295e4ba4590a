"""Per-episode user-fault metrics, from what a user simulator reported and how the episode ended.

A user simulator that checks itself (the LLM user) puts its findings in the last ``UserTurn.meta
["metrics"]``; the env keeps them in ``trajectory.extra["user_metrics"]`` and
:func:`user_fault_metrics` turns them into the flags below. A premature stop needs the domain's
verdict, so it is decided here, from the final ``success``: the user ended the dialogue as done
(``user_ended_dialogue`` = 1: goal met or goodbye, not giving up) while the task was not achieved.
Statistics can report results with and without ``user_fault`` episodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["USER_FAULT_METRICS", "user_fault_metrics"]

USER_FAULT_METRICS: dict[str, str] = {
    "user_fault_role_flip": "the simulated user talked like the assistant (offered help, made bookings, wrote tool calls)",
    "user_fault_leak": "the simulated user gave values that are not in its goal (ontology values the goal lacks, invented facts)",
    "user_fault_repeat": "the simulated user repeated one of its own turns",
    "user_premature_stop": "the simulated user ended the dialogue as done before its goal was met (domain verdict)",
    "user_fault": "any of the user faults above",
}
_REPORTED = ("user_fault_role_flip", "user_fault_leak", "user_fault_repeat")


def user_fault_metrics(reported: Mapping[str, Any] | None, success: float) -> dict[str, float]:
    """The ``user_*`` flags (0/1) of one episode; empty when the user reported nothing."""
    if not reported:
        return {}
    out = {k: float(float(reported.get(k, 0) or 0) > 0) for k in _REPORTED}
    ended = float(reported.get("user_ended_dialogue", 0) or 0) > 0
    out["user_premature_stop"] = float(ended and float(success) < 1.0)
    out["user_fault"] = max(out.values())
    return out
