"""coalm/MultiWOZ-Procedural-v0: determinism, disjointness (dataset val/test goals, splits), feasibility
on the real databases, the learned statistics, knobs, gym.make on the fly, and ``coalm-env generate``."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest
from conftest import need_data

import coalm_env  # noqa: F401 - registers the ids
from coalm_env.cli import main
from coalm_env.domains import get_domain
from coalm_env.domains.multiwoz import procedural as proc
from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import Scenario

pytestmark = pytest.mark.data
ENV_ID = "coalm/MultiWOZ-Procedural-v0"


@pytest.fixture(scope="module")
def gen():
    need_data("multiwoz24")
    return get_domain("multiwoz_procedural")


@pytest.fixture(scope="module")
def dataset_goals(gen):
    """The real val and test goals, converted as MultiWOZ-v0 converts them (independently of the stats)."""
    from coalm_env.domains.multiwoz.dialogues import load_dialogues
    from coalm_env.domains.multiwoz.goals import convert_goal

    return {split: [convert_goal(d, gen.database)[0] for d in load_dialogues(split)] for split in ("val", "test")}


@pytest.fixture(scope="module")
def train300(gen):
    return [gen.generate("train", i) for i in range(300)]


def test_scenario_is_a_function_of_version_knobs_seed_split_index(gen):
    order = [7, 0, 123, 7]
    first = {i: gen.generate("train", i).to_dict() for i in order}
    fresh = proc.MultiWOZProceduralDomain()  # another object: nothing shared but the inputs
    for i in reversed(order):
        assert fresh.generate("train", i).to_dict() == first[i]
    other_seed = proc.MultiWOZProceduralDomain(seed=1)
    assert [other_seed.generate("train", i).goal for i in range(5)] != [gen.generate("train", i).goal for i in range(5)]
    knobbed = get_domain("multiwoz_procedural", p_book=1.0)
    assert [knobbed.generate("train", i).goal for i in range(5)] != [gen.generate("train", i).goal for i in range(5)]
    s = gen.generate("val", 3)
    assert s.id == "mwzgen-val-0000003" and s.split == "val" and gen.get_scenario(s.id) is s
    assert s.meta["generator_version"] == proc.GENERATOR_VERSION and s.meta["index"] == 3


def test_splits_are_lazy_sequences(gen):
    split = gen.scenarios("train")
    assert len(split) == 10_000
    before = len(gen._generated)
    last = split[-1]
    assert last.id == "mwzgen-train-0009999" and len(gen._generated) <= before + 1
    assert [s.id for s in split[2:5]] == ["mwzgen-train-0000002", "mwzgen-train-0000003", "mwzgen-train-0000004"]
    with pytest.raises(IndexError):
        split[10_000]
    assert gen.get_scenario("mwzgen-train-0012345").meta["index"] == 12345  # generation is endless
    for bad in ("mwzgen-train-x", "mwzgen-dev-0000001", "multiwoz-val-PMUL4462"):
        with pytest.raises(UnknownNameError):
            gen.get_scenario(bad)


def test_a_rollout_over_the_train_split_generates_only_what_it_plays():
    need_data("multiwoz24")
    domain = proc.MultiWOZProceduralDomain(n_train=5000)
    assert domain.scenario_ids("train")[4321] == domain.generate("train", 4321).id
    res = run_rollouts(RolloutConfig(ENV_ID, "oracle", user="agenda", episodes=3, split="train",
                                     env_options={"n_train": 5000}), progress=False)
    played = get_domain("multiwoz_procedural", n_train=5000)
    assert len(played._generated) <= 4 and res.summary["success_rate"] == 1.0
    assert {t.scenario_id for t in res.trajectories} <= {s.id for s in played._generated.values()}


def test_no_generated_goal_repeats_a_dataset_val_or_test_goal(gen, dataset_goals, train300):
    real = {proc.content_key(g) for goals in dataset_goals.values() for g in goals}
    assert real <= gen._exclude  # the exclusion list holds every real val and test goal
    generated = train300 + [gen.generate(s, i) for s in ("val", "test") for i in range(100)]
    assert not {proc.content_key(s.goal) for s in generated} & real
    # the rule is exercised: a goal equal to a dataset goal is refused by the sampler
    goal = dataset_goals["test"][0]
    assert proc.content_key(json.loads(json.dumps(goal))) in gen._exclude


def test_generated_splits_are_disjoint_by_constraint_signature(gen, train300):
    by_split = {"train": train300, "val": [gen.generate("val", i) for i in range(150)],
                "test": [gen.generate("test", i) for i in range(150)]}
    sigs = {}
    for split, scenarios in by_split.items():
        sigs[split] = {proc.signature(s.goal) for s in scenarios}
        assert all(proc.signature_bucket(s.goal, gen.seed) in proc.BUCKETS[split] for s in scenarios)
    assert not sigs["train"] & sigs["val"] and not sigs["train"] & sigs["test"] and not sigs["val"] & sigs["test"]
    assert len(sigs["train"]) > 200  # not a handful of repeated goals


def test_goals_are_feasible_on_the_database(gen, train300):
    db = gen.database
    for s in train300:
        for d, sub in s.goal.items():
            if d == "taxi":
                assert sub["info"]["departure"] != sub["info"]["destination"]
                assert {"leaveAt", "arriveBy"} & set(sub["info"])
                for role, src in sub.get("sources", {}).items():
                    assert sub["info"][role] == db.query(None, src, s.goal[src]["info"])[0]["name"]
                continue
            assert db.query(None, d, sub["info"]), (s.id, d, sub["info"])
            if sub["fail_info"]:
                assert not db.query(None, d, sub["fail_info"]), (s.id, d)
                assert set(sub["fail_info"]) == set(sub["info"])
                assert sum(sub["fail_info"][k] != sub["info"][k] for k in sub["info"]) == 1
            if sub["fail_book"]:
                assert s.initial_state["unavailable"][d] == [{**sub["book"], **sub["fail_book"]}]
            assert not set(sub["reqt"]) & set(sub["info"])
        assert list(s.goal)[-1] == "taxi" or "taxi" not in s.goal
        assert s.gold.calls  # the gold plan of the goal


def test_statistics_are_learned_from_val_and_train_not_test(gen):
    stats = gen.stats
    assert sum(stats["combos"]["val"].values()) == 999  # the val goals
    assert sum(stats["combos"]["train"].values()) > 7000  # the training dialogues' states
    assert 1900 < len(stats["dataset_keys"]) <= 1999  # val + test content keys (some goals repeat)
    # the learned restaurant fail_info rate is the val one (110 of 438 kept, about a third of non-name goals)
    rate = proc._rate(stats, "fail_info", "restaurant")
    assert 0.25 < rate < 0.45
    assert stats["patterns"]["train"]["arriveBy|day|departure|destination"] > 100


def test_statistics_are_cached_on_first_use(gen, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(proc, "learn_statistics", lambda db: calls.append(db) or json.loads(json.dumps(gen.stats)))
    stats = proc.load_statistics(gen.database)
    files = list((tmp_path / "coalm-env" / "procedural").glob("multiwoz-stats-*.json"))
    assert len(calls) == 1 and len(files) == 1 and json.loads(files[0].read_text()) == stats
    cached = json.loads(files[0].read_text())
    cached["patterns"]["taxi"] = {"marker|departure|destination": 1}
    files[0].write_text(json.dumps(cached))
    assert proc.load_statistics(gen.database)["patterns"]["taxi"] == {"marker|departure|destination": 1}
    assert len(calls) == 1  # read from the cache, not learned again
    files[0].write_text("{torn")
    assert proc.load_statistics(gen.database)["patterns"] == stats["patterns"] and len(calls) == 2


def test_knobs_change_the_goals_and_are_checked(gen):
    one = get_domain("multiwoz_procedural", min_domains=1, max_domains=1)
    assert all(len(one.generate("train", i).goal) == 1 for i in range(40))
    three = get_domain("multiwoz_procedural", min_domains=3, max_domains=3)
    assert all(len(three.generate("train", i).goal) == 3 for i in range(40))
    fail = get_domain("multiwoz_procedural", p_fail_info=1.0, p_name=0.0)
    venues = [sub for i in range(40) for d, sub in fail.generate("train", i).goal.items() if d in proc.VENUES]
    assert venues and all(sub["fail_info"] for sub in venues)
    named = get_domain("multiwoz_procedural", p_name=1.0)
    venues = [sub for i in range(40) for d, sub in named.generate("train", i).goal.items() if d in proc.VENUES]
    assert venues and all(list(sub["info"]) == ["name"] for sub in venues)
    small = get_domain("multiwoz_procedural", max_constraints=1, p_name=0.0)
    assert all(len(sub["info"]) == 1 for i in range(40) for d, sub in small.generate("train", i).goal.items()
               if d in proc.VENUES)
    with pytest.raises(UnknownNameError, match="max_domain"):
        gym.make(ENV_ID, max_domain=2)
    for bad in ({"p_fail_info": 1.5}, {"min_domains": 3, "max_domains": 2}, {"max_constraints": 0},
                {"n_train": -1}, {"p_book": "often"}):
        with pytest.raises(ConfigError):
            get_domain("multiwoz_procedural", **bad)


def test_gym_make_train_generates_on_the_fly_and_the_oracle_succeeds(gen):
    env = gym.make(ENV_ID, split="train", oracle_hints=True)
    seen = set()
    for seed in range(3):
        obs, info = env.reset(seed=seed)
        scenario = env.unwrapped.scenario
        assert scenario.split == "train" and scenario.id.startswith("mwzgen-train-")
        seen.add(scenario.id)
        done = False
        while not done:
            obs, reward, term, trunc, info = env.step(info["oracle_action"])
            done = term or trunc
        assert info["stop_reason"] == "goal_met" and reward == 1.0 and info["metrics"]["task_success"] == 1.0
    assert len(seen) == 3
    env.close()


def test_oracle_rule_and_random_with_the_agenda_user(gen):
    ids = [f"mwzgen-train-{i:07d}" for i in range(20)] + [f"mwzgen-test-{i:07d}" for i in range(10)]
    def run(policy):
        return run_rollouts(RolloutConfig(ENV_ID, policy, user="agenda", episodes=len(ids), scenario_ids=ids,
                                          split="train"), progress=False).summary
    assert run("oracle")["success_rate"] == 1.0
    assert run("random")["success_rate"] <= 0.1
    assert run("rule")["success_rate"] >= 0.8


def test_generate_cli_writes_lines_that_round_trip(gen, tmp_path, capsys):
    out = tmp_path / "train.jsonl"
    assert main(["generate", ENV_ID, "--split", "train", "--n", "6", "--out", str(out), "--seed", "3",
                 "--option", "max_domains=2"]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 6
    same = get_domain("multiwoz_procedural", seed=3, max_domains=2)
    for i, line in enumerate(lines):
        row = json.loads(line)
        assert Scenario.from_dict(row).to_dict() == row == json.loads(json.dumps(same.generate("train", i).to_dict()))
        assert len(row["goal"]) <= 2
    # a shard from --start is the same lines
    assert main(["generate", ENV_ID, "--n", "2", "--start", "4", "--out", str(tmp_path / "s.jsonl"), "--seed", "3",
                 "--option", "max_domains=2"]) == 0
    assert (tmp_path / "s.jsonl").read_text().splitlines() == lines[4:]
    # a domain without generate(): the split's scenarios (MultiWOZ-v0 val)
    assert main(["generate", "coalm/MultiWOZ-v0", "--split", "val", "--n", "2", "--out", str(tmp_path / "v.jsonl")]) == 0
    rows = [json.loads(x) for x in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [s.id for s in get_domain("multiwoz").scenarios("val")[:2]]
    capsys.readouterr()
    for argv in (["--option", "max_domain=2"], ["--option", "nokey"], ["--split", "dev"], ["--n", "-1"]):
        assert main(["generate", ENV_ID, "--out", str(tmp_path / "x.jsonl"), "--n", "1", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1, err
    assert main(["generate", "coalm/MultiWOZ-v0", "--split", "val", "--seed", "1", "--n", "1",
                 "--out", str(tmp_path / "x.jsonl")]) == 2
    assert main(["generate", "coalm/MultiWOZ-v0", "--split", "val", "--n", "5000",
                 "--out", str(tmp_path / "x.jsonl")]) == 2
    assert not (tmp_path / "x.jsonl").exists()



def test_the_llm_user_reads_the_generated_goal(gen):
    from coalm_env.llm import ScriptedGenerator
    from simulators.llm import LLMUser

    script = ScriptedGenerator(["Hello, I am planning a trip.", "Thanks, that is all. [END_CONVERSATION]"], cycle=True)
    env = gym.make(ENV_ID, split="train", user=LLMUser(script), oracle_hints=True, max_turns=3)
    obs, info = env.reset(seed=4)
    goal = env.unwrapped.scenario.goal
    done = False
    while not done:
        obs, _r, term, trunc, info = env.step(info["oracle_action"])
        done = term or trunc
    system = script.calls[0]["messages"][0]["content"]
    first = next(iter(goal.values()))["info"]
    assert all(str(v) in system for v in first.values()), (first, system)
    assert info["metrics"]["internal_errors"] == 0


def test_a_taxi_end_named_by_the_user_is_not_a_venue_of_the_goals_own_domains(gen):
    for i in range(600):
        goal = gen.generate("train", i).goal
        taxi = goal.get("taxi")
        if not taxi:
            continue
        for role in ("departure", "destination"):
            if role in taxi.get("sources", {}):
                continue
            owners = [d for d in proc.VENUES if taxi["info"][role] in gen.database.names[d]]
            assert owners and not set(owners) & set(goal), (i, role, taxi, list(goal))
