"""MultiWOZ in the env: the id, the API graph, the oracle script, gold replay (JGA 100%), and the users."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from conftest import need_data
from gymnasium.utils.env_checker import check_env

from coalm_env.backend.plan import resolve_call
from coalm_env.domains import get_domain
from coalm_env.domains.multiwoz.replay import gold_replay_action
from coalm_env.env import ConversationEnv
from coalm_env.errors import ConfigError
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import StopReason, ToolCall, UserTurn

pytestmark = pytest.mark.data

# a taxi between two venues, a fail_info, a fail_book on a hotel, a train booking, a single-domain taxi
SAMPLE = ("MUL2525", "MUL0496", "MUL0671", "PMUL1966", "SNG0073", "PMUL4648")


class OkUser:
    """Says "ok" until the oracle's script is surely done, then ends satisfied."""

    name = "ok"

    def begin(self, requests):
        return [UserTurn(text="Hello, I need some help.", state=0) for _ in requests]

    def respond(self, requests):
        return [UserTurn(text="ok", state=r.state + 1, stop=StopReason.GOAL_MET if r.state >= 13 else None)
                for r in requests]


@pytest.fixture(scope="module")
def mwz():
    need_data("multiwoz24")
    return get_domain("multiwoz")


def _run(env, scenario, act):
    obs, info = env.reset(seed=0, options={"scenario": scenario})
    done = False
    while not done:
        obs, _r, term, trunc, info = env.step(act(info))
        done = term or trunc
    return info["metrics"]


def test_check_env(mwz):
    env = gym.make("coalm/MultiWOZ-v0", user="replay")
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert info["scenario_id"].startswith("multiwoz-test-") and obs["messages"][1]["role"] == "user"


def test_api_graph_edges_and_gold_plans_execute(mwz):
    graph = mwz.api_graph()
    assert ("results[].trainID", "trainID") in graph.graph.edges["find_train", "book_train"]["fields"]
    assert graph.graph.has_edge("find_attraction", "book_taxi") and "update_state" in graph
    for sid in SAMPLE:
        s = mwz.get_scenario(sid)
        backend = mwz.build_backend(s, np.random.default_rng(0))
        results = []
        for step in s.gold.calls:
            result = backend.call(resolve_call(step, results))
            assert result.ok, (sid, step, result.error)
            results.append(result.value)
    r = mwz.build_backend(mwz.get_scenario("SNG0073"), np.random.default_rng(0)).call(
        ToolCall("find_attraction", {"name": "Saint John 's College"}))
    assert r.value["count"] == 1 and r.value["results"][0]["name"] == "saint john's college"


def test_oracle_script_succeeds_with_full_graph_credit(mwz):
    env = ConversationEnv(mwz, user=OkUser(), oracle_hints=True, max_turns=30)
    for sid in SAMPLE:
        metrics = _run(env, mwz.get_scenario(sid), lambda info: info["oracle_action"])
        assert metrics["success"] == 1.0 and metrics["task_success"] == 1.0, (sid, metrics)
        assert metrics["graph_credit"] == 1.0 and metrics["internal_errors"] == 0
        assert metrics.get("book_rate", 1.0) == 1.0 and "jga" not in metrics  # "ok" is not the gold user


def test_gold_replay_reports_the_gold_states(mwz):
    env = ConversationEnv(mwz, user="replay", max_turns=40)
    for sid in SAMPLE:
        s = mwz.get_scenario(sid)
        metrics = _run(env, s, lambda info: gold_replay_action(env.scenario, env.trajectory.messages))
        assert metrics["jga"] == 1.0 and metrics["jga_turns"] == len(s.user_turns), (sid, metrics)
        assert env.trajectory.stop_reason == StopReason.USER_ENDED
        if sid == "PMUL1966":  # the gold references of its bookings are replaced by this backend's
            gold = {e["reference"] for turn in s.meta["gold_bookings"] for es in turn.values() for e in es}
            ours = {r.value["reference"] for _c, r in env.backend.history if r.ok and "reference" in r.value}
            text = " ".join(m.content for m in env.trajectory.messages if m.role == "assistant")
            assert len(ours) == 2 and all(r in text for r in ours) and not any(g in text for g in gold)


def test_gold_replay_policy_and_a_lazy_agent_through_the_runner(mwz):
    ids = [f"multiwoz-test-{sid}" for sid in SAMPLE[:3]]
    res = run_rollouts(RolloutConfig("coalm/MultiWOZ-v0", "gold_replay", user="replay", episodes=3, scenario_ids=ids), progress=False)
    assert [t.metrics["jga"] for t in res.trajectories] == [1.0, 1.0, 1.0]
    assert all(t.metrics["inform"] == 1.0 for t in res.trajectories)
    lazy = ConversationEnv(mwz, user="replay", max_turns=40)
    metrics = _run(lazy, mwz.get_scenario("MUL2525"), lambda info: "Sure.")
    assert metrics["jga"] < 1.0 and metrics["inform"] == 0.0


def test_the_env_hands_the_gold_replay_hint_to_privileged_policies(mwz):
    from policies.gold_replay import GoldReplayPolicy

    env = ConversationEnv(mwz, user="replay", oracle_hints=True, max_turns=40)
    _obs, info = env.reset(options={"scenario": mwz.get_scenario("PMUL1966")})
    policy = GoldReplayPolicy()
    while not isinstance(info["oracle_hints"]["gold_replay"], list):  # a turn with gold calls
        assert info["oracle_hints"]["gold_replay"] == gold_replay_action(env.scenario, env.trajectory.messages)
        _obs, _r, _term, _trunc, info = env.step(policy.act([{}], [info])[0])
    hint = info["oracle_hints"]["gold_replay"]
    assert hint and all(isinstance(c, ToolCall) for c in hint)
    assert policy.act([{}], [info]) == [gold_replay_action(env.scenario, env.trajectory.messages)]
    assert GoldReplayPolicy(fmt="json").act([{}], [info]) == [gold_replay_action(env.scenario, env.trajectory.messages, "json")]
    assert "oracle_hints" not in ConversationEnv(mwz, user="replay").reset(options={"scenario": env.scenario})[1]
    with pytest.raises(ConfigError, match="gold_replay hint"):
        policy.act([{}], [{"oracle_action": "Hello."}])


def test_oracle_hints_only_what_the_policy_reads(mwz):
    """``oracle_hints="action"``/``"named"`` work out only that hint (the gold_replay hint replays the dialogue at
    every step); the runner asks for what the policy declares; anything else is refused."""
    from coalm_env.protocols import oracle_hints_for
    from policies.gold_replay import GoldReplayPolicy
    from policies.oracle import OraclePolicy

    scenario = mwz.get_scenario("PMUL1966")
    infos = {kind: ConversationEnv(mwz, user="replay", oracle_hints=kind).reset(options={"scenario": scenario})[1]
             for kind in (True, "action", "named")}
    assert {"oracle_action", "oracle_hints"} <= infos[True].keys()
    assert "oracle_action" in infos["action"] and "oracle_hints" not in infos["action"]
    assert "oracle_hints" in infos["named"] and "oracle_action" not in infos["named"]
    assert infos["action"]["oracle_action"] == infos[True]["oracle_action"]
    assert infos["named"]["oracle_hints"] == infos[True]["oracle_hints"]
    assert oracle_hints_for(OraclePolicy()) == "action" and oracle_hints_for(GoldReplayPolicy()) == "named"
    assert oracle_hints_for(object()) is False
    for bad in ("yes", 1, None, "all"):
        with pytest.raises(ConfigError, match="oracle_hints"):
            ConversationEnv(mwz, user="replay", oracle_hints=bad)


def test_agenda_user_with_the_oracle(mwz):
    env = ConversationEnv(mwz, user="agenda", oracle_hints=True, max_turns=30)
    for sid in SAMPLE:
        metrics = _run(env, mwz.get_scenario(sid), lambda info: info["oracle_action"])
        assert metrics["success"] == 1.0 and metrics["goal_met"] == 1.0, (sid, metrics)


def test_benchmark_script_runs(mwz, tmp_path):
    from experiments.benchmarks import multiwoz as bench

    out = tmp_path / "mwz.json"
    results = bench.main(["--episodes", "3", "--policies", "oracle", "--replay-episodes", "3", "--out", str(out)])
    assert results["agenda"][0]["episodes"] == 3 and results["agenda"][0]["success"] == 1.0
    assert results["gold_replay"]["jga_turn_level"] == 1.0 and out.exists()


@pytest.mark.slow
def test_val_split_has_999_dialogues_with_100_exact_24_states(mwz):
    val = mwz.scenarios("val")
    sources = {}
    for s in val:
        sources[s.meta["belief_source"]] = sources.get(s.meta["belief_source"], 0) + 1
    assert len(val) == 999 and sources == {"mwz24-val": 100, "mwz21": 899}
