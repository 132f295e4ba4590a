"""Backend fault injection (coalm_env/backend/faults.py): seeded, structured, recovered, and kept out of scoring."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import coalm_env  # noqa: F401
from coalm_env.backend.faults import FAULT_TYPES, FaultyBackend, fault_metrics, is_fault, parse_faults
from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.rescore import rescore_all
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import ToolCall


def _run(episodes=20, out=None, faults="transient=0.2", policy="oracle", user="agenda"):
    return run_rollouts(RolloutConfig("coalm/Travel-v0", policy, user=user, episodes=episodes, out_dir=out,
                                      faults=faults), progress=False)


def test_parse_faults_checks_kinds_and_rates():
    assert parse_faults("transient=0.05,timeout=0.02,rate_limit=0.01") == {
        "transient": 0.05, "timeout": 0.02, "rate_limit": 0.01}
    assert parse_faults(None) == {} and parse_faults({"timeout": 0.1}) == {"timeout": 0.1}
    with pytest.raises(UnknownNameError):
        parse_faults({"transcient": 0.1})
    with pytest.raises(ConfigError):
        parse_faults("transient=0.7,timeout=0.5")
    with pytest.raises(ConfigError):
        gym.make("coalm/Travel-v0", faults={"transient": 2})


def test_a_fault_fails_before_executing_and_stays_out_of_history():
    env = gym.make("coalm/Travel-v0", faults={"rate_limit": 1.0})
    env.reset(seed=0)
    backend = env.unwrapped.backend
    assert isinstance(backend, FaultyBackend)
    result = backend.call(ToolCall("find_restaurant", {"area": "centre"}))
    assert is_fault(result) and result.error["type"] == "rate_limited" and result.error["details"]["retry_after"] >= 1
    assert backend.history == [] and len(backend.injected) == 1


@pytest.mark.parametrize("faults", ["transient=0.3", "timeout=0.3", "rate_limit=0.3",
                                    "transient=0.05,timeout=0.02,rate_limit=0.01"])
def test_faults_are_deterministic_for_a_seed_and_recorded(tmp_path, faults):
    a, b = (_run(10, tmp_path / n, faults) for n in "ab")
    assert (tmp_path / "a" / "trajectories.jsonl").read_bytes() == (tmp_path / "b" / "trajectories.jsonl").read_bytes()
    assert all(t.extra["faults"] == parse_faults(faults) for t in a.trajectories)


def test_the_oracle_retries_and_recovers_every_fault():
    result = _run(40, faults="transient=0.2")
    m = result.summary["metrics"]
    assert m["faults_injected"] > 0.3 and m["fault_recovery"] == 1.0
    assert result.summary["success_rate"] == 1.0
    types = {r.error["type"] for t in result.trajectories for s in t.steps for r in s.results if is_fault(r)}
    assert types == {"transient_error"}


def test_faults_do_not_cost_graph_credit_and_rescoring_agrees():
    clean, faulty = _run(15, faults=None), _run(15, faults="timeout=0.25")
    assert [t.metrics["graph_credit"] for t in clean.trajectories] == [t.metrics["graph_credit"] for t in faulty.trajectories]
    _rescored, report = rescore_all(faulty.trajectories)
    assert report.changed == 0 and report.replay_mismatches == 0


def test_fault_metrics_counts_recovery_by_same_name_and_arguments():
    from coalm_env.types import StepRecord, ToolResult

    fault = ToolResult.failure("timeout", "x", retry_after=1)
    a, b = ToolCall("f", {"x": 1}), ToolCall("f", {"x": 2})
    steps = [StepRecord(0, 1, "", "tool_calls", calls=[a, b], results=[fault, fault]),
             StepRecord(1, 1, "", "tool_calls", calls=[a], results=[ToolResult.success(1)])]
    assert fault_metrics(steps) == {"faults_injected": 2.0, "faults_recovered": 1.0, "fault_recovery": 0.5}
    assert FAULT_TYPES == {"transient_error", "timeout", "rate_limited"}
