"""The rule policy's reading of human user text (issue 14): one test per phrase class, each a real
MultiWOZ **val** user sentence (ConvLab tokenisation kept, dialogue:turn cited) that the reader before
the shared understanding missed; the last two are synonyms the paraphrasing agenda user says. The policy gets the MultiWOZ vocabulary (and its understanding) as the env hands it.
"""

from __future__ import annotations

import pytest

from tests.rule_nlu_fixtures import mwz  # noqa: F401 (the shared fixture)


def _read(mwz, turns, **kw):
    """The tracked state after ``turns`` (user/assistant texts alternating, user first)."""
    from policies.rule_state import track

    tools, vocab = mwz
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": t, "tool_calls": "", "tool_call_id": "",
                 "name": ""} for i, t in enumerate(turns)]
    return track({"tools": tools, "messages": messages}, vocab.schemas, vocab.understanding)


def _info(st, d):
    return {**st.dom(d).info, **st.dom(d).book}


def test_synonyms_of_area_and_price(mwz) -> None:
    # PMUL4853:8, PMUL0512:6, MUL0337:8
    assert _info(_read(mwz, ["Can you tell me about colleges that are in the center of town ?"]), "attraction") == \
        {"type": "college", "area": "centre"}
    st = _read(mwz, ["Yes I am looking for a restaurant serving Indian food in the city center ."])
    assert _info(st, "restaurant")["area"] == "centre"
    st = _read(mwz, ["I need a restaurant .", "What kind of food would you like?",
                     "I do n't really care what kind of food , but I am on a budget so cheap would be great ."])
    assert _info(st, "restaurant") == {"food": "dontcare", "pricerange": "cheap"}


def test_plural_types(mwz) -> None:
    # SNG1069:0, PMUL3766:0
    assert _info(_read(mwz, ["Are there museums in the town centre ?"]), "attraction") == \
        {"type": "museum", "area": "centre"}
    assert _info(_read(mwz, ["Are there any boating places in Cambridge ?"]), "attraction")["type"] == "boat"


def test_star_ratings_said_other_ways(mwz) -> None:
    # MUL2097:0, MUL0622:2
    st = _read(mwz, ["Hi , I 'd like a hotel with a star of 4 on the east side of town ."])
    assert _info(st, "hotel")["stars"] == "4" and _info(st, "hotel")["area"] == "east"
    st = _read(mwz, ["I need a hotel .", "Any preferences?",
                     "I am looking for one that includes free wifi , and has a star rating of 1"])
    assert _info(st, "hotel")["stars"] == "1"


def test_same_area_copies_the_other_domains_value(mwz) -> None:
    # MUL0046:8 ("I am looking for a guesthouse in the same area as the restaurant .")
    st = _read(mwz, ["I want a cheap restaurant in the west .", "There are a few. Any food preference?",
                     "I am looking for a guesthouse in the same area as the restaurant ."])
    assert _info(st, "hotel")["area"] == "west" and _info(st, "hotel")["type"] == "guesthouse"


def test_same_day_and_group_copy_the_booking(mwz) -> None:
    # PMUL0912:14 ("I want to book it for the same day as the restaurant and the same party .") on a train
    st = _read(mwz, ["Book me a table for 3 people on friday at a cheap restaurant in the west .",
                     "Done. Anything else?", "I also need a train to ely from cambridge .",
                     "What day?", "I want to book it for the same day as the restaurant and the same party ."])
    assert _info(st, "train")["day"] == "friday" and _info(st, "train")["people"] == "3"


def test_dontcare_said_as_a_negation(mwz) -> None:
    # MUL0754:0, MUL0691:2, PMUL0142:2
    st = _read(mwz, ["I 'm looking for a place to stay on my trip to Cambridge . It needs to have free wifi but "
                     "does n't need to have free parking ."])
    assert _info(st, "hotel")["internet"] == "yes" and _info(st, "hotel")["parking"] == "dontcare"
    st = _read(mwz, ["I need a hotel .", "What area would you like?",
                     "The area does n't really matter . But I would want a hotel that includes wifi for free ."])
    assert _info(st, "hotel")["area"] == "dontcare"
    st = _read(mwz, ["I need a hotel .", "Do you have a price range in mind?",
                     "Price is n't important , but I would like a 2 star in the East ."])
    assert _info(st, "hotel") == {"pricerange": "dontcare", "stars": "2", "area": "east"}


def test_station_short_forms(mwz) -> None:
    # MUL1995:4 ("Stansted" = stansted airport)
    st = _read(mwz, ["I need a train on sunday .", "Anything else?",
                     "Yes , I also need a train from Stansted to Cambridge ."])
    assert _info(st, "train")["departure"] == "stansted airport" and _info(st, "train")["destination"] == "cambridge"


def test_names_not_yet_seen_in_a_result(mwz) -> None:
    # PMUL0287:0, PMUL4126:6
    st = _read(mwz, ["What can you tell me about the Riverside Brasserie ?"])
    assert st.dom("restaurant").chosen == "riverside brasserie"
    st = _read(mwz, ["Yes . I am looking for a hotel called carolina bed and breakfast ."])
    assert st.dom("hotel").info.get("name") == "carolina bed and breakfast"


def test_taxi_leaving_a_place_by_a_time(mwz) -> None:
    # PMUL0083:12 ("I need it to leave the restaurant by 19:30 .") in a taxi context
    st = _read(mwz, ["I need a taxi to the Cambridge Belfry .", "Where will you leave from, and when?",
                     "I need it to leave the restaurant by 19:30 ."])
    assert st.dom("taxi").info.get("leaveAt") == "19:30" and "arriveBy" not in st.dom("taxi").info


# -- synonyms the paraphrasing agenda user says (no val user turn has them) -----------------------
def test_car_park_is_parking_not_a_park(mwz) -> None:
    # "park" in "car park" made the old reader search for a park attraction
    st = _read(mwz, ["I need a cheap guesthouse with a car park in the north ."])
    assert _info(st, "hotel") == {"pricerange": "cheap", "type": "guesthouse", "parking": "yes", "area": "north"}
    assert "attraction" not in st.domains


def test_bed_and_breakfast_is_a_guesthouse(mwz) -> None:
    # "bed and breakfast" = guesthouse (not a name)
    st = _read(mwz, ["I 'm looking for a bed and breakfast in the centre ."])
    assert _info(st, "hotel").get("type") == "guesthouse" and _info(st, "hotel")["area"] == "centre"
