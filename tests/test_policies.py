"""The rule and random baselines: the rule policy on hand-made conversations over a tiny city, the
random policy's determinism, and both against the agenda user on the travel test split."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalm_env import render
from coalm_env.domains.tod import apis
from coalm_env.domains.tod.db import build_store
from coalm_env.registry import POLICIES
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import Message, ToolCall
from policies.random import RandomPolicy
from policies.rule import RulePolicy

_PLACE = {"address": "1 mill road", "postcode": "cb12ab", "phone": "01223000001"}
WORLD = {
    "restaurant": [
        {"name": "golden curry", "food": "indian", "area": "centre", "pricerange": "expensive", **_PLACE},
        {"name": "the copper wok", "food": "chinese", "area": "north", "pricerange": "cheap",
         "address": "7 king street", "postcode": "cb43xy", "phone": "01223555777"},
        {"name": "jade trattoria", "food": "italian", "area": "centre", "pricerange": "cheap",
         "address": "22 regent street", "postcode": "cb21dp", "phone": "01223987654"},
    ],
    "hotel": [
        {"name": "oak lodge", "type": "guesthouse", "area": "north", "pricerange": "moderate", "stars": "4",
         "parking": "yes", "internet": "yes", **_PLACE},
        {"name": "grand hotel", "type": "hotel", "area": "centre", "pricerange": "expensive", "stars": "5",
         "parking": "no", "internet": "yes", **_PLACE},
    ],
    "attraction": [{"name": "river museum", "type": "museum", "area": "centre", "entrance fee": "free", **_PLACE}],
    "train": [
        {"trainID": "TR1001", "departure": "cambridge", "destination": "ely", "day": "friday", "leaveAt": "09:15",
         "arriveBy": "09:32", "duration": "17 minutes", "price": "5.23 pounds"},
        {"trainID": "TR1002", "departure": "cambridge", "destination": "ely", "day": "friday", "leaveAt": "11:15",
         "arriveBy": "11:32", "duration": "17 minutes", "price": "5.23 pounds"},
        {"trainID": "TR2001", "departure": "ely", "destination": "cambridge", "day": "friday", "leaveAt": "10:00",
         "arriveBy": "10:17", "duration": "17 minutes", "price": "5.23 pounds"},
    ],
}
DOMAINS = ("restaurant", "hotel", "attraction", "train", "taxi")
LEXICON = {d: {s: sorted({r[s] for r in rows if s in r}) for s in ("food", "area", "pricerange", "type", "stars",
                                                                 "parking", "internet", "departure", "destination",
                                                                 "day")}
           for d, rows in WORLD.items()}


class Conversation:
    """A hand-driven episode: user turns in, the policy's calls run on a real backend."""

    def __init__(self, unavailable: dict | None = None):
        self.graph = apis.build_api_graph(DOMAINS, LEXICON)
        state = apis.TodState(view=build_store(WORLD).view(), unavailable=unavailable or {},
                              rng=np.random.default_rng(0))
        self.backend = self.graph.session(state)
        self.vocab = state.vocab  # what the env hands policies as info["vocab"]
        self.messages = [Message("system", "You are a travel assistant.")]
        self.policy = RulePolicy()
        self.calls: list[ToolCall] = []

    def obs(self) -> dict[str, Any]:
        return render.observation(self.messages, self.backend.tool_schemas())

    def act(self) -> Any:
        return self.policy.act([self.obs()], [self.info()])[0]

    def info(self) -> dict[str, Any]:
        return Guarded(vocab=self.vocab)

    def user(self, text: str, max_steps: int = 6) -> str:
        """Say ``text``; run the policy's calls until it replies; return the reply."""
        self.messages.append(Message("user", text))
        for _ in range(max_steps):
            action = self.act()
            if isinstance(action, str):
                self.messages.append(Message("assistant", action))
                return action
            call = action[0]
            call.id = f"call_{len(self.messages)}"
            result = self.backend.call(call)
            self.calls.append(call)
            self.messages += [Message("assistant", "", tool_calls=[call]),
                              Message("tool", result.content(), tool_call_id=call.id, name=call.name)]
        raise AssertionError(f"no reply after {max_steps} steps: {self.calls}")

    def results(self, name: str) -> list[tuple[ToolCall, Any]]:
        return [(c, r) for c, r in self.backend.history if c.name == name]


class Guarded(dict):
    """An info dict that fails the test if a policy reads the scenario or oracle hints."""

    def __getitem__(self, key: str) -> Any:
        assert key not in ("scenario", "oracle_action"), f"policy read info[{key!r}]"
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        assert key not in ("scenario", "oracle_action"), f"policy read info[{key!r}]"
        return super().get(key, default)


def test_searches_with_the_constraints_of_one_sentence() -> None:
    conv = Conversation()
    conv.messages.append(Message("user", "Hi! I'm looking for a cheap italian restaurant in the centre of town."))
    action = conv.act()
    assert isinstance(action, list) and action[0].name == "find_restaurant"
    assert action[0].arguments == {"food": "italian", "area": "centre", "pricerange": "cheap"}


def test_offers_then_answers_a_phone_request_from_the_last_result() -> None:
    conv = Conversation()
    reply = conv.user("I want a cheap italian restaurant in the centre.")
    assert "jade trattoria" in reply
    reply = conv.user("Great, what is their phone number and postcode?")
    assert "01223987654" in reply and "cb21dp" in reply
    assert len(conv.results("find_restaurant")) == 1  # no repeated search with the same constraints


def test_asks_for_missing_booking_slots_then_books() -> None:
    conv = Conversation()
    conv.user("Find me an expensive restaurant serving indian food.")
    reply = conv.user("Could you book a table there?")
    assert "how many people" in reply.lower() and "what day" in reply.lower() and "what time" in reply.lower()
    assert not conv.results("book_restaurant")
    reply = conv.user("For 3 people on saturday at 7:30pm please.")
    call, result = conv.results("book_restaurant")[-1]
    assert call.arguments == {"name": "golden curry", "people": "3", "day": "saturday", "time": "19:30"}
    assert result.ok and result.value["reference"] in reply


def test_reports_a_failed_booking_and_retries_with_the_new_time() -> None:
    full = {"restaurant": [{"name": "golden curry", "people": "2", "day": "friday", "time": "18:00"}]}
    conv = Conversation(unavailable=full)
    reply = conv.user("I need an expensive indian restaurant. Book it for 2 people on friday at 18:00.")
    assert "no availability" in reply and ("another day or time" in reply)
    assert not conv.results("book_restaurant")[-1][1].ok
    reply = conv.user("How about 19:00 instead?")
    call, result = conv.results("book_restaurant")[-1]
    assert call.arguments["time"] == "19:00" and result.ok and result.value["reference"] in reply


def test_no_match_then_a_changed_constraint() -> None:
    conv = Conversation()
    reply = conv.user("Is there a cheap restaurant in the north serving indian food?")
    assert "no restaurant" in reply.lower() and "indian" in reply
    reply = conv.user("What about chinese food then?")
    assert conv.results("find_restaurant")[-1][0].arguments == {"food": "chinese", "area": "north",
                                                                "pricerange": "cheap"}
    assert "copper wok" in reply


def test_train_places_days_and_times() -> None:
    conv = Conversation()
    reply = conv.user("I need a train from cambridge to ely on friday. I want to leave after 10:00.")
    assert conv.results("find_train")[-1][0].arguments == {"departure": "cambridge", "destination": "ely",
                                                           "day": "friday", "leaveAt": "10:00"}
    assert "TR1002" in reply and "11:15" in reply
    reply = conv.user("Please book 2 tickets. How long is the journey and what does it cost?")
    assert conv.results("book_train")[-1][0].arguments == {"trainID": "TR1002", "people": "2"}
    assert "17 minutes" in reply and "5.23 pounds" in reply


def test_train_asks_for_the_missing_key_slots() -> None:
    conv = Conversation()
    reply = conv.user("I need a train to ely.")
    assert "depart" in reply and "what day" in reply and "TR" not in reply


def test_hotel_booking_with_nights_and_a_dontcare() -> None:
    conv = Conversation()
    reply = conv.user("I need a place to stay.")
    assert "area" in reply and not conv.calls
    reply = conv.user("I don't care about the area, but it should have free parking and 4 stars.")
    assert conv.results("find_hotel")[-1][0].arguments == {"area": "dontcare", "parking": "yes", "stars": "4"}
    assert "oak lodge" in reply
    conv.user("Book it for 2 people for 3 nights starting from tuesday.")
    assert conv.results("book_hotel")[-1][0].arguments == {"name": "oak lodge", "people": "2", "day": "tuesday",
                                                           "stay": "3"}


def test_taxi_between_places_seen_in_results() -> None:
    conv = Conversation()
    conv.user("I'm looking for a museum in the centre.")
    conv.user("I also want an expensive indian restaurant.")
    reply = conv.user("I need a taxi from the river museum to the golden curry, I want to arrive by 18:15.")
    call, result = conv.results("book_taxi")[-1]
    assert call.arguments == {"departure": "river museum", "destination": "golden curry", "arriveBy": "18:15"}
    assert result.ok and result.value["car type"] in reply and result.value["phone"] in reply


def test_taxi_asks_for_what_is_missing() -> None:
    conv = Conversation()
    conv.user("I want an expensive indian restaurant.")
    reply = conv.user("Can you get me a taxi to the restaurant?")
    assert "pick you up" in reply and "what time" in reply and not conv.results("book_taxi")
    conv.user("From oak lodge, leaving at 17:45.")
    assert conv.results("book_taxi")[-1][0].arguments == {"departure": "oak lodge", "destination": "golden curry",
                                                          "leaveAt": "17:45"}


def test_closes_politely() -> None:
    conv = Conversation()
    conv.user("I want a cheap chinese restaurant.")
    assert "goodbye" in conv.user("That's all, thank you. Bye!").lower()


def test_stateless_and_batched() -> None:
    conv = Conversation()
    conv.user("I want a cheap italian restaurant in the centre.")
    obs = conv.obs()
    policy = RulePolicy()
    first = policy.act([obs, obs], [conv.info(), conv.info()])
    again = RulePolicy().act([obs], [conv.info()])
    assert first[0] == first[1] == again[0]


# -- random ------------------------------------------------------------------------------------------
def _random_actions(seed: int, episode_ids: Sequence[str], steps: int = 12) -> list[list[str]]:
    obs = Conversation().obs()
    obs["messages"] = obs["messages"] + (render.observation([Message("user", "hello")], [])["messages"][0],)
    policy = RandomPolicy(seed=seed)
    out = [[] for _ in episode_ids]
    for _ in range(steps):
        actions = policy.act([obs] * len(episode_ids), [{"episode_id": e} for e in episode_ids])
        for row, a in zip(out, actions):
            row.append(a if isinstance(a, str) else json.dumps([c.to_dict() for c in a], sort_keys=True))
    return out


def test_random_is_deterministic_per_episode_and_seed() -> None:
    a = _random_actions(0, ["ep1", "ep2"])
    assert a == _random_actions(0, ["ep1", "ep2"])
    assert _random_actions(0, ["ep2"])[0] == a[1]  # independent of the batch it is in
    assert _random_actions(1, ["ep1"])[0] != a[0]
    assert a[0] != a[1]


def test_random_calls_are_schema_valid_and_mixed() -> None:
    conv = Conversation()
    policy = RandomPolicy(seed=3, p_call=0.7)
    kinds = []
    for i in range(60):
        action = policy.act([conv.obs()], [{"episode_id": f"e{i}"}])[0]
        kinds.append(isinstance(action, str))
        if not isinstance(action, str):
            result = conv.backend.call(action[0])
            assert result.ok or result.error["type"] != "invalid_arguments", result.error
    assert 0 < sum(kinds) < len(kinds)
    with pytest.raises(ValueError):
        RandomPolicy(p_call=1.5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=80) | st.sampled_from(
    ["book it", "from ely to", "taxi at 25:99", "for zero people", "any", "the hotel?", "called", "12 12 12"]),
    min_size=1, max_size=4))
def test_rule_policy_never_raises_on_odd_user_text(turns: list[str]) -> None:
    conv = Conversation()
    for text in turns:
        assert isinstance(conv.user(text, max_steps=12), str)


def test_registered_names_resolve() -> None:
    assert isinstance(POLICIES.make("rule"), RulePolicy)
    made = POLICIES.make("random:seed=5,p_call=0.25")
    assert isinstance(made, RandomPolicy) and (made.seed, made.p_call) == (5, 0.25)


def test_rule_far_above_random_on_travel_with_the_agenda_user() -> None:
    runs = {p: run_rollouts(RolloutConfig("coalm/Travel-v0", p, user="agenda", episodes=30, seed=0, split="test"), progress=False)
            for p in ("rule", "random")}
    rule, rand = (runs[p].summary for p in ("rule", "random"))
    assert rule["episodes_with_errors"] == 0 and rand["episodes_with_errors"] == 0
    assert rule["success_rate"] >= 0.8, rule
    assert rand["success_rate"] <= 0.1, rand
    assert rule["metrics"]["inform"] > rand["metrics"]["inform"] + 0.5
