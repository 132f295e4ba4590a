"""Episodes as the transcript viewer shows them: plain JSON-able dicts, one event per user turn or agent step.

Every string here is model or user text; the page only ever puts it in the document as text
(``textContent``), never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coalm_env.parsing import parse_action
from coalm_env.report.load import Episode, GoalLookup
from coalm_env.scoring.core import dense_components
from coalm_env.types import StepRecord, Trajectory, json_safe

__all__ = ["episode_view", "episode_views", "outcome"]


def outcome(ep: Episode) -> str:
    """``success``, ``failure`` or ``errored``."""
    if ep.record.errored:
        return "errored"
    return "success" if ep.record.success > 0.5 else "failure"


def _thought(step: StepRecord) -> str | None:
    if not isinstance(step.action, str):
        return None
    try:
        return parse_action(step.action).thought
    except Exception:  # the env already recorded what the parser made of it
        return None


def _action_text(action: Any) -> str:
    if isinstance(action, str):
        return action
    return str(json_safe(action))


def _step_event(steps: Sequence[StepRecord], i: int) -> dict[str, Any]:
    step = steps[i]
    components = dense_components(steps[: i + 1], float("nan"), step.turn)
    components.pop("graph_credit")  # the credit is known only at the end (in the episode's metrics)
    return {
        "who": "agent", "t": step.t, "turn": step.turn, "kind": str(step.kind), "thought": _thought(step),
        "action": _action_text(step.action), "reply": step.reply, "parse_error": step.parse_error,
        "calls": [{"name": c.name, "arguments": json_safe(c.arguments)} for c in step.calls],
        "results": [{"ok": r.ok, "content": r.content()} for r in step.results],
        "reward": step.reward, "components": components,
    }


def _events(traj: Trajectory) -> list[dict[str, Any]]:
    opening = next((m.content for m in traj.messages if m.role == "user"), None)
    events: list[dict[str, Any]] = [{"who": "user", "text": opening}] if opening is not None else []
    for i, step in enumerate(traj.steps):
        events.append(_step_event(traj.steps, i))
        if step.user_reply is not None:
            events.append({"who": "user", "text": step.user_reply})
    return events


def _user_faults(traj: Trajectory) -> dict[str, float]:
    return {k: v for k, v in traj.metrics.items() if k.startswith("user_fault") and v}


def episode_view(index: int, ep: Episode, goals: GoalLookup) -> dict[str, Any]:
    """The viewer's record of one episode."""
    rec, traj = ep.record, ep.trajectory
    goal, source = goals.goal(traj)
    return {
        "index": index, "cell": rec.cell, "scenario_id": rec.scenario_id, "rep": rec.rep,
        "policy": rec.policy, "user": rec.user, "persona": rec.persona, "stop_reason": rec.stop_reason,
        "outcome": outcome(ep), "success": rec.success, "goal": goal, "goal_source": source,
        "metrics": dict(sorted(traj.metrics.items())), "user_faults": _user_faults(traj),
        "errors": [str(json_safe(e.get("error", e))) for e in traj.errors], "events": _events(traj),
    }


def episode_views(episodes: Sequence[Episode], goals: GoalLookup | None = None) -> list[dict[str, Any]]:
    """The viewer's records of all episodes (JSON-safe)."""
    goals = goals or GoalLookup()
    return [json_safe(episode_view(i, ep, goals)) for i, ep in enumerate(episodes)]
