"""The async runner: the lock-step runner's scenario order and trajectories (byte-identical
trajectories.jsonl with deterministic generation), LLM policies through ``aact``/``agenerate``, sync
policies and users, errors, and ``coalm-env rollout --runner async``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import coalm_env  # noqa: F401 (registers the ids)
from coalm_env.cli import main
from coalm_env.errors import LLMError
from coalm_env.llm import ScriptedGenerator
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.rollout_async import run_rollouts_async
from policies.react import ReactPolicy

TRAVEL = "coalm/Travel-v0"
FAST = {"max_turns": 3, "max_steps_per_turn": 2}


def _by_prompt(messages, tools, params, seed):
    """Deterministic in the request alone (not in call order): a tool call first, then a reply."""
    prompt = messages[-1]["content"]
    if "Observation:" not in prompt.rsplit("User:", 1)[-1]:
        return "Thought: look\nAction: find_train(departure='ely')"
    return f"Response: there are trains ({seed % 97})."


def _both(tmp_path: Path, policy_factory, user="agenda", episodes=6, batch=4, concurrency=3):
    a = run_rollouts(RolloutConfig(TRAVEL, policy_factory(), user, episodes=episodes, batch_size=batch,
                                   env_options=FAST, out_dir=str(tmp_path / "lock")), progress=False)
    b = run_rollouts_async(RolloutConfig(TRAVEL, policy_factory(), user, episodes=episodes, batch_size=batch,
                                         env_options=FAST, out_dir=str(tmp_path / "async")), concurrency=concurrency)
    return a, b


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_llm_policy_trajectories_are_byte_identical(tmp_path: Path, concurrency: int):
    a, b = _both(tmp_path, lambda: ReactPolicy(ScriptedGenerator(_by_prompt)), concurrency=concurrency)
    lock = (tmp_path / "lock" / "trajectories.jsonl").read_bytes()
    assert lock == (tmp_path / "async" / "trajectories.jsonl").read_bytes()
    assert [t.scenario_id for t in a.trajectories] == [t.scenario_id for t in b.trajectories]
    assert any(s.kind == "tool_calls" for t in b.trajectories for s in t.steps)
    assert json.loads((tmp_path / "lock" / "summary.json").read_text()) == \
        json.loads((tmp_path / "async" / "summary.json").read_text())


@pytest.mark.parametrize("policy", ["rule", "oracle"])  # oracle: privileged (info["scenario"])
def test_sync_policy_and_user(tmp_path: Path, policy: str):
    a, b = _both(tmp_path, lambda: policy, episodes=5)
    assert [t.to_json() for t in a.trajectories] == [t.to_json() for t in b.trajectories]
    assert b.summary["episodes"] == 5


def test_llm_error_ends_the_episode_errored():
    policy = ReactPolicy(ScriptedGenerator([LLMError("server down")]))
    result = run_rollouts_async(RolloutConfig(TRAVEL, policy, "agenda", episodes=2, env_options=FAST))
    for traj in result.trajectories:
        assert traj.stop_reason.value == "errored" and traj.errors[0]["kind"] == "llm"


def test_cli_runner_async(tmp_path: Path):
    out = {}
    for runner in ("lockstep", "async"):
        argv = ["rollout", TRAVEL, "--policy", "rule", "--user", "agenda", "--episodes", "4", "--no-progress",
                "--runner", runner, "--concurrency", "2", "--out", str(tmp_path / runner)]
        assert main(argv) == 0
        out[runner] = (tmp_path / runner / "trajectories.jsonl").read_bytes()
    assert out["lockstep"] == out["async"]
