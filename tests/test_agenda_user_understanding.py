"""The agenda user reads agent text through the shared understanding (issue 14), on top of its own
patterns: each sentence here is one the pattern reader alone missed."""

from __future__ import annotations

import pytest

from coalm_env.domains.tod.understanding import Understanding
from coalm_env.text import mentions
from simulators.agenda import understand
from test_agenda_user import RESTAURANT, Episode


def _episode(goal: dict, **kwargs) -> Episode:
    ep = Episode(goal, **kwargs)
    if getattr(ep.context.vocab, "understanding", None) is None:  # a vocabulary without one: give it one
        ep.context.vocab.understanding = Understanding.fallback(ep.context.vocab.names)
    return ep


class _Plain:
    """A context without a vocabulary: the pattern reader alone."""

    def __init__(self, context):
        self.names, self.lexicon = context.names, context.lexicon


@pytest.mark.parametrize("no_match", [
    "My search came up empty.",
    "I'm not finding any korean places in the centre, sorry.",
])
def test_no_match_phrasings(no_match):
    goal = {"restaurant": {**RESTAURANT, "fail_info": {"food": "korean", "area": "centre", "pricerange": "cheap"}}}
    ep = _episode(goal, max_constraints_per_turn=3)
    assert not understand.read(no_match, _Plain(ep.context), ["restaurant"]).failures  # missed before
    ep.say(no_match)
    assert ["reqalts", "restaurant", "food", "italian"] in ep.turn.acts
    assert mentions(ep.text, "italian")


@pytest.mark.parametrize("failure", [
    "The golden kitchen can't take a booking at that time.",
    "Sorry, 19:00 isn't available at the golden kitchen.",
])
def test_booking_failure_phrasings(failure):
    goal = {"restaurant": {**RESTAURANT, "fail_book": {"time": "19:00"}}}
    ep = _episode(goal, unavailable={"restaurant": [{"people": "2", "day": "tuesday", "time": "19:00"}]})
    ep.say("I found the golden kitchen, phone 01223 111111.")
    assert ["book", "restaurant", "time", "19:00"] in ep.turn.acts
    assert not [f for f in understand.read(failure, _Plain(ep.context), ["restaurant"]).failures
                if f[0] == "book_failed"]  # missed before
    ep.say(failure)
    assert ["reqalts", "restaurant", "time", "18:00"] in ep.turn.acts


def test_the_recommended_one_is_taken_among_several_that_fit():
    goal = {"restaurant": {"info": {"area": "centre", "pricerange": "cheap"}, "reqt": ["phone"]}}
    ep = _episode(goal, max_constraints_per_turn=2)
    reply = "There are options including Red Dragon and Royal Grill. I'd suggest The Golden Kitchen."
    assert understand.read(reply, _Plain(ep.context), ["restaurant"]).offers["restaurant"][0] == "red dragon"
    ep.say(reply)
    assert ep.achieved["restaurant"]["entity"] == "the golden kitchen"


def test_a_name_said_only_as_unavailable_is_not_taken_first():
    goal = {"restaurant": {"info": {"area": "centre", "pricerange": "cheap"}, "reqt": ["phone"]}}
    ep = _episode(goal, max_constraints_per_turn=2)
    reading = understand.read("Red Dragon is fully booked, but The Golden Kitchen has tables.", ep.context,
                              ["restaurant"])
    assert reading.offers["restaurant"][0] == "the golden kitchen"
    assert set(reading.offers["restaurant"]) == {"red dragon", "the golden kitchen"}  # nothing taken away


@pytest.mark.parametrize("slot, value, text", [
    ("leaveAt", "09:15", "It departs at quarter past nine."),
    ("stars", "4", "Oak Lodge is a four-star guesthouse."),
    ("internet", "no", "Oak Lodge doesn't offer Wi-Fi, I'm afraid."),
])
def test_values_in_other_forms(slot, value, text):
    ep = _episode({"hotel": {"info": {"area": "east"}, "reqt": ["stars"]}})
    vocab = ep.context.vocab
    assert not understand.value_given(slot, value, text, type("V", (), {"clock_time": vocab.clock_time})())
    assert understand.value_given(slot, value, text, vocab)


def test_hotel_values_in_free_text_through_the_understanding():
    ep = _episode({"hotel": {"info": {"area": "east"}, "reqt": ["stars", "internet"]}})
    ep.say("Oak Lodge is a four-star guesthouse in the east. It doesn't offer Wi-Fi.")
    assert ep.achieved["hotel"]["received"] == {"stars": "4", "internet": "no"}


def test_without_an_understanding_the_old_reading_stands():
    ep = Episode({"restaurant": RESTAURANT})
    plain = _Plain(ep.context)
    reading = understand.read("I have Red Dragon and The Golden Kitchen.", plain, ["restaurant"])
    assert reading.offers == {"restaurant": ["red dragon", "the golden kitchen"]} and not reading.failures
