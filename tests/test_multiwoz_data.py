"""MultiWOZ: loading the dialogues, converting the goals, normalising the database, matching rules."""

from __future__ import annotations

import pytest
from conftest import need_data

from coalm_env.domains import get_domain
from coalm_env.domains.multiwoz.values import alternatives, dst_value as canonical, name_spelling_key as name_key
from coalm_env.domains.tod.schema import SCHEMAS

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def mwz():
    need_data("multiwoz24")
    return get_domain("multiwoz")


@pytest.fixture(scope="module")
def test_split(mwz):
    return mwz.scenarios("test")


def test_test_split_holds_the_1000_dialogues_with_goals_turns_and_24_states(mwz, test_split):
    assert len(test_split) == 1000 and len({s.id for s in test_split}) == 1000
    first = test_split[0]
    assert first.id == "multiwoz-test-MUL0484" and first.split == "test"  # testListFile.json order
    assert mwz.get_scenario("MUL0484") is first and mwz.get_scenario("multiwoz-test-MUL0484") is first
    for s in test_split[:50]:
        meta = s.meta
        assert meta["belief_source"] == "mwz24-test-rebuilt"
        assert len(s.user_turns) == len(meta["system_turns"]) == len(meta["gold_states"]) == len(meta["gold_bookings"])
        assert meta["original_goal"]["message"]
    # a 2.4 relabelling the README cites: MUL0454 turn 7 attraction-name becomes two alternatives
    state = mwz.get_scenario("MUL0454").meta["gold_states"][7]
    assert alternatives(state["attraction"]["name"]) == ["adc theatre", "the cambridge corn exchange"]


def test_goal_values_are_normalised_and_the_original_kept(test_split, mwz):
    for s in test_split:
        for d, sub in s.goal.items():
            assert set(sub) >= {"info", "fail_info", "reqt", "book", "fail_book"}
            assert "invalid" not in sub["book"] and "pre_invalid" not in sub["book"]
            assert set(sub["reqt"]) <= set(SCHEMAS[d].requestable)
            if d in ("restaurant", "hotel", "attraction", "train"):
                assert mwz.database.query(None, d, sub["info"]), (s.id, d)  # every final goal is satisfiable
                if sub["fail_info"]:
                    assert not mwz.database.query(None, d, sub["fail_info"]), (s.id, d)
    meze = mwz.get_scenario("PMUL3907")
    assert meze.goal["restaurant"]["info"] == {"name": "meze bar"}
    assert meze.meta["original_goal"]["restaurant"]["info"] == {"name": "meze bar restaurant"}


def test_fail_book_becomes_the_unavailable_booking(mwz):
    s = mwz.get_scenario("MUL0671")  # hotel: 5 nights fails, 4 nights works
    assert s.goal["hotel"]["book"] == {"stay": "4", "day": "saturday", "people": "7"}
    assert s.goal["hotel"]["fail_book"] == {"stay": "5"}
    assert s.initial_state["unavailable"] == {"hotel": [{"stay": "5", "day": "saturday", "people": "7"}]}


def test_taxi_between_two_goal_venues_gets_places_and_sources(mwz, test_split):
    s = mwz.get_scenario("MUL2525")  # the goal says only "commute between the two places", leave 11:45
    taxi = s.goal["taxi"]
    assert taxi["sources"] == {"departure": "hotel", "destination": "attraction"}  # as in the gold dialogue
    assert taxi["info"] == {"departure": "acorn guest house", "destination": "mumford theatre", "leaveAt": "11:45"}
    plan = s.gold.calls
    assert plan[-1].name == "book_taxi" and set(plan[-1].sources) == {"departure", "destination"}
    explicit = mwz.get_scenario("SNG0073").goal["taxi"]
    assert "sources" not in explicit and explicit["info"]["destination"] == "pizza hut fen ditton"
    assert all(set(s.goal["taxi"]["info"]) >= {"departure", "destination"} for s in test_split if "taxi" in s.goal)


def test_database_normalisation(mwz):
    hotel = mwz.database.entity("hotel", "A and B Guest House")
    assert hotel["price"] == "double 70 pounds, family 90 pounds, single 50 pounds" and "location" not in hotel
    assert mwz.database.entity("attraction", "abbey pool and astroturf pitch")["entrance fee"] == "unknown"
    assert "multiple sports" in mwz.database.lexicon["attraction"]["type"]
    assert len(mwz.database.store.view().snapshot("train")) == 2828  # shared trainIDs are all kept
    both = mwz.database.query(None, "train", {"trainID": "TR0942"})
    assert {r["day"] for r in both} == {"monday", "saturday"}
    assert mwz.database.entity("train", "TR0942", {"day": "saturday"})["departure"] == "cambridge"


def test_matching_rules_train_times_dontcare_and_names(mwz):
    q = mwz.database.query
    base = {"departure": "cambridge", "destination": "london kings cross", "day": "monday"}
    after = q(None, "train", {**base, "leaveAt": "17:00"})
    assert after and all(r["leaveAt"] >= "17:00" for r in after)
    assert [r["leaveAt"] for r in after] == sorted(r["leaveAt"] for r in after)
    by = q(None, "train", {**base, "arriveBy": "10:00"})
    assert by and all(r["arriveBy"] <= "10:00" for r in by)
    assert q(None, "train", {**base, "arriveBy": "10:00", "leaveAt": "dontcare"}) == by
    assert len(q(None, "restaurant", {"area": "centre", "food": "dontcare"})) == len(q(None, "restaurant",
                                                                                       {"area": "centre"}))
    for variant in ("Saint John 's College", "saint johns college", "st john's college".replace("st", "saint")):
        assert mwz.database.resolve_name("attraction", variant) == "saint john's college"
    assert mwz.database.resolve_name("hotel", "the Gonville Hotel") == "gonville hotel"
    assert mwz.database.resolve_name("restaurant", "nando's") == "nandos"
    assert mwz.database.resolve_name("restaurant", "no such place") is None


@pytest.mark.parametrize(("slot", "raw", "want"), [
    ("time", "7pm", "19:00"), ("leaveAt", "after 9:30", "09:30"), ("arriveBy", "1715", "17:15"),
    ("time", "7:30 p.m.", "19:30"), ("area", "do n't care", "dontcare"), ("type", "guest house", "guesthouse"),
    ("internet", "free", "yes"), ("stars", "4 star", "4"), ("name", "Nando's", "nandos"), ("area", "none", ""),
])
def test_canonical_values(slot, raw, want):
    assert canonical(slot, raw) == want


def test_name_key_ignores_the_case_and_punctuation():
    assert name_key("The Cambridge Punter") == name_key("cambridge punter")
    assert name_key("Saint John 's College") == name_key("saint johns college")
    assert name_key("pizza hut fenditton") == name_key("pizza hut fen ditton")
