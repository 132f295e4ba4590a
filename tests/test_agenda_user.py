"""The agenda user against a small hand-made city, with free-text agent replies in several styles."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalm_env.domains.tod.apis import TodState, build_api_graph
from coalm_env.domains.tod.context import TodContext
from coalm_env.domains.tod.db import build_store
from coalm_env.protocols import UserRequest
from coalm_env.text import mentions
from coalm_env.types import Message, Scenario, StopReason, ToolCall
from simulators.agenda import AgendaUser

TABLES = {
    "restaurant": [
        {"name": "the golden kitchen", "food": "italian", "area": "centre", "pricerange": "cheap",
         "phone": "01223111111", "address": "1 mill road", "postcode": "cb11aa"},
        {"name": "red dragon", "food": "chinese", "area": "centre", "pricerange": "cheap",
         "phone": "01223222222", "address": "2 king street", "postcode": "cb22bb"},
        {"name": "royal grill", "food": "italian", "area": "north", "pricerange": "expensive",
         "phone": "01223333333", "address": "3 hills road", "postcode": "cb33cc"},
    ],
    "hotel": [
        {"name": "oak lodge", "type": "guesthouse", "area": "east", "pricerange": "moderate", "stars": "4",
         "parking": "yes", "internet": "no", "phone": "01223444444", "address": "4 bridge street",
         "postcode": "cb44dd"},
    ],
    "train": [
        {"trainID": "TR1234", "departure": "cambridge", "destination": "ely", "day": "friday", "leaveAt": "09:15",
         "arriveBy": "09:32", "duration": "17 minutes", "price": "4.40 pounds"},
        {"trainID": "TR5678", "departure": "cambridge", "destination": "ely", "day": "friday", "leaveAt": "11:15",
         "arriveBy": "11:32", "duration": "17 minutes", "price": "4.40 pounds"},
    ],
}
DOMAINS = ("restaurant", "hotel", "train", "taxi")
LEXICON = {d: {s: sorted({r[s] for r in rows if s in r}) for s in rows[0] if s not in ("phone", "address")}
           for d, rows in TABLES.items()}
NAMES = {d: [r["trainID" if d == "train" else "name"] for r in rows] for d, rows in TABLES.items()}
STORE = build_store(TABLES)
GRAPH = build_api_graph(DOMAINS, LEXICON)

RESTAURANT = {"info": {"food": "italian", "area": "centre", "pricerange": "cheap"}, "fail_info": {},
              "reqt": ["phone"], "book": {"people": "2", "day": "tuesday", "time": "18:00"}, "fail_book": {}}


class Episode:
    """One conversation between the agenda user and hand-written agent replies."""

    def __init__(self, goal: dict, seed: int = 0, unavailable: dict | None = None, **user_options):
        self.user = AgendaUser(**user_options)
        self.scenario = Scenario(id="t", domain="travel", split="test", goal=goal, tools=list(GRAPH.names))
        self.state = TodState(view=STORE.view(), unavailable=unavailable or {})
        self.backend = GRAPH.session(self.state)
        self.context = TodContext(DOMAINS, LEXICON, NAMES, self.state)
        self.seed = seed
        self.turn = self.user.begin([self._request(None, None)])[0]

    def _request(self, state, text):
        message = None if text is None else Message(role="assistant", content=text)
        return UserRequest(self.scenario, self.seed, [], self.context, state, message)

    def say(self, text):
        self.turn = self.user.respond([self._request(self.turn.state, text)])[0]
        return self.turn

    def book(self, api: str, **args) -> str:
        result = self.backend.call(ToolCall(api, args))
        assert result.ok, result.error
        return result.value["reference"]

    @property
    def text(self) -> str:
        return self.turn.text

    @property
    def achieved(self) -> dict:
        return self.turn.state.achieved()


def test_opening_mentions_goal_constraints():
    for seed in range(5):
        ep = Episode({"restaurant": RESTAURANT}, seed=seed, max_constraints_per_turn=3)
        for value in ("italian", "centre", "cheap"):
            assert mentions(ep.text, value), ep.text
        assert ["inform", "restaurant", "food", "italian"] in ep.turn.acts
    terse = Episode({"restaurant": RESTAURANT}, max_constraints_per_turn=2)
    assert sum(mentions(terse.text, v) for v in ("italian", "centre", "cheap")) == 2


@pytest.mark.parametrize("question, slot, value", [
    ("Which part of town would you like?", "area", "centre"),
    ("Do you have an area preference?", "area", "centre"),
    ("What price range are you looking for?", "pricerange", "cheap"),
    ("Sure. What is your budget?", "pricerange", "cheap"),
    ("What kind of cuisine do you fancy?", "food", "italian"),
])
def test_answers_requested_slots(question, slot, value):
    ep = Episode({"restaurant": RESTAURANT}, max_constraints_per_turn=1)
    ep.say(question)
    assert ["inform", "restaurant", slot, value] in ep.turn.acts
    assert mentions(ep.text, value)
    assert ep.turn.stop is None


@pytest.mark.parametrize("question, slot, value", [
    ("For how many people?", "people", "2"),
    ("How many guests will be joining you?", "people", "2"),
    ("Which day would you like the table for?", "day", "tuesday"),
    ("What time should I reserve it for?", "time", "18:00"),
    ("Please let me know the party size.", "people", "2"),
])
def test_answers_booking_questions_after_an_offer(question, slot, value):
    ep = Episode({"restaurant": RESTAURANT})
    ep.say(f"The Golden Kitchen is a cheap italian place in the centre. {question}")
    assert ["book", "restaurant", slot, value] in ep.turn.acts
    assert ep.achieved["restaurant"]["entity"] == "the golden kitchen"


def test_slot_outside_the_goal_is_dontcare_and_train_questions():
    ep = Episode({"restaurant": {**RESTAURANT, "info": {"food": "italian"}}})
    ep.say("Do you have a price range in mind?")
    assert ["inform", "restaurant", "pricerange", "dontcare"] in ep.turn.acts
    train = {"info": {"departure": "cambridge", "destination": "ely", "day": "friday", "leaveAt": "10:00"},
             "reqt": ["price"], "book": {}}
    ep = Episode({"train": train}, max_constraints_per_turn=1)
    ep.say("Where will you be travelling to? And when would you like to leave?")
    acts = {(a[2], a[3]) for a in ep.turn.acts}
    assert {("destination", "ely"), ("leaveAt", "10:00")} <= acts
    ep.say("Where are you departing from?")
    assert ["inform", "train", "departure", "cambridge"] in ep.turn.acts


def test_confirmation_question_is_not_a_request():
    ep = Episode({"restaurant": RESTAURANT})
    ep.say("The Golden Kitchen fits. Shall I book it for 2 people?")
    assert all(a[2] != "people" or a[0] == "book" for a in ep.turn.acts)
    assert ep.turn.meta["progress"]


def test_yes_no_questions_are_confirmed_or_corrected():
    ep = Episode({"restaurant": RESTAURANT})
    ep.say("The Golden Kitchen is a good fit. Shall I reserve a table for 2 on Tuesday at 6pm?")
    assert ep.turn.acts[0] == ["affirm", "restaurant", "booking", ""] and ep.turn.meta["progress"]
    ep = Episode({"restaurant": RESTAURANT})
    ep.say("The Golden Kitchen is a good fit. Would you like me to book it for 3 people?")
    assert ep.turn.acts[0] == ["negate", "restaurant", "booking", ""]
    assert ["book", "restaurant", "people", "2"] in ep.turn.acts
    ep.say("Would you like me to book it for 3 people?")  # the same mistake again: no progress
    assert ep.turn.acts[0] == ["negate", "restaurant", "booking", ""] and not ep.turn.meta["progress"]
    ep = Episode({"restaurant": RESTAURANT})
    ep.say("Just to confirm: you'd like a cheap italian restaurant in the centre?")
    assert ep.turn.acts[0] == ["affirm", "restaurant", "", ""]
    ep.say("So an expensive italian restaurant in the centre, is that right?")
    assert ep.turn.acts[:2] == [["negate", "restaurant", "booking", ""], ["inform", "restaurant", "pricerange",
                                                                            "cheap"]]


def test_questions_as_a_list_and_a_pick_among_several_offers():
    ep = Episode({"restaurant": RESTAURANT}, max_constraints_per_turn=1)
    ep.say("Happy to help! To narrow it down, please tell me:\n- your preferred area\n- your budget")
    assert {("area", "centre"), ("pricerange", "cheap")} <= {(a[2], a[3]) for a in ep.turn.acts}
    ep.say("I have two options:\n1. **Red Dragon** (chinese)\n2. **The Golden Kitchen** (italian)")
    assert ep.achieved["restaurant"]["entity"] == "the golden kitchen"
    assert ep.text.lower().startswith("the golden kitchen sounds good")


def test_values_in_free_text():
    goal = {"hotel": {"info": {"area": "east"}, "reqt": ["parking", "internet", "stars", "postcode"]}}
    ep = Episode(goal)
    ep.say("Oak Lodge has 4 stars and free parking, but no wifi. Postcode: CB4 4DD.")
    assert ep.turn.stop is StopReason.GOAL_MET
    assert ep.achieved["hotel"]["received"] == {"parking": "yes", "internet": "no", "stars": "4",
                                                "postcode": "cb44dd"}


def test_rejects_an_offer_that_does_not_fit_and_accepts_one_that_does():
    ep = Episode({"restaurant": RESTAURANT}, max_constraints_per_turn=1)  # told only the food
    ep.say("How about Royal Grill? It serves lovely italian food.")
    assert ep.turn.acts[0] == ["negate", "restaurant", "name", "royal grill"]
    assert {"area", "pricerange"} <= {a[2] for a in ep.turn.acts}
    assert ep.achieved["restaurant"]["entity"] is None
    ep.say("Then I recommend Red Dragon or golden kitchen, both cheap and central.")
    assert ep.achieved["restaurant"]["entity"] == "the golden kitchen"


@pytest.mark.parametrize("no_match", [
    "I'm sorry, there are no korean restaurants in the centre.",
    "Unfortunately I couldn't find anything like that.",
    "Nothing matches korean food in the centre, I'm afraid.",
    "I don't have any korean places. Would you like something else?",
])
def test_fail_info_switches_after_no_match(no_match):
    goal = {"restaurant": {**RESTAURANT, "fail_info": {"food": "korean", "area": "centre", "pricerange": "cheap"}}}
    ep = Episode(goal, max_constraints_per_turn=3)
    assert mentions(ep.text, "korean") and not mentions(ep.text, "italian")
    ep.say(no_match)
    assert ["reqalts", "restaurant", "food", "italian"] in ep.turn.acts
    assert mentions(ep.text, "italian")
    assert not ep.achieved["restaurant"]["fail_info_active"]


def test_no_match_on_final_constraints_is_disputed():
    ep = Episode({"restaurant": RESTAURANT}, max_constraints_per_turn=3)
    ep.say("Sorry, there are no restaurants matching that.")
    assert ep.turn.acts[0] == ["negate", "restaurant", "result", ""]
    assert not ep.turn.meta["progress"]


@pytest.mark.parametrize("failure", [
    "I'm afraid the golden kitchen is fully booked at that time.",
    "Unfortunately the booking failed. Would another time work?",
    "Sorry, there is no availability for 19:00.",
])
def test_fail_book_switches_after_a_failed_booking(failure):
    goal = {"restaurant": {**RESTAURANT, "fail_book": {"time": "19:00"}}}
    ep = Episode(goal, unavailable={"restaurant": [{"people": "2", "day": "tuesday", "time": "19:00"}]})
    ep.say("I found the golden kitchen, phone 01223 111111.")
    assert ["book", "restaurant", "time", "19:00"] in ep.turn.acts
    ep.say(failure)
    assert ["reqalts", "restaurant", "time", "18:00"] in ep.turn.acts
    assert ep.achieved["restaurant"]["fail_book_active"] is False
    ref = ep.book("book_restaurant", name="the golden kitchen", people="2", day="tuesday", time="18:00")
    ep.say(f"Done! Table for two on Tuesday at 6 pm, reference {ref}.")
    assert ep.turn.stop is StopReason.GOAL_MET


def test_goal_met_only_with_requested_info_and_a_real_reference():
    ep = Episode({"restaurant": RESTAURANT})
    ep.say("You could try the golden kitchen.")
    assert ep.turn.stop is None and ep.achieved["restaurant"]["entity"] == "the golden kitchen"
    ep.say("Its number is 01223-111-111.")
    assert ep.achieved["restaurant"]["received"] == {"phone": "01223111111"}
    ep.say("I have booked it for you, reference ABCD1234.")  # invented reference: not a booking
    assert ep.turn.stop is None and ep.achieved["restaurant"]["reference"] is None
    assert ["request", "restaurant", "reference", "?"] in ep.turn.acts
    wrong = ep.book("book_restaurant", name="the golden kitchen", people="3", day="tuesday", time="18:00")
    ep.say(f"Booked, your reference is {wrong}.")
    assert ep.turn.acts[0][:3] == ["negate", "restaurant", "reference"] and ep.turn.stop is None
    ref = ep.book("book_restaurant", name="the golden kitchen", people="2", day="tuesday", time="18:00")
    ep.say(f"Sorry about that: the right booking is {ref}.")
    assert ep.turn.stop is StopReason.GOAL_MET
    assert ep.achieved["restaurant"] == {"done": True, "entity": "the golden kitchen", "reference": ref,
                                         "received": {"phone": "01223111111", "reference": ref},
                                         "fail_info_active": False, "fail_book_active": False}


def test_train_and_taxi_goal_met():
    goal = {"train": {"info": {"departure": "cambridge", "destination": "ely", "day": "friday", "leaveAt": "10:00"},
                      "reqt": ["duration", "trainID", "reference"], "book": {"people": "3"}},
            "taxi": {"info": {"departure": "oak lodge", "destination": "red dragon", "arriveBy": "19:30"},
                     "reqt": ["car type", "phone"]}}
    ep = Episode(goal)
    ep.say("TR1234 leaves too early, but TR5678 departs at 11:15 and takes 17 minutes.")
    assert ep.achieved["train"]["entity"] == "TR5678"
    ref = ep.book("book_train", trainID="TR5678", people="3")
    ep.say(f"Booked 3 seats, reference {ref}.")
    assert ep.achieved["train"]["done"] and ep.turn.stop is None
    taxi = ep.backend.call(ToolCall("book_taxi", {"departure": "oak lodge", "destination": "red dragon",
                                                   "arriveBy": "19:30"})).value
    ep.say(f"A {taxi['car type']} will take you; the driver's number is {taxi['phone']}.")  # no reference said
    assert ep.turn.stop is StopReason.GOAL_MET


def test_patience_runs_out_and_resets_on_progress():
    ep = Episode({"restaurant": RESTAURANT}, patience=3)
    ep.say("Hello!")  # nothing new: the user goes on with its agenda (the price range)
    assert not ep.turn.meta["progress"] and ep.turn.meta["patience"] == 2 and mentions(ep.text, "cheap")
    ep.say("What area?")  # already said in the opening: no progress
    assert not ep.turn.meta["progress"] and ep.turn.meta["patience"] == 1
    ep.say("How many people will be dining?")  # not said yet: progress, patience back to 3
    assert ep.turn.meta["progress"] and ep.turn.meta["patience"] == 3
    for _ in range(2):
        ep.say("I am a helpful assistant.")
        assert ep.turn.stop is None
    ep.say("Let me think.")
    assert ep.turn.stop is StopReason.USER_GAVE_UP and ep.turn.acts == [["bye", "general", "gave_up", ""]]
    assert ep.say("anything").text == "" and ep.turn.stop is StopReason.USER_GAVE_UP


def test_deterministic_per_seed():
    replies = ["Which area?", "How about the golden kitchen?", "For how many people?", "Anything else?"]

    def run(seed):
        ep = Episode({"restaurant": RESTAURANT, "hotel": {"info": {"type": "guesthouse"}, "reqt": ["stars"]}},
                     seed=seed)
        return [ep.text] + [ep.say(r).text for r in replies]

    assert run(3) == run(3)
    assert len({tuple(run(s)) for s in range(6)}) > 1
    ep = Episode({"restaurant": RESTAURANT})
    request = ep._request(ep.turn.state, "How about the golden kitchen?")
    first, again = (ep.user.respond([request])[0] for _ in range(2))  # the state handed in is not changed
    assert (first.text, first.acts) == (again.text, again.acts) and ep.turn.state.turn == 0


_JUNK = st.one_of(
    st.text(max_size=300),
    st.builds(json.dumps, st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                                       lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c,
                                                                                           max_size=4))),
    st.sampled_from(["", " ", "?" * 5000, "TR1234 " * 3000, "\x00\u202e\ud7ff", "golden kitchen!!! ABCD1234",
                     "no no no unfortunately fully booked", "where from to when what time how many?"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies=st.lists(_JUNK, min_size=1, max_size=4), seed=st.integers(0, 2**32))
def test_never_raises_on_junk(replies, seed):
    ep = Episode({"restaurant": {**RESTAURANT, "fail_info": {"food": "korean"}}, "train": {
        "info": {"departure": "cambridge", "destination": "ely", "day": "friday", "leaveAt": "10:00"},
        "reqt": ["price"], "book": {"people": "1"}}}, seed=seed)
    for reply in replies:
        turn = ep.say(reply)
        assert isinstance(turn.text, str)
        assert turn.stop in (None, StopReason.USER_GAVE_UP, StopReason.GOAL_MET)
        assert all(len(a) == 4 for a in turn.acts)


def test_mention_index_spots_names_without_the_and_possessives():
    from coalm_env.text import MentionIndex

    index = MentionIndex(["the golden kitchen", "golden kitchen house", "TR1234", "red dragon"])
    text = "Golden Kitchen's menu, the golden kitchen house, tr1234 and Red-Dragon; not golden or kitchen."
    assert index.find(text) == ["the golden kitchen", "golden kitchen house", "TR1234", "red dragon"]
    assert index.find("") == [] and index.find("the the") == []
