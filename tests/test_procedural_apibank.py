"""coalm/APIBank-Procedural-v0 (issue 11): generated API-Bank tasks over the level graph and the official
initial databases -- determinism, plans that execute, the oracle through gym.make, split disjointness,
no benchmark duplicates, the generate CLI, knobs, infeasible sub-goals."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest
from conftest import need_data

from coalm_env.backend.generate import concrete_fields, split_of
from coalm_env.backend.graph import BackendSession
from coalm_env.backend.plan import argument_key
from coalm_env.cli import main
from coalm_env.domains import get_domain
from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.types import Scenario, ToolCall

pytestmark = pytest.mark.data


@pytest.fixture(scope="module", autouse=True)
def _data():
    need_data("apibank")


def _proc():
    from coalm_env.domains.apibank import procedural

    return procedural


def _play(env, scenario_id, policy):
    obs, info = env.reset(seed=0, options={"scenario_id": scenario_id})
    while True:
        obs, reward, terminated, truncated, info = env.step(policy(env, info))
        if terminated or truncated:
            return info


def _oracle(env, info):
    return info["oracle_action"]


def test_scenarios_are_a_function_of_version_options_seed_index():
    proc = _proc()
    a = proc.APIBankProceduralDomain(level=1, p_held_back=0.5, p_infeasible=0.5, n_user_turns=2)
    b = proc.APIBankProceduralDomain(level=1, p_held_back=0.5, p_infeasible=0.5, n_user_turns=2)
    for split, i in (("train", 0), ("train", 7), ("val", 3), ("test", 11)):
        assert a.generate(split, i).to_dict() == b.generate(split, i).to_dict()
    assert a.get_scenario("APIBankP-L1-train-7").to_dict() == a.generate("train", 7).to_dict()
    assert a.scenarios("train")[7] is a.scenarios("train")[7]  # lazy pool, built once
    assert len(a.scenarios("train")) == proc.SPLIT_SIZES["train"]
    other_seed = proc.APIBankProceduralDomain(level=1, seed=1, p_held_back=0.5, p_infeasible=0.5, n_user_turns=2)
    other_knob = proc.APIBankProceduralDomain(level=1, p_held_back=0.5, p_infeasible=0.5, n_user_turns=3)
    same = sum(a.generate("train", i).meta["steps"] == other_seed.generate("train", i).meta["steps"] for i in range(10))
    assert same <= 1
    assert any(a.generate("train", i).user_turns != other_knob.generate("train", i).user_turns for i in range(5))
    # any index, also past the pool size, and the id names level, split and index
    far = a.get_scenario("APIBankP-L1-test-5000")
    assert far.split == "test" and far.meta["procedural"]["index"] == 5000
    with pytest.raises(UnknownNameError):
        a.get_scenario("APIBankP-L2-train-0")  # another level
    with pytest.raises(UnknownNameError):
        a.get_scenario("L1-AddAgenda-level-1-1")
    with pytest.raises(UnknownNameError):
        a.generate("dev", 0)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_gold_plans_execute_and_sources_resolve(level):
    proc = _proc()
    from coalm_env.domains.apibank.graph import build_graph
    from coalm_env.domains.apibank.resources import base_store

    domain = proc.APIBankProceduralDomain(level=level, n_calls=3, p_infeasible=0.5)
    graph = build_graph(level)
    for i in range(15):
        s = domain.generate("train", i)
        session = BackendSession(graph, base_store().view())
        results = []
        for step, gold in zip(s.meta["steps"], s.gold.calls):
            assert gold.name == step["name"]
            result = session.call(ToolCall(name=step["name"], arguments=dict(step["input"])))
            assert result.ok, (s.id, step, result.error)
            assert argument_key(result.value) == argument_key(step["output"])
            for param, (source, path) in gold.sources.items():  # sourced values come from earlier results
                assert source < len(results)
                assert [v for p, v in concrete_fields(results[source].value, path)] == [step["input"][param]]
            for param, value in gold.arguments.items():
                assert step["input"][param] == value
            results.append(result)
        assert str(session.state_hash()) == domain.gold_end_state(s)["state_hash"]
        if level > 1:  # every API is retrieved before its first call
            names = [x["name"] for x in s.meta["steps"]]
            assert names[0] == "ToolSearcher" and s.tools == ["ToolSearcher"]
        for item in s.meta["infeasible"]:  # a 'fails' sub-goal really fails on the gold end state
            if item["kind"] == "fails":
                call = ToolCall(name=item["call"]["name"], arguments=item["call"]["arguments"])
                assert not session.call(call).ok


@pytest.mark.parametrize("level", [1, 2, 3])
def test_oracle_succeeds_through_gym_make(level):
    env = gym.make("coalm/APIBank-Procedural-v0", split="train", level=level, oracle_hints=True,
                   p_held_back=0.5, p_infeasible=0.5, n_user_turns=2)
    assert env.unwrapped.user_spec == "apibank_goal"
    for seed in range(4):
        obs, info = env.reset(seed=seed)  # the env draws a scenario from the lazy train pool
        assert env.unwrapped.scenario.split == "train"
        while True:
            obs, reward, terminated, truncated, info = env.step(info["oracle_action"])
            if terminated or truncated:
                break
        m = info["metrics"]
        assert m["success"] == 1.0 and m["api_call_accuracy"] == 1.0 and m["end_state_match"] == 1.0, m
        assert m["results_told"] == 1.0 and info["stop_reason"] == "goal_met"
    # a do-nothing agent fails
    info = _play(env.unwrapped, "APIBankP-L%d-train-0" % level, lambda e, i: "I cannot help with that.")
    assert info["metrics"]["success"] == 0.0


def test_long_level3_plans_end_with_the_user_satisfied_not_truncated():
    env = gym.make("coalm/APIBank-Procedural-v0", split="train", level=3, n_calls=5, oracle_hints=True).unwrapped
    info = _play(env, "APIBankP-L3-train-1", _oracle)
    assert info["stop_reason"] == "goal_met" and info["metrics"]["success"] == 1.0
    assert len([s for s in env.scenario.meta["steps"] if s["name"] != "ToolSearcher"]) == 5


def test_the_replay_user_plays_generated_turns_too():
    env = gym.make("coalm/APIBank-Procedural-v0", split="val", level=1, user="apibank_replay", oracle_hints=True,
                   p_held_back=1.0, n_user_turns=2).unwrapped
    for i in range(3):
        info = _play(env, f"APIBankP-L1-val-{i}", _oracle)
        assert info["metrics"]["success"] == 1.0, info["metrics"]


def test_infeasible_sub_goals_need_a_refusal_and_held_back_facts_are_not_in_the_request():
    proc = _proc()
    from experiments.procedural_apibank import informed_action

    env = gym.make("coalm/APIBank-Procedural-v0", split="train", level=1, oracle_hints=True,
                   p_infeasible=1.0).unwrapped
    kinds = set()
    for i in range(6):
        s = env.domain.generate("train", i)
        assert len(s.meta["infeasible"]) == 1 and s.meta["infeasible"][0]["request"][7:-1] in s.user_turns[0]
        kinds.add(s.meta["infeasible"][0]["kind"])
        good = _play(env, s.id, lambda e, info: informed_action(e))
        bad = _play(env, s.id, lambda e, info: informed_action(e, decline=False))
        assert good["metrics"]["success"] == 1.0
        assert bad["metrics"]["calls_success"] == 1.0 and bad["metrics"]["success"] == 0.0
        assert bad["metrics"]["infeasible_declined"] == 0.0
    assert kinds == {"no_api", "fails"}
    assert proc.declines("Sorry, I can't book taxis.") and not proc.declines("Sorry, I did not catch that.")
    held = proc.APIBankProceduralDomain(level=1, p_held_back=1.0)
    n_held = 0
    for i in range(10):
        s = held.generate("train", i)
        for position, params in s.meta["held_back"].items():
            for p in params:
                value = str(s.meta["steps"][int(position)]["input"][p])
                assert value not in s.user_turns[0] and value in s.user_turns[-1]
                n_held += 1
    assert n_held >= 10


def test_splits_are_disjoint_by_skeleton_and_content():
    proc = _proc()
    for level, n in ((1, 120), (3, 60)):
        domain = proc.APIBankProceduralDomain(level=level)
        skeletons, contents = {}, {}
        for split, count in (("train", n), ("val", n // 3), ("test", n // 3)):
            rows = [domain.generate(split, i) for i in range(count)]
            skeletons[split] = {s.meta["procedural"]["skeleton_key"] for s in rows}
            contents[split] = {proc.task_key(s.meta["steps"]) for s in rows}
            assert all(split_of(k, salt="apibank") == split for k in skeletons[split])
            assert len(contents[split]) >= count * 0.8  # mostly distinct tasks
        for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
            assert not skeletons[a] & skeletons[b] and not contents[a] & contents[b]
        assert len(skeletons["test"]) >= 3


def test_no_generated_task_equals_a_benchmark_dialogue(monkeypatch):
    proc = _proc()
    from coalm_env.domains.apibank.samples import load_scenarios

    keys = proc.benchmark_keys(3)
    bench = load_scenarios(3)
    assert len(keys) >= 40 and proc.task_key(bench[0].meta["steps"]) in keys
    assert proc.task_key(list(reversed(bench[5].meta["steps"]))) in keys  # order-insensitive
    domain = proc.APIBankProceduralDomain(level=3, n_calls=2)
    made = [domain.generate("train", i) for i in range(60)]
    assert not {proc.task_key(s.meta["steps"]) for s in made} & keys
    # the check is not vacuous: without it, the same coordinates give benchmark tasks
    monkeypatch.setattr(proc, "benchmark_keys", lambda level: frozenset())
    free = [proc.generate_scenario(3, {**proc.KNOBS, "n_calls": 2}, 0, "train", i) for i in range(60)]
    assert {proc.task_key(s.meta["steps"]) for s in free} & keys
    monkeypatch.undo()
    keys12 = proc.benchmark_keys(1)
    one = proc.APIBankProceduralDomain(level=1, n_calls=1)
    assert not {proc.task_key(one.generate("train", i).meta["steps"]) for i in range(60)} & keys12


def test_generate_cli_round_trip(tmp_path, capsys):
    proc = _proc()
    out = tmp_path / "p.jsonl"
    assert main(["generate", "coalm/APIBank-Procedural-v0", "--split", "val", "--n", "4", "--start", "2",
                 "--seed", "5", "--option", "level=2", "--option", "p_held_back=0.5", "--out", str(out)]) == 0
    assert "wrote 4 val scenarios" in capsys.readouterr().out
    rows = [Scenario.from_dict(json.loads(line)) for line in out.read_text().splitlines()]
    domain = proc.APIBankProceduralDomain(level=2, seed=5, p_held_back=0.5)
    assert [r.to_dict() for r in rows] == [domain.generate("val", i).to_dict() for i in range(2, 6)]
    assert main(["generate", "coalm/APIBank-Procedural-v0", "--split", "val", "--n", "1", "--option",
                 "p_held_back=2", "--out", str(out)]) != 0
    assert "error:" in capsys.readouterr().err
    # a scenario read back from the file plays like the generated one
    env = gym.make("coalm/APIBank-Procedural-v0", split="val", level=2, oracle_hints=True).unwrapped
    obs, info = env.reset(seed=0, options={"scenario": rows[0]})
    while True:
        obs, reward, terminated, truncated, info = env.step(info["oracle_action"])
        if terminated or truncated:
            break
    assert info["metrics"]["success"] == 1.0


def test_knobs_change_the_plan_shape():
    proc = _proc()

    def calls(s):
        return [x for x in s.meta["steps"] if x["name"] != "ToolSearcher"]

    for n in (1, 2, 4):
        d = proc.APIBankProceduralDomain(level=2, n_calls=n)
        assert all(len(calls(d.generate("train", i))) == n for i in range(6))
    flat = proc.APIBankProceduralDomain(level=3, n_calls=3, max_depth=0)
    assert all(flat.generate("train", i).meta["procedural"]["depth"] == 0 for i in range(6))
    deep = proc.APIBankProceduralDomain(level=3, n_calls=4, max_depth=2)
    assert max(deep.generate("train", i).meta["procedural"]["depth"] for i in range(12)) == 2
    turns = proc.APIBankProceduralDomain(level=1, n_calls=4, n_user_turns=3)
    assert sum(len(turns.generate("train", i).user_turns) == 3 for i in range(6)) >= 4
    for k in (0, 5):
        d = proc.APIBankProceduralDomain(level=1, n_distractors=k)
        for i in range(4):
            s = d.generate("train", i)
            plan = {x["name"] for x in s.meta["steps"]}
            assert len(s.meta["apis"]) == len(plan) + k == len(s.tools) and plan <= set(s.tools)
    assert not any(proc.APIBankProceduralDomain(level=1).generate("train", i).meta["held_back"] for i in range(5))
    for bad in ({"n_calls": 0}, {"n_calls": 9}, {"p_held_back": 1.5}, {"max_depth": -1}, {"n_user_turns": "2"}, {"level": 4}):
        with pytest.raises(ConfigError):
            proc.APIBankProceduralDomain(**bad)


def test_user_goal_text_and_registry():
    domain = get_domain("apibank_procedural", level=1, p_held_back=1.0)
    s = domain.generate("test", 0)
    text = domain.user_goal_text(s)
    assert s.user_turns[0] in text and "1." in text
    assert domain.default_user == "apibank_goal" and domain.splits == ("train", "val", "test")
