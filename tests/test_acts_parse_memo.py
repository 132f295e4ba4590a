"""The act parser's fast paths give what the plain reading gives: acts kept per vocabulary (``_one_act`` over
``_read_act``) and the calls of a flat action made once (``_flat``)."""

from __future__ import annotations

import itertools

import pytest

from coalm_env.acts import ActVocabulary, _ActError, _one_act, _read_act, parse_act_action
from coalm_env.domains.tod.schema import SCHEMAS

_INTENTS = ("Inform", "inform ", "REQUEST", "Recommend", "NoOffer", "bye", "Book", "Nope", "")
_DOMAINS = ("restaurant", " Hotel", "TRAIN", "general", "taxi", "nowhere")
_SLOTS = ("", "area", "Price", "addr", "ref", "leaveAt", "name", "bogus")
_VALUES = ("", " north ", "?", "cheap", "12:30", "x" * 199)


def _outcome(fn, raw, i, vocab):
    try:
        return fn(raw, i, vocab)
    except _ActError as exc:
        return ("error", str(exc))


def test_kept_acts_read_as_the_plain_reading_and_refusals_name_their_index() -> None:
    vocab, plain = ActVocabulary(SCHEMAS), ActVocabulary(SCHEMAS)
    n = 0
    for k, raw in enumerate(itertools.product(_INTENTS, _DOMAINS, _SLOTS, _VALUES)):
        for form in (list(raw), tuple(raw), list(raw[:2]), list(raw[:3])):
            for i in (k % 3, 7):  # twice, at two indices: the second time from the memo
                got, want = _outcome(_one_act, form, i, vocab), _outcome(_read_act, form, i, plain)
                assert got == want, (form, i)
                n += got[0] != "error"
    assert n > 100 and vocab.__dict__["_act_memo"]
    first = _one_act(["inform", "hotel", "area", "north"], 0, vocab)
    first.append("mutated")  # callers get their own list
    assert _one_act(["inform", "hotel", "area", "north"], 0, vocab) == ["Inform", "hotel", "area", "north"]


@pytest.mark.parametrize("action", [
    {"acts": [["Inform", "hotel", "area", "north"]], "calls": [{"name": "find_hotel", "arguments": {"area": "north"}}]},
    {"calls": [{"name": "find_hotel", "arguments": {"area": "north"}}, {"name": "book_hotel", "arguments": {}}]},
    {"acts": [["Request", "hotel", "area", ""]], "calls": []},
    {"acts": [["bye", "general"]], "end": True},
    {"calls": [{"name": "end_conversation", "arguments": {}}]},
    {"calls": [{"name": "find_hotel", "arguments": {"area": 3}}]},
])
def test_flat_action_calls_match_the_parser(action, monkeypatch) -> None:
    import coalm_env.acts as A

    vocab = ActVocabulary(SCHEMAS)
    fast = parse_act_action(action, vocab, 8)
    monkeypatch.setattr(A, "_flat", lambda _action, _max: None)  # the slow path: structure walk, then the calls
    slow = parse_act_action(action, vocab, 8)
    assert (fast.error, fast.acts, [c.to_dict() for c in fast.calls], fast.end) == \
           (slow.error, slow.acts, [c.to_dict() for c in slow.calls], slow.end)
    if not fast.error:
        names = [c["name"] for c in action.get("calls", [])]
        assert [c.name for c in fast.calls] == names
        assert len({id(c) for c in fast.calls}) == len(names)


def test_act_json_equals_the_listed_encoding_for_every_sequence_form():
    from collections import namedtuple

    from coalm_env.acts import _ACT_ENCODER, act_json

    point = namedtuple("point", "intent domain slot value")
    forms = [[["Inform", "restaurant", "food", "é"]], (("Request", "hotel", "area", "?"), ["Bye", "general", "none", "none"]),
             [], [point("Inform", "taxi", "phone", "1")], [("a", "b", "c", "d")] * 3]
    for acts in forms:
        plain = _ACT_ENCODER.encode([list(a) for a in acts])
        assert act_json(acts) == plain
        assert act_json(iter(acts)) == plain  # a one-pass iterable is read once
        assert act_json(x for x in acts) == plain
