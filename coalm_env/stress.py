"""What the env records of stress personas (``simulators/personas.py``) and goal changes.

Persona wrappers mark their turns in ``UserTurn.meta["persona"]`` (``{persona name: mark}``); the env
keeps those marks per user turn in ``trajectory.extra["persona_marks"]`` and the persona specs of the
user chain (a wrapper's ``personas`` attribute) in ``trajectory.extra["personas"]``, so every result
can be broken down by persona. A user that changes its goal mid-dialogue puts the changed
:class:`~coalm_env.types.Scenario` in ``UserTurn.meta["scenario"]``; the env scores against it from
then on and records the change in ``trajectory.extra["goal_changes"]`` (turn, step, what changed, the
new goal and gold), which re-scoring reads back (:func:`changed_scenario`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from coalm_env.types import Gold, Scenario, Trajectory, UserTurn, json_safe

__all__ = ["persona_specs", "record_user_meta", "changed_scenario"]


def persona_specs(user: Any) -> list[str]:
    """The persona specs of a user chain, innermost first (``[]`` for a plain user)."""
    specs = getattr(user, "personas", None)
    return [str(s) for s in specs] if isinstance(specs, (list, tuple)) else []


def record_user_meta(trajectory: Trajectory, turn: UserTurn, turn_index: int) -> Scenario | None:
    """Record ``turn``'s persona marks; returns the changed scenario when the turn changes the goal."""
    meta = turn.meta if isinstance(turn.meta, dict) else {}
    marks = meta.get("persona")
    if isinstance(marks, dict) and marks:
        trajectory.extra.setdefault("persona_marks", []).append({"turn": turn_index, "marks": json_safe(marks)})
    scenario = meta.get("scenario")
    if not isinstance(scenario, Scenario):
        return None
    trajectory.extra.setdefault("goal_changes", []).append({
        "turn": turn_index, "step": len(trajectory.steps), "change": json_safe(scenario.meta.get("goal_change")),
        "goal": json_safe(scenario.goal), "gold": scenario.gold.to_dict(),
    })
    return scenario


def changed_scenario(scenario: Scenario, trajectory: Trajectory) -> Scenario:
    """``scenario`` as the episode's last recorded goal change left it (itself when there was none)."""
    changes = trajectory.extra.get("goal_changes") or []
    if not changes:
        return scenario
    last = changes[-1]
    meta = {**scenario.meta, "goal_change": last.get("change")}
    return dataclasses.replace(scenario, goal=last["goal"], gold=Gold.from_dict(last["gold"]), meta=meta)
