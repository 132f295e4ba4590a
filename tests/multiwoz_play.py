"""Scripted MultiWOZ episodes for scorer tests: ToolCalls and reply strings played on a fresh backend."""

from __future__ import annotations

import numpy as np

from coalm_env.types import Message, StepRecord, StopReason, ToolCall, Trajectory


def play(mwz, scenario, script, users=()):
    """Run ``script`` (ToolCalls and reply strings) on a fresh backend after the ``users`` turns; return
    ``(metrics, backend)`` of the scored trajectory."""
    backend = mwz.build_backend(scenario, np.random.default_rng(0))
    traj = Trajectory(env_id="coalm/MultiWOZ-v0", scenario_id=scenario.id, domain="multiwoz", split="test",
                      messages=[Message("system", "x")] + [Message("user", u) for u in users],
                      stop_reason=StopReason.GOAL_MET)
    for item in script:
        t = len(traj.steps)
        if isinstance(item, ToolCall):
            result = backend.call(item)
            traj.steps.append(StepRecord(t, 0, None, "tool_calls", calls=[item], results=[result]))
            traj.messages += [Message("assistant", tool_calls=[item]), Message("tool", result.content(), name=item.name)]
        else:
            traj.steps.append(StepRecord(t, 0, item, "reply", reply=item))
            traj.messages.append(Message("assistant", item))
    return mwz.score(traj, scenario, backend), backend
