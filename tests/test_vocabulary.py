"""One vocabulary per task-oriented domain: value equality, names, dontcare; the SNG0073 taxi bug; the one
source of the tracked dialogue state (update_state's table, read by JGA)."""

from __future__ import annotations

import pytest
from conftest import need_data

from coalm_env.domains import get_domain
from coalm_env.domains.multiwoz.apis import tracked_state
from coalm_env.domains.multiwoz.jga import reported_states
from coalm_env.domains.tod.vocab import Vocabulary
from coalm_env.env import ConversationEnv
from coalm_env.types import ToolCall


def test_task_oriented_vocabulary() -> None:
    vocab = Vocabulary({"restaurant": ["golden wok"]})
    assert vocab.same_value("time", "9:05", "09:05") and vocab.clock_time("9:05") == "09:05"
    assert vocab.same_value("departure", "The Golden Wok", "golden wok")
    assert vocab.resolve_name("restaurant", "the Golden Wok") == "golden wok"
    assert vocab.resolve_name("restaurant", "no such place") is None
    assert vocab.is_dontcare("don't care") and vocab.is_dontcare("doesn't matter") and not vocab.is_dontcare("")
    assert vocab.matches({"leaveAt": "10:00", "area": "centre"}, {"leaveAt": "9:30", "area": "any"})
    assert not vocab.matches({"arriveBy": "10:00"}, {"arriveBy": "09:30"})


@pytest.fixture(scope="module")
def mwz():
    need_data("multiwoz24")
    return get_domain("multiwoz")


def test_multiwoz_vocabulary_names(mwz) -> None:
    vocab = mwz.vocab
    assert vocab.resolve_name("attraction", "saint johns college") == "saint john's college"
    assert vocab.same_value("departure", "saint johns college", "Saint John's College")
    assert vocab.same_value("type", "guest house", "guesthouse") and vocab.same_value("leaveAt", "7pm", "19:00")


def test_sng0073_taxi_from_a_name_variant_is_accepted(mwz) -> None:
    """book_taxi resolves place names through the vocabulary, and the agenda user compares with it: a taxi
    from "saint johns college" is the taxi from "saint john's college" the goal asks for."""
    scenario = mwz.get_scenario("SNG0073")
    env = ConversationEnv(mwz, user="agenda", max_turns=10)
    env.reset(seed=0, options={"scenario": scenario})
    env.step([ToolCall("book_taxi", {"departure": "saint johns college", "destination": "pizza hut fen ditton",
                                     "leaveAt": "17:15"})])
    booking = env.backend.history[-1][1].value
    assert booking["departure"] == "saint john's college"
    _obs, _r, term, _trunc, info = env.step(f"Your taxi is booked: a {booking['car type']}, phone "
                                            f"{booking['phone']}, reference {booking['reference']}.")
    user = env.trajectory.messages[-1].content
    assert "not what I asked for" not in user
    assert term and info["metrics"]["goal_met"] == 1.0 and info["metrics"]["task_success"] == 1.0


def test_jga_reads_the_state_table_update_state_writes(mwz) -> None:
    scenario = mwz.get_scenario("SNG0073")
    env = ConversationEnv(mwz, user="replay", max_turns=10)
    env.reset(seed=0, options={"scenario": scenario})
    env.step([ToolCall("update_state", {"domain": "taxi", "slot_values": {"departure": " saint johns college ",
                                                                           "leaveAt": "17:15"}})])
    env.step([ToolCall("update_state", {"domain": "taxi", "slot_values": {"leaveAt": None,
                                                                           "destination": "pizza hut fen ditton"}})])
    env.step("Where would you like to go?")
    states = reported_states(env.trajectory)
    assert states[-1] == tracked_state(env.backend.state)
    assert states[-1] == {"taxi": {"departure": "saint johns college", "destination": "pizza hut fen ditton"}}
