"""One bad episode never takes others down (issue 16): vector-env workers survive hostile actions and a
dead worker is reported clearly; the runners (lock-step, async, sweep worker) end only the bad episode
and write ``summary.json``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import gymnasium as gym
import pytest
from fixture_domain import fixture_env_id  # noqa: F401 (a pytest fixture)

from coalm_env.errors import ConfigError
from coalm_env.rollout import MAX_EPISODES, RolloutConfig, run_rollouts
from coalm_env.rollout_async import run_rollouts_async
from coalm_env.types import StopReason, ToolCall
from coalm_env.vector import CoalmAsyncVectorEnv, WorkerDied, make_vec


def _shared(depth: int) -> list:
    x: list = []
    for _ in range(depth):
        x = [x, x]
    return x


#: the hostile actions the issue names (each used to kill all four workers of an AsyncVectorEnv)
HOSTILE = [
    "[find_restaurant(area=0x" + "f" * 3600 + ")]",
    [ToolCall("find_restaurant", {"area": 10**5000})],
    {"name": "", "arguments": {"area": 10**5000}},
    "[find_restaurant(area=1" + "0" * 309 + ")]",
    [ToolCall("find_restaurant", {"area": _shared(20)})],
    [{"name": "find_restaurant", "arguments": {}}] * 1_000,
    "x" * 200_000,
    None,
]


def test_async_vector_env_workers_survive_every_hostile_action() -> None:
    envs = make_vec("coalm/Travel-v0", 4)
    try:
        envs.reset(seed=[0, 1, 2, 3])
        calm = '<tool_call>{"name": "find_restaurant", "arguments": {"area": "centre"}}</tool_call>'
        for action in HOSTILE:
            obs, rewards, term, trunc, infos = envs.step([action, calm, calm, calm])
            assert all(isinstance(t, str) for t in obs["text"])
            assert all('"count"' in t for t in obs["text"][1:])  # the other sub-envs went on normally
        assert all(p.is_alive() for p in envs.processes)
        obs, *_ = envs.step([calm] * 4)  # and the hostile one still plays
        assert '"count"' in obs["text"][0]
    finally:
        envs.close()


def test_plain_gymnasium_async_vector_env_survives_them_too() -> None:
    envs = gym.vector.AsyncVectorEnv([lambda: gym.make("coalm/Travel-v0")] * 2, shared_memory=False)
    try:
        envs.reset(seed=[0, 1])
        for action in HOSTILE[:4]:
            envs.step([action, "Hello, how can I help?"])
        assert all(p.is_alive() for p in envs.processes)
    finally:
        envs.close()


class _Dies(gym.Wrapper):
    """A sub-env whose process dies on the action ``"die"`` (what a crash, kill or OOM looks like)."""

    def step(self, action):
        if action == "die":
            os._exit(7)
        return self.env.step(action)


def _dying() -> gym.Env:
    return _Dies(gym.make("coalm/Travel-v0"))


def test_a_worker_that_dies_is_reported_by_index_and_exit_code() -> None:
    envs = CoalmAsyncVectorEnv([_dying] * 2, shared_memory=False)
    envs.reset(seed=[0, 1])
    with pytest.raises(WorkerDied, match=r"during step: sub-env 0 \(pid \d+, exit code 7\)") as info:
        envs.step(["die", "Hello"])
    assert info.value.dead[0][0] == 0 and info.value.dead[0][2] == 7
    envs.close()  # tears the other worker down, raises nothing
    assert not any(p.is_alive() for p in envs.processes)


def test_make_vec_refuses_a_bad_count() -> None:
    with pytest.raises(ConfigError, match="num_envs"):
        make_vec("coalm/Travel-v0", 0)


# -- runners ------------------------------------------------------------------------------------------
class _Bad:
    """Oracle actions; for episode ``bad``: raises (``mode="raise"``) or sends a hostile action."""

    name = "bad"
    privileged = True

    def __init__(self, bad: int, mode: str):
        self.bad, self.mode = bad, mode

    def act(self, observations, infos):
        if self.mode == "raise" and any(i["episode"] == self.bad for i in infos):
            raise ValueError("policy bug in one episode")
        return [HOSTILE[0] if i["episode"] == self.bad and self.mode == "hostile" else i["oracle_action"]
                for i in infos]


def _config(env_id: str, out: Path, **kwargs) -> RolloutConfig:
    return RolloutConfig(env_id, kwargs.pop("policy", "oracle"), episodes=kwargs.pop("episodes", 5),
                         batch_size=kwargs.pop("batch_size", 5), out_dir=str(out), **kwargs)


@pytest.mark.parametrize("runner", ["lockstep", "async"])
def test_a_policy_raising_in_one_episode_errors_only_it(fixture_env_id: str, tmp_path: Path, runner: str) -> None:
    config = _config(fixture_env_id, tmp_path, policy=_Bad(2, "raise"))
    result = run_rollouts(config, progress=False) if runner == "lockstep" else run_rollouts_async(config)
    stops = [t.stop_reason for t in result.trajectories]
    assert stops[2] is StopReason.ERRORED and stops.count(StopReason.GOAL_MET) == 4
    assert "policy bug in one episode" in result.trajectories[2].errors[-1]["error"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["stop_reasons"] == {"errored": 1, "goal_met": 4} and summary["episodes"] == 5


def test_a_hostile_action_in_one_episode_is_an_observation(fixture_env_id: str, tmp_path: Path) -> None:
    result = run_rollouts(_config(fixture_env_id, tmp_path, policy=_Bad(1, "hostile")), progress=False)
    assert all(not t.errors for t in result.trajectories)  # no internal error anywhere
    assert result.trajectories[1].metrics["parse_errors"] >= 1 or result.trajectories[1].metrics["tool_errors"] >= 1
    assert json.loads((tmp_path / "summary.json").read_text())["episodes"] == 5


def _break_env(monkeypatch, method: str, bad_scenario: str) -> None:
    """Make the env's ``method`` raise for one scenario (a bug that slipped past the env's own guards)."""
    from coalm_env.env import ConversationEnv

    real = getattr(ConversationEnv, method)

    def broken(self, *args, **kwargs):
        scenario = kwargs.get("options", {}).get("scenario_id") if method == "begin_episode" else self.scenario.id
        if scenario == bad_scenario:
            raise RuntimeError(f"{method} bug")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ConversationEnv, method, broken)


@pytest.mark.parametrize("runner", ["lockstep", "async"])
@pytest.mark.parametrize("method", ["agent_step", "begin_episode", "apply_user_turn"])
def test_an_env_call_that_raises_ends_only_its_episode(fixture_env_id: str, tmp_path: Path, monkeypatch,
                                                       runner: str, method: str) -> None:
    _break_env(monkeypatch, method, "fixture-test-1")
    config = _config(fixture_env_id, tmp_path, episodes=6, batch_size=3, split="test")
    result = run_rollouts(config, progress=False) if runner == "lockstep" else run_rollouts_async(config)
    assert len(result.trajectories) == 6
    for traj in result.trajectories:
        if traj.scenario_id == "fixture-test-1":
            assert traj.stop_reason is StopReason.INTERNAL_ERROR and f"{method} bug" in traj.errors[-1]["error"]
            assert traj.errors[-1]["traceback"]
        else:
            assert traj.stop_reason is StopReason.GOAL_MET
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["episodes"] == 6 and summary["stop_reasons"]["internal_error"] >= 1
    lines = (tmp_path / "trajectories.jsonl").read_text().splitlines()
    assert [json.loads(line)["extra"]["episode"] for line in lines] == list(range(6))


def test_the_sweep_worker_ends_only_the_broken_episode(fixture_env_id: str, monkeypatch) -> None:
    from policies.oracle import OraclePolicy

    from coalm_env.resolve import make_env
    from coalm_env.sweep.worker import play_episode

    env = make_env(fixture_env_id, oracle_hints=True, split="test")
    for method in ("agent_step", "begin_episode"):
        with monkeypatch.context() as m:
            _break_env(m, method, "fixture-test-1")
            bad = play_episode(env, OraclePolicy(), True, "fixture-test-1", "test", 0)
            good = play_episode(env, OraclePolicy(), True, "fixture-test-0", "test", 0)
        assert bad.stop_reason is StopReason.INTERNAL_ERROR and f"{method} bug" in bad.errors[-1]["error"]
        assert bad.to_json()  # writable
        assert good.stop_reason is StopReason.GOAL_MET


def test_max_episode_s_ends_a_long_episode_errored(fixture_env_id: str, tmp_path: Path) -> None:
    import time

    class Slow:
        name, privileged = "slow", True

        def act(self, observations, infos):
            time.sleep(0.05)
            return [i["oracle_action"] for i in infos]

    result = run_rollouts(_config(fixture_env_id, tmp_path, policy=Slow(), episodes=2, batch_size=2,
                                  max_episode_s=0.01), progress=False)
    for traj in result.trajectories:
        assert traj.stop_reason is StopReason.ERRORED and traj.errors[-1]["kind"] == "timeout"
    with pytest.raises(ConfigError, match="max_episode_s"):
        RolloutConfig(fixture_env_id, max_episode_s=-1)


def test_a_huge_episode_count_is_refused_at_once(fixture_env_id: str) -> None:
    with pytest.raises(ConfigError, match="at most 1,000,000"):
        RolloutConfig(fixture_env_id, episodes=10_000_000_000)
    with pytest.raises(ConfigError, match="integer"):
        RolloutConfig(fixture_env_id, episodes=True)
    assert MAX_EPISODES == 1_000_000


def test_the_plan_of_a_long_run_is_lazy(fixture_env_id: str) -> None:
    from coalm_env.resolve import make_env
    from coalm_env.rollout import episode_plan

    domain = make_env(fixture_env_id).domain
    plan = episode_plan(domain, "train", MAX_EPISODES, seed=0)
    assert len(plan) == MAX_EPISODES and plan[-1]["split"] == "train"
    ids = sorted(s.id for s in domain.scenarios("train"))
    assert sorted(p["scenario_id"] for p in plan[:len(ids)]) == ids
