"""The BFCL loop's shortcuts give what the plain computation gives: ground-truth calls parsed once per distinct
ground truth (fresh lists, an entry changed in place parsed again), the session's tool tuple kept while the
tool list is unchanged (and replaced when a held-out function is revealed), and sessions that read only result
texts (ground-truth runs, checker re-runs) skipping the detached copy of each value."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import need_data

pytestmark = pytest.mark.data
pytest.importorskip("bfcl_eval")

from coalm_env import render  # noqa: E402
from coalm_env.domains.bfcl.calls import parse_call  # noqa: E402
from coalm_env.domains.bfcl.checker import gold_calls  # noqa: E402
from coalm_env.domains.bfcl.entries import load_entries  # noqa: E402
from coalm_env.domains.bfcl.runtime import execute, open_session, signatures  # noqa: E402


def _entry(category: str = "base"):
    need_data("bfcl")
    return next(e for e in load_entries(category) if len(e.ground_truth) > 1 and e.ground_truth[0])


def test_gold_calls_equal_a_fresh_parse_and_follow_in_place_changes():
    entry = dataclasses.replace(_entry())
    entry.ground_truth = [list(t) for t in entry.ground_truth]
    sig = signatures(entry.involved_classes)
    plain = [[parse_call(text, sig) for text in turn] for turn in entry.ground_truth]
    first = gold_calls(entry)
    assert first == plain
    first[0].append("not a call")  # the caller's lists are its own
    again = gold_calls(entry)
    assert again == plain and again is not first
    entry.ground_truth[0] = entry.ground_truth[0][:-1]  # one call fewer in place: parsed anew
    assert gold_calls(entry)[0] == plain[0][:-1]


def test_an_unhashable_ground_truth_is_still_refused_by_the_parser():
    entry = dataclasses.replace(_entry(), ground_truth=[[["not", "a", "string"]]])
    with pytest.raises(Exception):
        gold_calls(entry)


def test_the_tool_tuple_is_kept_until_a_reveal_and_the_render_follows_it():
    need_data("bfcl")
    entry = next(e for e in load_entries("miss_func") if e.missed_function)
    session = open_session(entry, record=True)
    view = session.tools_view()
    assert type(view) is tuple and session.tools_view() is view
    assert session.tool_schemas() == list(view) and session.tool_schemas() is not session.tool_schemas()
    cache = render.ObservationCache()
    assert cache.observation([], view) == render.observation([], view)
    index = min(entry.missed_function)
    assert session.reveal(entry.missed_function[index])
    shown = session.tools_view()
    assert shown is not view and len(shown) > len(view)
    assert cache.observation([], shown) == render.observation([], shown)
    assert cache.observation([], view) == render.observation([], view)  # an older tuple: keyed again


def test_sessions_that_read_only_texts_give_the_same_texts_without_values():
    entry = _entry()
    calls = gold_calls(entry)
    shown, bare = open_session(entry), open_session(entry, shown=False)
    for turn in calls:
        for call in turn:
            assert execute(shown, call) == execute(bare, call)
    assert any(r.ok and r.value is not None for _c, r in shown.history)
    assert all(r.value is None for _c, r in bare.history)


def test_gold_states_copy_only_the_classes_a_turn_called():
    """Each turn's recorded state equals a full deep copy of every instance after that turn (the plain way)."""
    import copy

    from coalm_env.domains.bfcl.checker import _public, _run_gold, _touches_modules
    from coalm_env.domains.bfcl.entries import CATEGORIES

    need_data("bfcl")
    compared = shared = 0
    for category in CATEGORIES:
        for entry in load_entries(category)[::15]:
            probe = open_session(entry, shown=False)
            if _touches_modules(entry, probe.state.instances):
                continue
            run = _run_gold(entry, open_session(entry, shown=False))
            plain = open_session(entry, shown=False)
            for turn, calls in enumerate(gold_calls(entry)):
                for call in calls:
                    execute(plain, call)
                assert run.states[turn] == copy.deepcopy(_public(plain.state.instances)), (entry.id, turn)
                compared += 1
                if turn and any(run.states[turn][c] is run.states[turn - 1][c] for c in run.states[turn]):
                    shared += 1
    assert compared > 100 and shared > 10  # the shortcut was taken, and gave the same states
