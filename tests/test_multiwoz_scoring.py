"""MultiWOZ scoring on hand-made trajectories: offered venues, requestables, bookings, and JGA."""

from __future__ import annotations

import pytest
from conftest import need_data
from multiwoz_play import play

from coalm_env.domains import get_domain
from coalm_env.domains.multiwoz.jga import reported_states, slot_equal, state_equal
from coalm_env.types import StepRecord, ToolCall, Trajectory

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def mwz():
    need_data("multiwoz24")
    return get_domain("multiwoz")


def _play(mwz, scenario, script, users=()):
    """Run ``script`` (ToolCalls and reply strings) on a fresh backend; score the trajectory."""
    return play(mwz, scenario, script, users)


def _restaurant_scenario(mwz):
    return next(s for s in mwz.scenarios("test") if list(s.goal) == ["restaurant"] and not s.goal["restaurant"]["book"]
                and {"phone", "address"} <= set(s.goal["restaurant"]["reqt"]) and "name" not in s.goal["restaurant"]["info"])


def test_inform_needs_the_last_offered_venue_to_fit_and_success_its_requestables(mwz):
    s = _restaurant_scenario(mwz)
    info = s.goal["restaurant"]["info"]
    good = mwz.database.query(None, "restaurant", info)[0]
    wrong = next(r for r in mwz.database.tables["restaurant"] if not mwz.database.query(None, "restaurant",
                                                                                         {**info, "name": r["name"]}))
    facts = f"The phone is {good['phone']} and the address is {good['address']}, postcode {good['postcode']}."
    ok, _ = _play(mwz, s, [f"How about {good['name'].title()}? {facts}"])
    assert ok["inform"] == 1.0 and ok["success"] == 1.0 and ok["task_success"] == 1.0  # no booking in this goal
    assert ok["inform_recall"] > 0
    switched, _ = _play(mwz, s, [f"How about {good['name']}? {facts}", f"Or rather {wrong['name']}."])
    assert switched["inform"] == 0.0 and switched["success"] == 0.0
    silent, _ = _play(mwz, s, [f"How about {good['name']}?"])
    assert silent["inform"] == 1.0 and silent["success"] == 0.0
    nothing, _ = _play(mwz, s, ["Goodbye."])
    assert nothing["inform"] == 0.0


def test_book_rate_reference_and_booking_failure(mwz):
    s = mwz.get_scenario("MUL0671")  # hotel: 5 nights fails, 4 nights works; train asks for the trainID
    hotel = s.goal["hotel"]
    entity = mwz.database.query(None, "hotel", hotel["info"])[0]["name"]
    failed, backend = _play(mwz, s, [ToolCall("book_hotel", {"name": entity, **hotel["book"], **hotel["fail_book"]})])
    assert failed["book_rate"] == 0.0 and failed["book"] == 0.0
    assert backend.history[0][1].error["type"] == "booking_failed"
    train = mwz.database.query(None, "train", s.goal["train"]["info"])[0]["trainID"]
    calls = [ToolCall("book_hotel", {"name": entity, **hotel["book"]})]
    booked, backend = _play(mwz, s, calls + [f"Booked {entity}."])
    assert booked["book_rate"] == 1.0 and booked["book"] == 1.0 and booked["success"] == 0.0  # no reference given
    ref = backend.history[0][1].value["reference"]
    done, _ = _play(mwz, s, calls + [f"Booked {entity}, reference {ref}. Take {train}."])
    assert done["success"] == 1.0 and done["inform"] == 1.0
    elsewhere = next(r["name"] for r in mwz.database.tables["hotel"] if r["area"] != hotel["info"]["area"])
    wrong, _ = _play(mwz, s, [ToolCall("book_hotel", {"name": elsewhere, **hotel["book"]})])
    assert 0.0 <= wrong["book_rate"] < 1.0 and wrong["book"] == 0.0


def test_mwzeval_special_rules(mwz):
    s = mwz.get_scenario("PMUL4648")  # attraction by name, restaurant by constraints
    assert "name" in s.goal["attraction"]["info"]
    restaurant = mwz.database.query(None, "restaurant", s.goal["restaurant"]["info"])[0]
    scores, _ = _play(mwz, s, [f"{restaurant['name']} is at {restaurant['address']}."])
    assert scores["inform"] == 1.0  # the named attraction counts as matched without being offered
    train_only = next(t for t in mwz.scenarios("test") if list(t.goal) == ["train"]
                      and "trainID" not in t.goal["train"]["reqt"] and not t.goal["train"]["book"])
    assert _play(mwz, train_only, ["Goodbye."])[0]["inform"] == 1.0  # no train offered, trainID not asked


@pytest.mark.parametrize(("slot", "pred", "gold", "same"), [
    ("time", "7pm", "19:00", True), ("name", "The Gonville Hotel", "gonville hotel", True),
    ("area", "don't care", "dontcare", True), ("pricerange", "moderate", "cheap|moderate", True),
    ("leaveAt", "20:00", "21:00>20:00", True), ("type", "guest house", "guesthouse", True),
    ("internet", "free", "yes", True), ("departure", "saint johns college", "saint john's college", True),
    ("area", "north", "south", False), ("area", "north", None, False), ("area", None, "north", False),
    ("area", "", None, True), ("pricerange", "expensive", "cheap|moderate", False),
])
def test_jga_slot_normalisation(slot, pred, gold, same):
    assert slot_equal(slot, pred, gold) is same


def test_state_equal_is_joint_over_all_slots():
    gold = {"hotel": {"area": "north", "stars": "4"}, "taxi": {"leaveAt": "17:15"}}
    assert state_equal({"hotel": {"area": "North", "stars": "4 star"}, "taxi": {"leaveAt": "5:15 pm"}}, gold)
    assert not state_equal({"hotel": {"area": "north", "stars": "4"}}, gold)
    assert not state_equal({**gold, "train": {"day": "monday"}}, gold)


def test_reported_state_comes_from_update_state_else_from_searches(mwz):
    s = _restaurant_scenario(mwz)
    info = s.goal["restaurant"]["info"]
    _, backend = _play(mwz, s, [ToolCall("update_state", {"domain": "restaurant", "slot_values": info})])
    assert backend.state.view.get("dialogue_state", "restaurant") == info
    bad = backend.call(ToolCall("update_state", {"domain": "restaurant", "slot_values": {"stars": "4"}}))
    assert bad.error["type"] == "invalid_arguments"
    traj = Trajectory("x", "y", "multiwoz", "test", steps=[
        StepRecord(0, 0, None, "tool_calls", calls=[ToolCall("find_restaurant", info)], results=[backend.history[0][1]]),
        StepRecord(1, 0, None, "reply", reply="ok")])
    assert reported_states(traj) == [{"restaurant": dict(info)}]
