"""The batched runner: deterministic for a seed whatever the batch size, batched calls, robust to plug-in failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_domain import EchoPolicy, FixtureUser, fixture_env_id  # noqa: F401 (a pytest fixture)

from coalm_env.errors import ConfigError, LLMError, UnknownNameError
from coalm_env.rescore import rescore_all
from coalm_env.rollout import RolloutConfig, episode_plan, episode_seed, read_trajectories, run_rollouts
from coalm_env.types import StopReason


def _run(env_id: str, tmp: Path | None = None, **kwargs):
    kwargs.setdefault("episodes", 7)
    progress = kwargs.pop("progress", False)
    config = RolloutConfig(env_id, kwargs.pop("policy", "oracle"), out_dir=tmp, **kwargs)
    return run_rollouts(config, progress=progress)


def test_same_seed_same_bytes_whatever_the_batch_size(fixture_env_id: str, tmp_path: Path) -> None:
    files = []
    for batch in (1, 3, 16):
        out = tmp_path / f"b{batch}"
        _run(fixture_env_id, out, seed=11, batch_size=batch)
        files.append(((out / "trajectories.jsonl").read_bytes(), (out / "summary.json").read_bytes()))
    assert files[0] == files[1] == files[2]
    _run(fixture_env_id, tmp_path / "other", seed=12, batch_size=3)
    assert (tmp_path / "other" / "trajectories.jsonl").read_bytes() != files[0][0]


def test_outputs(fixture_env_id: str, tmp_path: Path) -> None:
    result = _run(fixture_env_id, tmp_path, seed=3, batch_size=2)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary == json.loads(json.dumps(result.summary))
    assert summary["success_rate"] == 1.0 and summary["stop_reasons"] == {"goal_met": 7}
    assert {"env_id", "episodes", "metrics", "policy", "user", "seed", "split", "options", "version"} <= set(summary)
    assert "wall_s" not in json.dumps(summary) and json.loads((tmp_path / "timing.json").read_text())["wall_s"] > 0
    config = json.loads((tmp_path / "config.json").read_text())
    assert [config[k] for k in ("env_id", "policy", "seed", "batch_size")] == [fixture_env_id, "oracle", 3, 2]
    trajs = read_trajectories(tmp_path)
    assert [t.extra["episode"] for t in trajs] == list(range(7))
    assert all(t.policy == "oracle" and t.user == "fixture" for t in trajs)
    assert [t.seeds["reset"] for t in trajs] == [episode_seed(3, i) for i in range(7)]


def test_plan_covers_the_split_before_repeating(fixture_env_id: str) -> None:
    from coalm_env.resolve import domain_for

    domain = domain_for(fixture_env_id)
    plan = [p["scenario_id"] for p in episode_plan(domain, "train", 8, seed=0)]
    ids = sorted(s.id for s in domain.scenarios("train"))
    assert sorted(plan[:4]) == ids and sorted(plan[4:]) == ids
    assert plan != [p["scenario_id"] for p in episode_plan(domain, "train", 8, seed=1)]
    result = _run(fixture_env_id, scenario_ids=["fixture-val-1", "fixture-test-0"], episodes=3, batch_size=3)
    assert [t.scenario_id for t in result.trajectories] == ["fixture-val-1", "fixture-test-0", "fixture-val-1"]


class _Recorder:
    """Wraps a policy/user and records the batch size of every call."""

    def __init__(self, inner, privileged: bool = False):
        self.inner, self.name, self.calls = inner, inner.name, []
        self.privileged = privileged

    def act(self, observations, infos):
        self.calls.append(("act", len(observations), infos))
        return self.inner.act(observations, infos)

    def begin(self, requests):
        self.calls.append(("begin", len(requests)))
        return self.inner.begin(requests)

    def respond(self, requests):
        self.calls.append(("respond", len(requests)))
        return self.inner.respond(requests)


def test_one_policy_call_and_one_user_call_per_tick(fixture_env_id: str) -> None:
    policy, user = _Recorder(EchoPolicy()), _Recorder(FixtureUser(patience=1))
    result = _run(fixture_env_id, policy=policy, user=user, episodes=5, batch_size=5)
    assert [c[:2] for c in user.calls] == [("begin", 5), ("respond", 5), ("respond", 5)]
    assert [c[1] for c in policy.calls] == [5, 5]
    assert all("scenario" not in i and "oracle_action" not in i for i in policy.calls[0][2])
    assert result.summary["stop_reasons"] == {"user_gave_up": 5}


def test_privileged_policy_gets_hints_and_the_scenario(fixture_env_id: str) -> None:
    from policies.oracle import OraclePolicy

    policy = _Recorder(OraclePolicy(), privileged=True)
    _run(fixture_env_id, policy=policy, episodes=2, batch_size=2)
    info = policy.calls[0][2][0]
    assert info["scenario"].id == info["scenario_id"] and info["oracle_action"].startswith("<tool_call>")


class _Flaky:
    """Oracle actions, but raises ``exc`` whenever episode ``bad`` is among those asked."""

    name = "flaky"
    privileged = True

    def __init__(self, bad: int, exc: Exception):
        self.bad, self.exc, self.calls = bad, exc, []

    def act(self, observations, infos):
        self.calls.append([i["episode"] for i in infos])
        if any(i["episode"] == self.bad for i in infos):
            raise self.exc
        return [i["oracle_action"] for i in infos]


@pytest.mark.parametrize(("exc", "internal", "errored"), [(RuntimeError("boom"), 1.0, 1), (LLMError("timeout"), 0.0, 2)])
def test_a_raising_policy_errors_its_episode_not_the_run(fixture_env_id: str, exc: Exception, internal: float,
                                                         errored: int) -> None:
    """A plain exception: the batch is asked again one episode at a time, so only the episode that raises
    ends errored; an LLMError (a backend down after its retries) ends its whole batch."""
    policy = _Flaky(1, exc)
    result = _run(fixture_env_id, policy=policy, episodes=4, batch_size=2)
    stops = [t.stop_reason for t in result.trajectories]
    assert stops.count(StopReason.ERRORED) == errored and stops.count(StopReason.GOAL_MET) == 4 - errored
    assert stops[1] is StopReason.ERRORED
    errored_trajs = [t for t in result.trajectories if t.stop_reason is StopReason.ERRORED]
    assert all(t.errors[-1]["where"] == "policy" and repr(exc) == t.errors[-1]["error"] for t in errored_trajs)
    assert all(t.metrics["success"] == 0.0 and t.metrics["internal_errors"] == internal for t in errored_trajs)
    assert result.summary["stop_reasons"] == {"errored": errored, "goal_met": 4 - errored}
    if errored == 1:
        assert [0] in policy.calls and [1] in policy.calls  # the failed batch, asked again alone


def test_a_policy_returning_the_wrong_count_errors_its_batch(fixture_env_id: str) -> None:
    class Short:
        name = "short"

        def act(self, observations, infos):
            return ["hi"]

    result = _run(fixture_env_id, policy=Short(), episodes=3, batch_size=3)
    assert result.summary["stop_reasons"] == {"errored": 3}
    assert "returned 1 actions for 3 episodes" in result.trajectories[0].errors[-1]["error"]


@pytest.mark.parametrize(("exc", "stop"), [(ValueError("bug"), "internal_error"), (LLMError("rate limit"), "errored")])
def test_a_raising_user_is_recorded_per_episode(fixture_env_id: str, exc: Exception, stop: str) -> None:
    class Broken(FixtureUser):
        def respond(self, requests):
            raise exc

    result = _run(fixture_env_id, user=Broken(), episodes=3, batch_size=2)
    assert result.summary["stop_reasons"] == {stop: 3}
    assert all(t.errors and t.metrics["success"] == 0.0 for t in result.trajectories)


def test_bad_configuration_fails_before_running(fixture_env_id: str) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'train'"):
        _run(fixture_env_id, split="trian")
    with pytest.raises(UnknownNameError, match="did you mean 'db_size'"):
        _run(fixture_env_id, env_options={"db_sise": 3})
    with pytest.raises(ConfigError, match="set by the runner"):
        _run(fixture_env_id, env_options={"user": "agenda"})
    with pytest.raises(UnknownNameError, match="scenario"):
        _run(fixture_env_id, scenario_ids=["nope"])
    with pytest.raises(ConfigError):
        _run(fixture_env_id, episodes=0)


def test_env_options_reach_env_and_domain(fixture_env_id: str) -> None:
    result = _run(fixture_env_id, policy=EchoPolicy(), env_options={"max_turns": 2, "db_size": 3}, episodes=2)
    assert result.summary["stop_reasons"] == {"max_turns": 2}
    assert all(t.options["db_size"] == 3 for t in result.trajectories)


def test_rescoring_replays_the_backend(fixture_env_id: str, tmp_path: Path) -> None:
    _run(fixture_env_id, tmp_path, seed=5, episodes=4, env_options={"db_size": 2})
    trajs = read_trajectories(tmp_path)
    again, report = rescore_all(trajs)
    assert (report.rescored, report.kept, report.changed, report.replay_mismatches) == (4, 0, 0, 0)
    assert [t.metrics for t in again] == [t.metrics for t in trajs]
    tampered = trajs[0]
    buy = next(s for s in tampered.steps if s.calls and s.calls[0].name == "buy_item")
    buy.calls, buy.results = [], []  # as if the booking had never been made
    (scored,), report = rescore_all([tampered])
    assert scored.metrics["success"] == 0.0 and scored.metrics["book"] == 0.0 and report.changed == 1
    assert rescore_all([trajs[1]])[1].replay_mismatches == 0
    trajs[1].seeds["backend"] += 1  # another order-id prefix: the replayed booking differs from the record
    assert rescore_all([trajs[1]])[1].replay_mismatches == 1
