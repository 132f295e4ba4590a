"""BFCL scoring from the cached ground-truth run gives exactly what checking live gives."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import need_data

pytestmark = pytest.mark.data
pytest.importorskip("bfcl_eval")

from coalm_env.domains.bfcl import checker, strict  # noqa: E402
from coalm_env.domains.bfcl.checker import check_entry, gold_run  # noqa: E402
from coalm_env.domains.bfcl.entries import CATEGORIES, load_entries  # noqa: E402
from coalm_env.domains.bfcl.strict import strict_check, turn_dependencies  # noqa: E402


def _entries(per_category: int) -> list:
    need_data("bfcl")
    return [e for c in CATEGORIES for e in load_entries(c)[:: 200 // per_category]]


def _cached_entry(category: str, nth: int = 0):
    return [e for e in load_entries(category) if gold_run(e) is not None][nth]


def _full(v) -> tuple:
    return v.valid, v.error_type, v.error_message, v.turn_passed, v.details


def test_cached_and_live_verdicts_are_identical(monkeypatch) -> None:
    from experiments.bfcl_strict_eval import KINDS, perturbed

    entries = _entries(5)
    cases = [(e, kind, perturbed(kind, e, 3)) for e in entries for kind in KINDS]
    cases = [c for c in cases if c[2] is not None]
    cached = []
    for entry, _, turns in cases:
        v = check_entry(entry, turns)
        cached.append((_full(v), strict_check(entry, turns, v), strict_check(entry, turns), turn_dependencies(entry)))
    assert sum(gold_run(e) is not None for e in entries) >= len(entries) // 2
    monkeypatch.setattr(checker, "gold_run", lambda entry: None)
    monkeypatch.setattr(strict, "gold_run", lambda entry: None)
    for (entry, kind, turns), (v, sv, alone, deps) in zip(cases, cached):
        live = check_entry(entry, turns)
        assert live.runs is None
        assert _full(live) == v, (entry.id, kind)
        assert strict_check(entry, turns, live) == sv == alone, (entry.id, kind)
        assert turn_dependencies(entry) == deps
    assert {sv.valid for _, sv, _, _ in cached} == {True, False}


def test_strict_runs_the_calls_itself_when_the_verdict_ran_others() -> None:
    need_data("bfcl")
    entry = _cached_entry("base")
    gold = [[list(t)] if t else [] for t in gold_run(entry).calls]
    empty = [[] for _ in gold]
    verdict = check_entry(entry, gold)  # valid, with the gold calls' results
    assert verdict.valid and verdict.runs is not None
    mixed = strict_check(entry, empty, verdict)  # the official reason is the passed verdict's (none here)
    assert [r["kind"] for r in mixed.reasons] == ["missing_gold_call"] * len(mixed.reasons) and mixed.reasons
    assert strict_check(entry, empty).kinds == {"official", "missing_gold_call"}


def test_shared_state_entries_are_checked_live() -> None:
    need_data("bfcl")
    twitter = next(e for e in load_entries("base") if "TwitterAPI" in e.involved_classes)
    travel_long = next(e for e in load_entries("long_context") if "TravelAPI" in e.involved_classes)
    assert gold_run(twitter) is None  # post_tweet(tags=[], mentions=[]): one list for every instance
    assert gold_run(travel_long) is None  # module-level credit cards in every instance
    gold = [[list(t)] if t else [] for t in checker.gold_calls(travel_long)]
    v = check_entry(travel_long, gold)
    assert v.valid and v.runs is None and strict_check(travel_long, gold, v).valid


def test_an_entry_changed_in_place_is_run_again() -> None:
    need_data("bfcl")
    entry = dataclasses.replace(next(e for e in load_entries("base") if gold_run(e) is not None and e.ground_truth[0]))
    entry.ground_truth = [list(t) for t in entry.ground_truth]
    first = gold_run(entry)
    assert gold_run(entry) is first
    gold = [[list(t)] if t else [] for t in first.calls]
    assert check_entry(entry, gold).valid
    entry.ground_truth[0] = entry.ground_truth[0][:-1]  # one gold call fewer: the old record is stale
    again = gold_run(entry)
    assert again is not first and len(again.calls[0]) == len(first.calls[0]) - 1
    assert again.outputs[0] == first.outputs[0][:-1]


def test_the_cache_is_bounded() -> None:
    need_data("bfcl")
    cache = checker._EntryCache(maxsize=3)
    entries = load_entries("miss_param")[:5]
    for e in entries:
        cache.get("x", e, lambda e=e: e.id)
    assert len(cache._items) == 3
    assert cache.get("x", entries[-1], lambda: "rebuilt") == entries[-1].id
    assert cache.get("x", entries[0], lambda: "rebuilt") == "rebuilt"
