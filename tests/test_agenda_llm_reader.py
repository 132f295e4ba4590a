"""The agenda user's optional LLM-backed reading of agent replies (issue 14): off by default, asked only
when the rules read nothing actionable, JSON answers parsed with json (malformed -> the rule reading)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from coalm_env.llm import ScriptedGenerator
from simulators.agenda import AgendaUser
from simulators.agenda.llm_reader import LLMReader, make_reader
from simulators.agenda.understand import read

CTX = SimpleNamespace(names={"restaurant": ["golden wok", "the varsity"], "hotel": ["acorn guest house"]})
#: a booking failure in words the rule patterns do not know
OPAQUE = "Regrettably the venue cannot accommodate your party at that hour."


def test_off_by_default_and_rule_spec():
    assert AgendaUser().reader is None
    assert make_reader("rule") is None and make_reader(None) is None


def test_rules_cannot_read_the_turn():
    r = read(OPAQUE, CTX, ["restaurant"])
    assert not (r.offers or r.asked or r.failures or r.claims_booked or r.proposals or r.confirmations)


def test_unreadable_turn_is_understood_through_the_llm():
    gen = ScriptedGenerator([json.dumps({"offers": {}, "requests": [["time", "restaurant"]],
                                         "no_match": [], "book_failed": ["restaurant"], "booked": False})])
    reader = LLMReader(gen)
    r = read(OPAQUE, CTX, ["restaurant"], fallback=reader)
    assert ("book_failed", "restaurant") in r.failures
    assert ("time", "restaurant") in r.asked
    assert reader.stats == {"calls": 1, "used": 1, "malformed": 0, "errors": 0}
    assert gen.calls[0]["messages"][-1]["content"] == OPAQUE


def test_offered_names_are_the_domains_own():
    gen = ScriptedGenerator(['Sure: {"offers": {"restaurant": ["Golden Wok", "Made Up Diner"]}, "requests": [], '
                             '"no_match": [], "book_failed": [], "booked": false}'])
    r = read("Might I interest you in something from the orient?", CTX, ["restaurant"], fallback=LLMReader(gen))
    assert r.offers == {"restaurant": ["golden wok"]}


def test_malformed_answer_falls_back_to_the_rule_reading():
    for bad in ("not json {", "[1, 2]", '{"offers": [], "requests": []}', '{"requests": [["colour", "restaurant"]]}',
                "__import__('os').system('true')"):
        reader = LLMReader(ScriptedGenerator([bad]))
        r = read(OPAQUE, CTX, ["restaurant"], fallback=reader)
        assert not (r.offers or r.asked or r.failures or r.claims_booked), bad
        assert reader.stats["malformed"] == 1, bad


def test_readable_turns_never_reach_the_llm():
    gen = ScriptedGenerator([])  # would raise if asked
    reader = LLMReader(gen)
    r = read("I'm sorry, there are no restaurants like that. What area would you like?", CTX, ["restaurant"],
             fallback=reader)
    assert r.failures and r.asked and reader.stats["calls"] == 0 and not gen.calls


def test_agenda_user_takes_the_llm_understanding():
    user = AgendaUser(understanding=ScriptedGenerator(["{}"]))
    assert isinstance(user.reader, LLMReader)


def test_user_spec_selects_the_llm_understanding():
    from coalm_env.registry import USERS

    user = USERS.make("agenda:understanding=llm:scripted")
    assert isinstance(user.reader, LLMReader) and user.reader.generator.name == "scripted"
    assert USERS.make("agenda").reader is None
