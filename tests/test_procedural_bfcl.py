"""Procedural BFCL tasks (coalm/BFCL-Procedural-v0): reproducible, solvable by their own gold under our
checker and BFCL's official one, failed by the empty result, disjoint across splits, never a benchmark
entry, and round-tripped through ``coalm-env generate``.

The official checker executes call strings with ``eval``; here it only sees the generator's own
ground truth (values drawn from fixed vocabularies), never model or user text.
"""

from __future__ import annotations

import itertools
import json

import gymnasium as gym
import pytest
from conftest import need_data

import coalm_env  # noqa: F401  (registers the ids)

pytestmark = pytest.mark.data
pytest.importorskip("bfcl_eval")

from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker  # noqa: E402

from coalm_env.backend.generate import content_key  # noqa: E402
from coalm_env.cli import main  # noqa: E402
from coalm_env.domains.bfcl.calls import parse_call  # noqa: E402
from coalm_env.domains.bfcl.checker import check_entry, gold_calls  # noqa: E402
from coalm_env.domains.bfcl.entries import load_entries  # noqa: E402
from coalm_env.domains.bfcl.procedural import (  # noqa: E402
    BFCLProceduralDomain,
    Knobs,
    ProceduralBFCL,
    benchmark_keys,
    entry_of,
    task_key,
)
from coalm_env.domains.bfcl.runtime import signatures  # noqa: E402
from coalm_env.errors import ConfigError, UnknownNameError  # noqa: E402
from coalm_env.types import Scenario  # noqa: E402

ENV_ID = "coalm/BFCL-Procedural-v0"
_RUN = itertools.count()


@pytest.fixture(scope="module")
def gen():
    need_data("bfcl")
    return ProceduralBFCL(seed=0)


@pytest.fixture(scope="module")
def sample(gen):
    return {s: [gen.entry(s, i) for i in range(40 if s == "train" else 25)] for s in ("train", "val", "test")}


def _official(entry, turns) -> bool:
    test_entry = {"id": entry.id, "initial_config": entry.initial_config, "involved_classes": entry.involved_classes}
    out = multi_turn_checker(turns, entry.ground_truth, test_entry, entry.category, f"coalm_proc_test_{next(_RUN)}")
    return out["valid"]


def _gold_turns(entry):  # one step per turn holding the turn's gold calls
    return [[list(t)] if t else [] for t in entry.ground_truth]


def test_deterministic_and_seed_dependent(gen):
    a, b = gen.entry("train", 7), ProceduralBFCL(seed=0).entry("train", 7)
    assert (a.turns, a.ground_truth, a.initial_config) == (b.turns, b.ground_truth, b.initial_config)
    other = ProceduralBFCL(seed=1).entry("train", 7)
    assert (other.turns, other.ground_truth) != (a.turns, a.ground_truth)
    d1, d2 = BFCLProceduralDomain(seed=0), BFCLProceduralDomain(seed=0)
    assert d1.generate("val", 3).to_dict() == d2.generate("val", 3).to_dict()


def test_entries_have_the_benchmark_shape(sample):
    cats = set()
    for entry in sample["train"]:
        cats.add(entry.category)
        assert len(entry.turns) == len(entry.ground_truth) >= 3
        assert set(entry.initial_config) <= set(entry.involved_classes)
        assert any(entry.ground_truth), entry.id
        sig = signatures(entry.involved_classes)
        for turn in entry.ground_truth:  # call strings parse back into the same calls
            for text in turn:
                assert parse_call(text, sig).signature() == text
        if entry.category == "miss_func":
            (reveal, names), = entry.missed_function.items()
            assert entry.turns[reveal] is None and entry.ground_truth[reveal - 1] == []
            assert set(names) <= {parse_call(t, sig).name for t in entry.ground_truth[reveal]}
            # held out from the start: no earlier turn needs it
            assert not any(parse_call(t, sig).name in names for turn in entry.ground_truth[:reveal] for t in turn)
        if entry.category == "miss_param":
            empty = entry.ground_truth.index([])
            assert entry.turns[empty + 1].startswith("Sorry, I forgot to say: the ")
    assert cats == {"base", "miss_func", "miss_param"}


def test_gold_passes_our_checker_and_empty_fails(sample):
    for entries in sample.values():
        for entry in entries:
            gold = gold_calls(entry)
            verdict = check_entry(entry, [[turn] if turn else [] for turn in gold])
            assert verdict.valid, (entry.id, verdict.error_type, verdict.error_message)
            empty = check_entry(entry, [[] for _ in gold])
            assert not empty.valid and empty.error_type == "multi_turn:empty_turn_model_response"


def test_official_checker_agrees_on_a_sample(sample):
    for entry in sample["train"][:20] + sample["test"][:10]:
        assert _official(entry, _gold_turns(entry)), entry.id
        assert not _official(entry, [[] for _ in entry.ground_truth]), entry.id
        # a perturbed result (last gold call of the first non-empty turn dropped): same verdict as ours
        turns = [list(t) for t in entry.ground_truth]
        first = next(i for i, t in enumerate(turns) if t)
        turns[first] = turns[first][:-1]
        ours = check_entry(entry, [[[parse_call(c, signatures(entry.involved_classes)) for c in t]] if t else []
                                   for t in turns])
        assert ours.valid == _official(entry, [[t] if t else [] for t in turns]), entry.id


def test_splits_disjoint_by_skeleton_and_content(sample):
    skeletons = {s: {k for e in es for k in e.__dict__["skeletons"]} for s, es in sample.items()}
    assert not skeletons["train"] & skeletons["val"]
    assert not skeletons["train"] & skeletons["test"]
    assert not skeletons["val"] & skeletons["test"]
    contents = {}
    for s, es in sample.items():
        contents[s] = {content_key([parse_call(c, signatures(e.involved_classes)) for t in e.ground_truth for c in t])
                       for e in es}
    assert not contents["train"] & contents["val"] and not contents["train"] & contents["test"]


def test_no_benchmark_duplicates(sample):
    keys = benchmark_keys()
    assert len(keys) >= 200  # 800 entries; the four categories mostly share their 200 tasks' calls
    # the key is the benchmark's own: an entry's key is in the set
    entry = load_entries("base")[3]
    assert task_key(entry.involved_classes, gold_calls(entry)) in keys
    for entries in sample.values():
        for e in entries:
            assert task_key(e.involved_classes, gold_calls(e)) not in keys


def test_a_task_equal_to_a_benchmark_entry_is_drawn_again(gen, monkeypatch):
    import coalm_env.domains.bfcl.procedural as proc

    first = ProceduralBFCL(seed=5).entry("train", 0)
    assert first.__dict__["attempt"] == 0
    # pretend the benchmark holds exactly this task: the generator must move on to another attempt
    monkeypatch.setattr(proc, "benchmark_keys", lambda: frozenset({task_key(first.involved_classes, gold_calls(first))}))
    again = ProceduralBFCL(seed=5).entry("train", 0)
    assert again.__dict__["attempt"] >= 1 and again.ground_truth != first.ground_truth


def test_oracle_succeeds_through_gym(gen):
    env = gym.make(ENV_ID, split="train", oracle_hints=True)
    for seed in range(4):
        _, info = env.reset(seed=seed)
        while True:
            _, _, terminated, truncated, info = env.step(info["oracle_action"])
            if terminated or truncated:
                break
        assert info["metrics"]["internal_errors"] == 0
        assert info["metrics"]["success"] == 1.0 and info["metrics"]["bfcl_turn_acc"] == 1.0
    scenario = env.unwrapped.domain.scenarios("train")[0]
    assert scenario.split == "train" and scenario.id == "bfcl_procedural_train_0"
    env.close()


def test_empty_agent_fails_through_gym(gen):
    env = gym.make(ENV_ID, split="val")
    _, info = env.reset(seed=0, options={"scenario_id": "bfcl_procedural_val_2"})
    while True:
        _, _, terminated, truncated, info = env.step("I cannot help with that.")
        if terminated or truncated:
            break
    assert info["metrics"]["success"] == 0.0 and info["metrics"]["bfcl_empty_turn"] == 1.0
    env.close()


def test_miss_func_reveal_through_gym(gen):
    env = gym.make(ENV_ID, split="train", oracle_hints=True, category="miss_func")
    domain = env.unwrapped.domain
    entry = domain.entry("bfcl_procedural_train_1")
    (reveal, names), = entry.missed_function.items()
    obs, info = env.reset(seed=0, options={"scenario_id": "bfcl_procedural_train_1"})
    assert not set(names) & {t["function"]["name"] for t in json.loads(obs["tools"])}
    while True:
        obs, _, terminated, truncated, info = env.step(info["oracle_action"])
        if terminated or truncated:
            break
    assert info["metrics"]["success"] == 1.0
    env.close()


def test_generate_cli_round_trip(gen, tmp_path, capsys):
    out = tmp_path / "proc.jsonl"
    assert main(["generate", ENV_ID, "--split", "test", "--n", "3", "--start", "5", "--out", str(out),
                 "--seed", "0"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    domain = BFCLProceduralDomain(seed=0)
    assert [r["id"] for r in rows] == [f"bfcl_procedural_test_{i}" for i in (5, 6, 7)]
    for row in rows:
        scenario = Scenario.from_dict(row)
        assert row == domain.generate("test", int(scenario.id.rsplit("_", 1)[1])).to_dict()
        entry = entry_of(scenario)  # the file alone is enough to score the task
        original = domain.entry(scenario.id)
        assert (entry.turns, entry.ground_truth, entry.missed_function) == (
            original.turns, original.ground_truth, original.missed_function)
        assert check_entry(entry, [[t] if t else [] for t in gold_calls(entry)]).valid


def test_bad_options_and_ids_are_clear_errors(gen):
    with pytest.raises(ConfigError):
        BFCLProceduralDomain(n_turns=0)
    with pytest.raises(ConfigError):
        BFCLProceduralDomain(p_miss_func=0.7, p_miss_param=0.6)
    with pytest.raises(UnknownNameError):
        BFCLProceduralDomain(category="long_context")
    domain = BFCLProceduralDomain(pool_size=10)
    with pytest.raises(UnknownNameError):
        domain.get_scenario("bfcl_procedural_train_10")
    with pytest.raises(UnknownNameError):
        domain.get_scenario("multi_turn_base_0")
    with pytest.raises(UnknownNameError):
        domain.scenarios("dev")


def test_knobs_shape_the_tasks(gen):
    one = ProceduralBFCL(0, knobs=Knobs(n_turns=1, calls_per_turn=1, max_depth=0, n_classes=1, distractors=2,
                                        category="base"))
    for i in range(10):
        e = one.entry("train", i)
        assert len(e.turns) == 1 and len(e.ground_truth[0]) == 1 and e.category == "base"
        assert len(e.involved_classes) == 3  # one used, two distractors


def test_same_tasks_in_another_process_and_hash_seed(gen):
    import os
    import subprocess
    import sys

    code = ("import json; from coalm_env.domains.bfcl.procedural import ProceduralBFCL; g = ProceduralBFCL(0); "
            "print(json.dumps([[e.turns, e.ground_truth, e.initial_config] for e in "
            "(g.entry(s, i) for s in ('train', 'test') for i in range(8))], sort_keys=True))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    here = [[e.turns, e.ground_truth, e.initial_config] for e in (gen.entry(s, i) for s in ("train", "test")
                                                                  for i in range(8))]
    assert json.loads(out.stdout) == json.loads(json.dumps(here, sort_keys=True))


# (function, parameter) said in words rather than as the value itself
_WORDED = {("wc", "mode"), ("lockDoors", "unlock"), ("ls", "a"), ("du", "human_readable"), ("cd", "folder"),
           ("pressBrakePedal", "pedalPosition"), ("startEngine", "ignitionMode"), ("displayCarStatus", "option"),
           ("lockDoors", "door"), ("post_tweet", "tags"), ("post_tweet", "mentions")}


def _said(value, text: str) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_said(v, text) for v in value)
    if isinstance(value, dict):
        return all(_said(v, text) for v in value.values())
    return str(value).lower() in text.lower()


def test_requests_state_every_value_the_agent_cannot_look_up(sample):
    """Every argument of the gold calls that no earlier call of the turn supplies is in the request's words
    (for miss_param: in the request plus its follow-up), so a reader could do the task."""
    checked = 0
    for entries in sample.values():
        for e in entries:
            sig = signatures(e.involved_classes)
            for k, turn in enumerate(e.ground_truth):
                if not turn:
                    continue
                text = e.turns[k] or ""
                if k and not e.ground_truth[k - 1]:  # reveal or follow-up: the request was the turn before
                    text = (e.turns[k - 1] or "") + " " + text
                for j, raw in enumerate(turn):
                    call = parse_call(raw, sig)
                    fed = e.__dict__["sources"][k][j]
                    for param, value in call.arguments.items():
                        if param in fed or (call.name, param) in _WORDED or param == "access_token":
                            continue
                        assert _said(value, text), (e.id, k, raw, param, text)
                        checked += 1
    assert checked > 300
