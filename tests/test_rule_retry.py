"""The rule policy retries a call that hit an injected fault (transient_error, timeout, rate_limited)."""

from __future__ import annotations

from coalm_env.backend.faults import is_fault
from coalm_env.rollout import RolloutConfig, run_rollouts
from policies.rule import MAX_RETRIES


def _run(faults, episodes):
    return run_rollouts(RolloutConfig("coalm/Travel-v0", "rule", user="agenda", episodes=episodes, faults=faults),
                        progress=False)


def test_every_call_faulting_is_tried_three_times_then_reported():
    t = _run("timeout=1.0", 1).trajectories[0]
    calls = [s for s in t.steps if s.calls]
    assert calls and all(is_fault(r) for s in calls for r in s.results)
    first = (calls[0].calls[0].name, calls[0].calls[0].arguments)
    run = t.steps[:MAX_RETRIES + 2]
    assert [(s.calls[0].name, s.calls[0].arguments) if s.calls else None
            for s in run[:MAX_RETRIES + 1]] == [first] * (MAX_RETRIES + 1)
    assert not run[MAX_RETRIES + 1].calls  # then it tells the user


def test_transient_faults_are_retried_and_recovered():
    result = _run("transient=0.2,rate_limit=0.05", 20)
    retried = 0
    for t in result.trajectories:
        streak = 0
        for step, after in zip(t.steps, t.steps[1:]):
            if not (step.calls and is_fault(step.results[0])):
                streak = 0
                continue
            streak += 1
            same = bool(after.calls) and (after.calls[0].name, after.calls[0].arguments) == (
                step.calls[0].name, step.calls[0].arguments)
            assert same == (streak <= MAX_RETRIES)  # the same call again, MAX_RETRIES times at most
            retried += same
    assert retried >= 10
    assert sum(t.metrics["faults_recovered"] for t in result.trajectories) >= 10
    assert sum(t.metrics["success"] for t in result.trajectories) >= 17
