"""More phrase classes of the rule policy's reading of human user text (issue 14, second pass): each a
real MultiWOZ **val** user sentence (ConvLab tokenisation kept, dialogue:turn cited) that the reader
missed, walked the way ``experiments.rule_nlu_eval`` walks val dialogues (the wizard's turns stand in
for the policy's replies, the names it mentions for tool results); the first two are what the
paraphrasing agenda user says (no val user turn has them)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import need_data


@pytest.fixture(scope="module")
def mwz():
    need_data("multiwoz24")
    import gymnasium as gym

    import coalm_env  # noqa: F401

    env = gym.make("coalm/MultiWOZ-v0", user="replay", split="val")
    obs, info = env.reset(seed=0)
    env.close()
    return obs["tools"], info["vocab"]


def _walk(mwz, turns, known=None):
    """The tracked state after ``turns`` (user/wizard texts alternating, user first); ``known``: entity
    names the agent has seen (name -> domain), as tool results would give them."""
    from coalm_env.types import Message
    from policies.rule_lexicon import Ontology
    from policies.rule_state import DialogueState, _step

    tools, vocab = mwz
    st = DialogueState(Ontology.from_tools(tools, vocab.schemas, vocab.understanding))
    st.known.update(known or {})
    for i, text in enumerate(turns):
        _step(st, Message(role="user" if i % 2 == 0 else "assistant", content=text), {})
    return st


def _info(st, d):
    return {**st.dom(d).info, **st.dom(d).book}


# -- the paraphrasing agenda user's words --------------------------------------------------------
def test_a_place_to_park_is_parking_not_a_park(mwz) -> None:
    # travel-test-00007: "Is there a place to park?" searched for a park attraction
    st = _walk(mwz, ["I need an expensive hotel in the west .", "I would recommend the oak suites.",
                     "Right. that sounds good. Is there a place to park?"], {"the oak suites": "hotel"})
    assert "parking" in st.dom("hotel").requested and "attraction" not in st.domains
    st = _walk(mwz, ["I need a cheap guesthouse with somewhere to park the car ."])
    assert _info(st, "hotel").get("parking") == "yes" and "attraction" not in st.domains


def test_guest_house_names_said_as_bed_and_breakfast(mwz) -> None:
    # travel-test-00197: "a taxi leaving from bright house to bright bed and breakfast" (bright guest house)
    st = _walk(mwz, ["I need a taxi leaving from bright house to bright bed and breakfast at 13:00 ."],
               {"bright guest house": "hotel", "bright house": "restaurant"})
    assert st.dom("taxi").info.get("destination") == "bright guest house"
    # MUL0703:6 ("Alexander B&B" = alexander bed and breakfast)
    st = _walk(mwz, ["I would like to stay in the centre please .",
                     "the Alexander Bed and Breakfast , and the University Arms Hotel .",
                     "On second thought could you book Alexander B&B for Saturday night please ."],
               {"alexander bed and breakfast": "hotel", "university arms hotel": "hotel"})
    assert st.dom("hotel").chosen == "alexander bed and breakfast"


# -- MultiWOZ val user turns ----------------------------------------------------------------------
def test_implicit_acceptance_of_an_offer(mwz) -> None:
    # MUL1381:2
    st = _walk(mwz, ["I 'm looking for an expensive Indian restaurant .",
                     "I have 5 . How about the curry garden ? They serve indian food and is in the expensive "
                     "price range .", "That sounds great can I get their address and phone number"],
               {"curry garden": "restaurant"})
    assert st.dom("restaurant").chosen == "curry garden"
    # a refusal or a new constraint is no acceptance
    st = _walk(mwz, ["I 'm looking for an expensive Indian restaurant .", "How about the curry garden ?",
                     "Is there one in the north instead ?"], {"curry garden": "restaurant"})
    assert st.dom("restaurant").chosen is None
    # MUL1276 (replay): "Hotel would be better , can I get a phone number for one please ?" asks for another type
    st = _walk(mwz, ["Can you help me find a place to stay in the centre with a 4 star rating ?",
                     "I would recommend alexander bed and breakfast, a 4 star guesthouse in the centre.",
                     "Hotel would be better , can I get a phone number for one please ?"],
               {"alexander bed and breakfast": "hotel"})
    assert st.dom("hotel").chosen is None


def test_taxi_arriving_for_the_restaurant_booking(mwz) -> None:
    # MUL0915:8, PMUL4400:12
    st = _walk(mwz, ["Yes please I need a table for 6 people at 15:15 on sunday and need a reference number .",
                     "Great , I have booked your table for 6 at 15:15 on sunday .",
                     "Thank you . I 'll need a cab from the church to the restaurant that arrives by my booking time ."])
    assert st.dom("taxi").info.get("arriveBy") == "15:15"
    st = _walk(mwz, ["book me a restaurant table for 5 people on Tuesday at 14:45 .", "Reference number is : 0XFPI4IB .",
                     "Yes .   I would like a taxi from the nightclub to the restaurant in time for my reservation ."])
    assert st.dom("taxi").info.get("arriveBy") == "14:45"


def test_taxi_places_only_the_ontology_knows(mwz) -> None:
    # SNG02214:0-like taxi turn with an ontology place never seen in a result
    st = _walk(mwz, ["I need a taxi to take me to the museum of archaelogy and anthropology from the cambridge "
                     "chop house at 17:00 ."])
    assert st.dom("taxi").info.get("destination") == "museum of archaelogy and anthropology"


def test_station_with_an_apostrophe(mwz) -> None:
    # MUL0675:8 (was read as king's college)
    st = _walk(mwz, ["Can you also help me find a train to Cambridge that arrives by 9:30 ?",
                     "What day do you need , and where are you departing from ?",
                     "I 'd like to leave on Monday , from London King 's Cross ."])
    assert _info(st, "train").get("departure") == "london kings cross" and "attraction" not in st.domains


def test_station_without_a_cue_answers_the_question(mwz) -> None:
    # PMUL1067:2 (test dialogue seen in the replay rollout; the same frame as val MUL0207:2) - "Cambridge"
    # answers "where are you going?", not the departure
    st = _walk(mwz, ["I want a train leaving from kings lynn .",
                     "could you tell me where are you going and on what day you want to travel?",
                     "Cambridge , leaving on Wednesday after 12:00 ."])
    assert _info(st, "train")["departure"] == "kings lynn" and _info(st, "train")["destination"] == "cambridge"


def test_misspelt_day(mwz) -> None:
    # PMUL1768:4
    st = _walk(mwz, ["Yes , could you give me some information on a train ?",
                     "Yes , I need to know where you are leaving from and what city you will be going to ?",
                     "I 'm leaving from bishops stortford and going to cambridge please .",
                     "What day and time do you want to travel ?",
                     "I would like to leave on Firday after 16:00 . Can you provide me with the arrival time ?"])
    assert _info(st, "train")["day"] == "friday"


def test_dining_alone_is_one_person(mwz) -> None:
    # PMUL4702:4; "leave me alone now" (PMUL4993:22) is not a party size
    st = _walk(mwz, ["Can you help me book a table for wednesday ?", "Sure , what time on wednesday ?",
                     "I 'll be dining alone at 15:45 on Wednesday ."])
    assert _info(st, "restaurant")["people"] == "1"
    st = _walk(mwz, ["Can you help me book a table for wednesday ?", "Anything else?", "ok , thanks . leave me alone now ."])
    assert "people" not in _info(st, "restaurant")


# -- what the policy does with it -------------------------------------------------------------------
def _obs(mwz, messages):
    tools, _vocab = mwz
    full = [{"content": "", "tool_call_id": "", "name": "", **m,
             "tool_calls": json.dumps(m["tool_calls"]) if m.get("tool_calls") else ""} for m in messages]
    return {"tools": tools, "messages": full}


def test_a_named_venue_is_searched_by_name_alone(mwz) -> None:
    # MUL2457 (replay): "Curry Prince sounds terrific" after two no-matches for corsica food
    from policies.rule import next_call
    from policies.rule_state import track

    _tools, vocab = mwz
    msgs = [{"role": "user", "content": "I am looking for corsica restaurants in the east of cambridge ."},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "find_restaurant",
                                                                  "arguments": {"food": "corsica", "area": "east"}}]},
            {"role": "tool", "content": json.dumps({"count": 0, "results": []}), "tool_call_id": "c1"},
            {"role": "assistant", "content": "I'm sorry, there is no restaurant matching corsica and east."},
            {"role": "user", "content": "Curry Prince sounds terrific .   I 'll try that out ."}]
    call = next_call(track(_obs(mwz, msgs), vocab.schemas, vocab.understanding))
    assert call is not None and call.name == "find_restaurant" and call.arguments == {"name": "curry prince"}


def test_train_booked_when_the_user_skips_an_asked_key(mwz) -> None:
    # PMUL3549 (replay): asked where from, the user only says "Can you please book me for 3 people ?"
    from policies.rule import next_call
    from policies.rule_state import track

    _tools, vocab = mwz
    result = {"count": 1, "results": [{"trainID": "TR1234", "departure": "cambridge", "destination": "ely",
                                       "day": "thursday", "leaveAt": "12:50", "arriveBy": "13:07"}]}
    msgs = [{"role": "user", "content": "I am looking for a train that leaves after 11:45 going to ely on thursday ."},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "find_train", "arguments": {
                "destination": "ely", "leaveAt": "11:45", "day": "thursday"}}]},
            {"role": "tool", "content": json.dumps(result), "tool_call_id": "c1"},
            {"role": "assistant", "content": "To find the right train, could you tell me where you will be departing from?"}]
    st = track(_obs(mwz, msgs + [{"role": "user", "content": "Yes on thursday"}]), vocab.schemas, vocab.understanding)
    assert next_call(st) is None  # not asked twice yet: no booking without a request either
    msgs.append({"role": "user", "content": "Can you please book me for 3 people ?"})
    call = next_call(track(_obs(mwz, msgs), vocab.schemas, vocab.understanding))
    assert call is not None and call.name == "book_train" and call.arguments == {"trainID": "TR1234", "people": "3"}
