"""The strict BFCL verdict (:mod:`coalm_env.domains.bfcl.strict`) on real entries of all four categories:
every ground truth passes, harmless variations pass, each perturbation kind fails with its reason;
the env metric ``strict_valid`` (online and re-scored) and ``coalm-env score-bfcl --strict``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import gymnasium as gym
import pytest
from conftest import need_data

pytestmark = pytest.mark.data
pytest.importorskip("bfcl_eval")

import coalm_env  # noqa: E402,F401  (registers the ids)
from coalm_env.cli import main  # noqa: E402
from coalm_env.domains.bfcl.apis import full_graph  # noqa: E402
from coalm_env.domains.bfcl.calls import CallSyntaxError, parse_call  # noqa: E402
from coalm_env.domains.bfcl.checker import check_entry, gold_calls  # noqa: E402
from coalm_env.domains.bfcl.entries import CATEGORIES, load_entries  # noqa: E402
from coalm_env.domains.bfcl.runtime import signatures  # noqa: E402
from coalm_env.domains.bfcl.strict import StrictVerdict, strict_check, turn_dependencies  # noqa: E402
from experiments.bfcl_strict_eval import ERRORS, KINDS, perturbed  # noqa: E402

ENV_ID = "coalm/BFCL-MultiTurn-v0"
SEED = 20261202


def _entry(entry_id: str):
    category = entry_id.rsplit("_", 1)[0].removeprefix("multi_turn_")
    return next(e for e in load_entries(category) if e.id == entry_id)


def _gold(entry) -> list:
    return [[list(t)] if t else [] for t in gold_calls(entry)]


def _call(entry, text: str):
    return parse_call(text, signatures(entry.involved_classes))


@pytest.fixture(scope="module")
def every_gold():
    """The official and strict verdicts of all 800 ground truths (one step per turn)."""
    need_data("bfcl")
    out = {}
    for category in CATEGORIES:
        for entry in load_entries(category):
            verdict = check_entry(entry, _gold(entry))
            out[entry.id] = (verdict.valid, strict_check(entry, _gold(entry), verdict))
    return out


@pytest.fixture(scope="module")
def sample():
    """A fixed spread of real entries: every 8th of each category (100 entries)."""
    need_data("bfcl")
    return [e for c in CATEGORIES for e in load_entries(c)[::8]]


def test_every_ground_truth_passes_strict(every_gold):
    assert len(every_gold) == 800
    failing = {i: sv.reasons for i, (_, sv) in every_gold.items() if not sv.valid}
    assert failing == {}
    assert all(official for official, _ in every_gold.values())


@pytest.mark.parametrize("kind", ["extra_read", "split_steps"])
def test_harmless_variations_pass(sample, kind):
    for entry in sample:
        turns = perturbed(kind, entry, SEED)
        sv = strict_check(entry, turns)
        assert sv.valid, (entry.id, kind, sv.reasons)


def test_swapped_independent_reads_pass():
    need_data("bfcl")
    applied = 0
    for category in CATEGORIES:
        for entry in load_entries(category)[::4]:
            turns = perturbed("swap_independent_reads", entry, SEED)
            if turns is None:
                continue
            applied += 1
            assert turns != _gold(entry)
            sv = strict_check(entry, turns)
            assert sv.valid, (entry.id, sv.reasons)
    assert applied >= 30


FAILING = [k for k, (_, must_pass, _) in KINDS.items() if not must_pass]


@pytest.mark.parametrize("kind", FAILING)
def test_each_perturbation_kind_fails_strict_with_its_reason(sample, kind):
    reason = KINDS[kind][2]
    applied = official_passes = 0
    for entry in sample:
        turns = perturbed(kind, entry, SEED)
        if turns is None:
            continue
        applied += 1
        verdict = check_entry(entry, turns)
        sv = strict_check(entry, turns, verdict)
        official_passes += verdict.valid
        assert not sv.valid and reason in sv.kinds, (entry.id, kind, sv.reasons)
        assert ("official" in sv.kinds) == (not verdict.valid)
    assert applied >= 10
    # the official verdict lets some through: that is what the strict mode is for
    assert official_passes > 0


def test_reasons_name_the_turn_and_the_call():
    need_data("bfcl")
    entry = _entry("multi_turn_base_0")  # GorillaFileSystem + TwitterAPI, 4 turns
    turns = _gold(entry)
    turns[1] = turns[1] + [[_call(entry, "get_stock_info(symbol='NVDA')")],
                           [_call(entry, "cd(folder='zz_no_such_folder')")]]
    sv = strict_check(entry, turns)
    assert not sv.valid and check_entry(entry, turns).valid
    assert [(r["kind"], r["turn"]) for r in sv.reasons] == [("unknown_function", 1), ("errored_call", 1)]
    assert "get_stock_info" in sv.reasons[0]["detail"]
    assert "cd(folder='zz_no_such_folder')" in sv.reasons[1]["detail"] and "No such" in sv.reasons[1]["detail"]
    assert sv.to_dict() == {"strict_valid": False, "strict_reasons": sv.reasons}


def test_official_failure_is_a_reason_and_other_rules_still_run():
    need_data("bfcl")
    entry = _entry("multi_turn_base_0")
    turns = [[] for _ in entry.ground_truth]
    sv = strict_check(entry, turns)
    assert sv.reasons[0] == {"kind": "official", "turn": 0, "detail": "multi_turn:empty_turn_model_response"}
    assert {r["turn"] for r in sv.reasons if r["kind"] == "missing_gold_call"} == set(range(len(turns)))


def test_malformed_call_counts_as_an_errored_call():
    need_data("bfcl")
    entry = _entry("multi_turn_base_0")
    turns = _gold(entry)
    turns[0] = turns[0] + [[CallSyntaxError("not a single function call")]]
    sv = strict_check(entry, turns)
    assert [r["kind"] for r in sv.reasons] == ["errored_call"] and "malformed" in sv.reasons[0]["detail"]


def test_an_error_the_ground_truth_also_makes_is_allowed():
    need_data("bfcl")
    real = _entry("multi_turn_base_0")
    # the same entry with one more (erroring) ground-truth call in turn 0
    gt = [list(t) for t in real.ground_truth]
    gt[0].append("cd(folder='zz_no_such_folder')")
    entry = dataclasses.replace(real, ground_truth=gt)
    assert strict_check(entry, _gold(entry)).valid
    errored_elsewhere = _gold(entry)
    errored_elsewhere[1].append([_call(entry, "cd(folder='zz_no_such_folder')")])
    assert strict_check(entry, errored_elsewhere).kinds == {"errored_call"}


def test_default_arguments_and_loose_values_match_the_ground_truth():
    need_data("bfcl")
    entry = _entry("multi_turn_base_26")  # turn 0: cd(folder='tmp'), ls(a=True)
    assert entry.ground_truth[0] == ["cd(folder='tmp')", "ls(a=True)"]
    turns = _gold(entry)
    turns[0] = [[_call(entry, "cd(folder=' TMP')")], [_call(entry, "ls(a=1)")]]  # argument_key: equal
    assert "missing_gold_call" not in strict_check(entry, turns).kinds
    # pwd() equals pwd() with defaults filled in; ls() is ls(a=False): another call
    turns[0] = [[_call(entry, "cd(folder='tmp')")], [_call(entry, "ls()")]]
    sv = strict_check(entry, turns)
    assert [(r["kind"], r["turn"]) for r in sv.reasons if r["kind"] != "official"] == [("missing_gold_call", 0)]
    assert "ls(a=True)" in sv.reasons[-1]["detail"]


def test_one_extra_write_is_left_to_the_state_check_two_are_repeated():
    need_data("bfcl")
    entry = _entry("multi_turn_base_0")  # turn 0: cd(folder='document'), mkdir, mv
    turns = _gold(entry)
    gold0 = gold_calls(entry)[0]
    turns[0] = [list(gold0), [_call(entry, "cd(folder='..')")]]  # not in turn 0's ground truth
    sv = strict_check(entry, turns)
    assert "repeated_write" not in sv.kinds and "official" in sv.kinds  # the state check fails it
    # back and forth: the state is as the ground truth's, but cd(folder='document') is made twice
    turns[0] = [list(gold0), [_call(entry, "cd(folder='..')")], [_call(entry, "cd(folder='document')")]]
    assert check_entry(entry, turns).valid
    sv = strict_check(entry, turns)
    assert sv.reasons == [{"kind": "repeated_write", "turn": 0, "detail": "cd made 2 times with the same "
                           "arguments (the ground truth makes it 1 times)"}]


def test_dependencies_come_from_the_data_flow():
    need_data("bfcl")
    # base_56: get_zipcode_based_on_city feeds estimate_distance(cityA=..., cityB=...)
    entry = _entry("multi_turn_base_56")
    gold = gold_calls(entry)
    deps = turn_dependencies(entry)
    named = {(gold[t][i].name, gold[t][j].name) for t, ds in enumerate(deps) for i, j, _ in ds}
    assert ("get_zipcode_based_on_city", "estimate_distance") in named
    # values the user states are not dependencies: base_0's cd(folder='document') follows its user text
    base0 = _entry("multi_turn_base_0")
    assert all(not ds for ds in turn_dependencies(base0)), turn_dependencies(base0)


# -- the env metric --------------------------------------------------------------------------------
def _play(env, scenario_id: str, extra: str | None = None):
    """Oracle play; with ``extra``, that call is made once at the end of the first turn."""
    _, info = env.reset(seed=0, options={"scenario_id": scenario_id})
    pending = extra
    while True:
        action = info["oracle_action"]
        if pending and not action.startswith("["):
            action, pending = f"[{pending}]", None
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return info


@pytest.mark.parametrize("category", CATEGORIES)
def test_env_reports_strict_valid_beside_success(category):
    need_data("bfcl")
    env = gym.make(ENV_ID, category=category, oracle_hints=True)
    from coalm_env.rescore import rescore

    for scenario in env.unwrapped.domain.scenarios("test")[:3]:
        info = _play(env, scenario.id)
        assert info["metrics"]["success"] == info["metrics"]["strict_valid"] == 1.0
        classes = env.unwrapped.domain.entry(scenario.id).involved_classes
        info = _play(env, scenario.id, extra=ERRORS[classes[0]][0])  # a read that errors
        traj = info["trajectory"]
        assert info["metrics"]["success"] == 1.0 and info["metrics"]["strict_valid"] == 0.0, scenario.id
        rescored, mismatches = rescore(traj, env.unwrapped.domain)
        assert mismatches == 0 and rescored == traj.metrics


def test_void_endings_zero_strict_valid_too():
    need_data("bfcl")
    from coalm_env.types import StopReason

    env = gym.make(ENV_ID, category="base", oracle_hints=True)
    domain = env.unwrapped.domain
    traj = _play(env, "multi_turn_base_1")["trajectory"]
    assert traj.metrics["strict_valid"] == 1.0
    traj.stop_reason = StopReason.ERRORED
    scored = domain.score(traj, domain.get_scenario(traj.scenario_id), None)
    assert scored["strict_valid"] == 0.0


def test_score_cli_rescores_strict_valid(tmp_path: Path, capsys):
    need_data("bfcl")
    env = gym.make(ENV_ID, category="miss_param", oracle_hints=True)
    trajs = [_play(env, "multi_turn_miss_param_3")["trajectory"],
             _play(env, "multi_turn_miss_param_3", extra="no_such_function(x=1)")["trajectory"]]
    (tmp_path / "trajectories.jsonl").write_text("".join(t.to_json() + "\n" for t in trajs))
    assert main(["score", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "rescore.json").read_text())
    assert summary["metrics"]["strict_valid"] == 0.5 and summary["metrics"]["success"] == 1.0
    assert summary["rescore"]["changed"] == 0
    assert "strict_valid" in capsys.readouterr().out


# -- coalm-env score-bfcl --strict -----------------------------------------------------------------
def test_score_bfcl_strict(tmp_path: Path, capsys):
    need_data("bfcl")

    def strings(entry_id: str) -> list:
        return [[list(t)] if t else [] for t in _entry(entry_id).ground_truth]

    unknown = strings("multi_turn_base_0")
    unknown[0].append(["get_stock_info(symbol='NVDA')"])
    premature = strings("multi_turn_miss_param_0")
    empty = next(i for i, t in enumerate(premature) if not t)
    later = next(c.signature() for t in gold_calls(_entry("multi_turn_miss_param_0"))[empty:] for c in t
                 if full_graph().spec(c.name).writes)
    premature[empty] = [[later]]
    rows = [
        {"id": "multi_turn_base_0", "result": strings("multi_turn_base_0")},
        {"id": "multi_turn_base_0", "result": unknown},
        {"id": "multi_turn_miss_param_0", "result": premature},
        {"id": "multi_turn_long_context_2", "result": "not a list"},
    ]
    result_file = tmp_path / "result.json"
    result_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "verdicts.jsonl"
    assert main(["score-bfcl", str(result_file), "--strict", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.startswith("category"))
    assert header.split() == ["category", "valid", "entries", "accuracy", "strict_valid", "strict_accuracy"]
    lines = {line.split()[0]: line.split()[1:] for line in printed.splitlines() if line and line[0].isalpha()}
    assert lines["base"] == ["2", "2", "1.0000", "1", "0.5000"]
    assert lines["overall"][:3] == ["2", "4", "0.5000"] and lines["overall"][3:] == ["1", "0.2500"]
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert [v["id"] for v in verdicts] == [r["id"] for r in rows]
    assert verdicts[0] == {"id": "multi_turn_base_0", "valid": True, "strict_valid": True, "strict_reasons": []}
    assert verdicts[1]["valid"] and not verdicts[1]["strict_valid"]
    assert [r["kind"] for r in verdicts[1]["strict_reasons"]] == ["unknown_function"]
    assert "write_in_empty_turn" in {r["kind"] for r in verdicts[2]["strict_reasons"]}
    assert verdicts[3]["strict_reasons"] == [{"kind": "official", "turn": None, "detail": "multi_turn:inference_error"}]
    # without --strict the lines stay as they were
    assert main(["score-bfcl", str(result_file), "--out", str(out)]) == 0
    assert "strict_valid" not in out.read_text() and "strict_accuracy" not in capsys.readouterr().out


def test_strict_verdict_shape():
    sv = StrictVerdict(True)
    assert sv.to_dict() == {"strict_valid": True, "strict_reasons": []} and sv.kinds == set()
