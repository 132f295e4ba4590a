"""The procedural travel domain: world, goals, splits, APIs, gold plans, oracle and scoring."""

from __future__ import annotations

import pytest

from coalm_env.backend.plan import resolve_call
from coalm_env.domains import get_domain
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.travel import TravelDomain
from coalm_env.domains.travel.goals import skeleton_bucket
from coalm_env.domains.travel.world import generate_world
from coalm_env.env import ConversationEnv
from coalm_env.errors import UnknownNameError
from coalm_env.types import Message, StopReason, ToolCall, Trajectory, UserTurn

import numpy as np


class OkUser:
    """Says "ok" until the oracle's script is surely done, then ends satisfied."""

    name = "ok"

    def begin(self, requests):
        return [UserTurn(text="Hello, I need some help.", state=0) for _ in requests]

    def respond(self, requests):
        out = []
        for r in requests:
            n = r.state + 1
            out.append(UserTurn(text="ok", state=n, stop=StopReason.GOAL_MET if n >= 12 else None))
        return out


@pytest.fixture(scope="module")
def travel() -> TravelDomain:
    return get_domain("travel")


def _skeleton(s):
    return tuple((d, str(sorted(g["info"].items()))) for d, g in s.goal.items() if d != "taxi")


def test_world_is_deterministic_and_seeded():
    assert generate_world(3, 0.3) == generate_world(3, 0.3)
    assert generate_world(3, 0.3) != generate_world(4, 0.3)
    world = generate_world(0, 1.0)
    assert len(world["restaurant"]) == 110 and len(world["hotel"]) == 33
    names = [r["name"] for r in world["restaurant"]]
    assert len(set(names)) == len(names)
    with pytest.raises(ValueError):
        generate_world(0, 0)


def test_splits_sizes_ids_and_disjoint(travel):
    splits = {s: travel.scenarios(s) for s in travel.splits}
    assert {s: len(v) for s, v in splits.items()} == {"train": 2000, "val": 200, "test": 200}
    buckets = {"train": range(0, 80), "val": range(80, 90), "test": range(90, 100)}
    for split, scenarios in splits.items():
        for s in scenarios[:50]:
            assert s.split == split and s.id.startswith(f"travel-{split}-")
    skeletons = {split: {_skeleton(s) for s in scenarios} for split, scenarios in splits.items()}
    assert not skeletons["test"] & skeletons["train"]
    assert not skeletons["test"] & skeletons["val"] and not skeletons["val"] & skeletons["train"]
    assert travel.get_scenario("travel-val-00007") is splits["val"][7]
    with pytest.raises(UnknownNameError):
        travel.get_scenario("travel-test-99999")
    for split, scenarios in splits.items():
        for s in scenarios[:100]:
            doms = [d for d in s.goal if d != "taxi"]
            assert skeleton_bucket(doms, [s.goal[d]["info"] for d in doms], 0) in buckets[split]


def test_scenarios_are_reproducible_across_instances():
    a = TravelDomain(n_train=10, n_val=10, n_test=30)
    b = TravelDomain(n_train=10, n_val=10, n_test=30)
    assert [s.to_dict() for s in a.scenarios("test")] == [s.to_dict() for s in b.scenarios("test")]
    c = TravelDomain(seed=1, n_train=10, n_val=10, n_test=30)
    assert [s.goal for s in c.scenarios("test")] != [s.goal for s in a.scenarios("test")]


def test_knobs_shape_goals():
    easy = TravelDomain(n_test=60, max_domains=1, p_fail_info=0, p_fail_book=0, p_taxi=0)
    assert all(len(s.goal) == 1 for s in easy.scenarios("test"))
    assert not any(s.initial_state["unavailable"] for s in easy.scenarios("test"))
    hard = TravelDomain(n_test=60, min_domains=2, max_domains=3, p_taxi=1.0, p_fail_book=1.0, p_book=1.0)
    assert any("taxi" in s.goal for s in hard.scenarios("test"))
    assert all(len([d for d in s.goal if d != "taxi"]) >= 2 for s in hard.scenarios("test"))
    flat = TravelDomain(n_test=60, max_depth=1, p_taxi=1.0, p_book=1.0, min_domains=2)
    assert all(not g["book"] and "taxi" not in s.goal for s in flat.scenarios("test") for g in s.goal.values())
    assert all(not c.sources for s in flat.scenarios("test") for c in s.gold.calls)
    with pytest.raises(UnknownNameError):
        TravelDomain(p_typo=0.3)
    with pytest.raises(ValueError):
        TravelDomain(min_domains=3, max_domains=2)


def test_gold_plans_execute_with_sourced_arguments(travel):
    for scenario in travel.scenarios("test"):
        backend = travel.build_backend(scenario, np.random.default_rng(0))
        results = []
        for step in scenario.gold.calls:
            call = resolve_call(step, results)
            result = backend.call(call)
            assert result.ok, (scenario.id, call, result.error)
            results.append(result.value)
        for d, sub in scenario.goal.items():
            if sub.get("fail_info"):
                assert travel.graph.spec(SCHEMAS[d].find_api).handler(backend.state, **sub["fail_info"])["count"] == 0


def test_fail_book_slot_fails_and_real_booking_succeeds(travel):
    scenario = next(s for s in travel.scenarios("test") if s.initial_state["unavailable"])
    domain, slots = next(iter(scenario.initial_state["unavailable"].items()))
    backend = travel.build_backend(scenario, np.random.default_rng(0))
    found = backend.call(ToolCall(f"find_{domain}", scenario.goal[domain]["info"])).value["results"][0]
    key = SCHEMAS[domain].entity_key
    failed = backend.call(ToolCall(f"book_{domain}", {key: found[key], **slots[0]}))
    assert not failed.ok and failed.error["type"] == "booking_failed"
    booked = backend.call(ToolCall(f"book_{domain}", {key: found[key], **scenario.goal[domain]["book"]}))
    assert booked.ok and len(booked.value["reference"]) == 8


def test_api_graph_edges_and_argument_errors(travel):
    graph = travel.api_graph()
    assert ("results[].name", "name") in graph.graph.edges["find_restaurant", "book_restaurant"]["fields"]
    assert graph.graph.has_edge("find_hotel", "book_taxi")
    assert graph.prerequisites("book_train") == ["find_train"]
    errors = graph.check_arguments("find_restaurant", {"area": "middle", "food": 3})
    assert any("'area' must be one of" in e and "'middle'" in e for e in errors)
    assert any("'food' must be of type string" in e for e in errors)
    assert graph.check_arguments("book_hotel", {"name": "x"})[0].startswith("book_hotel: missing required")


def test_book_taxi_needs_a_time_and_two_places(travel):
    scenario = travel.scenarios("test")[0]
    backend = travel.build_backend(scenario, np.random.default_rng(0))
    r = backend.call(ToolCall("book_taxi", {"departure": "a", "destination": "b"}))
    assert r.error["type"] == "missing_argument"
    r = backend.call(ToolCall("book_taxi", {"departure": "a", "destination": "A", "leaveAt": "10:00"}))
    assert r.error["type"] == "invalid_request"
    r = backend.call(ToolCall("book_taxi", {"departure": "a", "destination": "b", "leaveAt": "10:00"}))
    assert r.ok and {"car type", "phone", "reference"} <= set(r.value)


def test_reset_shares_the_database_and_isolates_episodes(travel):
    scenario = next(s for s in travel.scenarios("test") if any(g.get("book") for g in s.goal.values()))
    b1 = travel.build_backend(scenario, np.random.default_rng(0))
    b2 = travel.build_backend(scenario, np.random.default_rng(0))
    d = next(d for d, g in scenario.goal.items() if g.get("book"))
    key = SCHEMAS[d].entity_key
    found = b1.call(ToolCall(f"find_{d}", scenario.goal[d]["info"])).value["results"][0]
    b1.call(ToolCall(f"book_{d}", {key: found[key], **scenario.goal[d]["book"]}))
    assert b1.state.view.diff() and not b2.state.view.diff()
    assert b1.state.view.state_hash() != b2.state.view.state_hash()


def test_oracle_succeeds_on_every_test_scenario_with_full_graph_credit():
    env = ConversationEnv("travel", user=OkUser(), oracle_hints=True, max_turns=30)
    for i, scenario in enumerate(env.domain.scenarios("test")):
        obs, info = env.reset(seed=i, options={"scenario_id": scenario.id})
        done = False
        while not done:
            obs, reward, term, trunc, info = env.step(info["oracle_action"])
            done = term or trunc
        assert info["metrics"]["success"] == 1.0, (scenario.id, info["metrics"])
        assert info["reward_components"]["graph_credit"] == 1.0
        assert info["metrics"]["internal_errors"] == 0


def _trajectory(replies: list[str]) -> Trajectory:
    msgs = [Message(role="assistant", content=r) for r in replies]
    return Trajectory(env_id="coalm/Travel-v0", scenario_id="x", domain="travel", split="test", messages=msgs,
                      stop_reason=StopReason.GOAL_MET)


def test_scoring_inform_requests_and_book(travel):
    scenario = next(s for s in travel.scenarios("test")
                    if list(s.goal) == ["restaurant"] and s.goal["restaurant"]["reqt"] and not s.goal["restaurant"]["book"])
    sub = scenario.goal["restaurant"]
    backend = travel.build_backend(scenario, np.random.default_rng(0))
    good = backend.call(ToolCall("find_restaurant", sub["info"])).value["results"][0]
    wrong = next(r for r in travel.world["restaurant"] if not all(r.get(k) == v for k, v in sub["info"].items()))
    facts = " ".join(str(good[s]) for s in sub["reqt"])
    ok = travel.score(_trajectory([f"Try {good['name']}: {facts}."]), scenario, backend)
    assert ok["inform"] == 1.0 and ok["requests"] == 1.0 and ok["success"] == 1.0 and "book" not in ok
    bad = travel.score(_trajectory([f"Try {good['name']}.", f"Actually {wrong['name']}: {facts}"]), scenario, backend)
    assert bad["inform"] == 0.0 and bad["success"] == 0.0
    silent = travel.score(_trajectory([f"Try {good['name']}."]), scenario, backend)
    assert silent["requests"] < 1.0 and silent["success"] == 0.0


def test_user_context_reads_references_in_any_case_and_only_real_ones(travel):
    scenario = next(s for s in travel.scenarios("test") if s.goal.get("restaurant", {}).get("book")
                    and not s.initial_state["unavailable"])
    backend = travel.build_backend(scenario, np.random.default_rng(0))
    context = travel.user_context(scenario, backend)
    found = backend.call(ToolCall("find_restaurant", scenario.goal["restaurant"]["info"])).value["results"][0]
    ref = backend.call(ToolCall("book_restaurant", {"name": found["name"], **scenario.goal["restaurant"]["book"]}))
    ref = ref.value["reference"]
    assert [b["reference"] for b in context.references_in(f"Booked! Reference: {ref.lower()}.")] == [ref]
    assert context.references_in("Booked! Reference: AB12CD34.") == []  # invented references do not count
    assert context.mentioned_entities("restaurant", f"Try {found['name'].upper()}'s menu") == [found["name"]]
