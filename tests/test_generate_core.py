"""The domain-free generator over an API graph (coalm_env.backend.generate)."""

from __future__ import annotations

import numpy as np
import pytest

from coalm_env.backend.generate import (
    LazyScenarios,
    Skeleton,
    concrete_fields,
    content_key,
    execute_skeleton,
    sample_skeleton,
    scenario_rng,
    split_of,
)
from coalm_env.backend.graph import ApiGraph, ApiSpec, Dependency
from coalm_env.errors import ApiError

USERS = {"ann": "tok-a", "bob": "tok-b"}


def _login(state, username):
    if username not in USERS:
        raise ApiError("no_user", f"no user {username}")
    return {"token": USERS[username]}


def _list(state, token):
    return {"items": [{"id": f"{token}-{i}", "size": i} for i in range(3)]}


def _delete(state, token, id):
    state.setdefault("deleted", []).append(id)
    return {"deleted": id}


def _graph() -> ApiGraph:
    obj = {"type": "object"}
    apis = [
        ApiSpec("login", "log in", {**obj, "properties": {"username": {"type": "string"}}, "required": ["username"]},
                _login),
        ApiSpec("list_items", "list", {**obj, "properties": {"token": {"type": "string"}}, "required": ["token"]},
                _list),
        ApiSpec("delete_item", "delete", {**obj, "properties": {"token": {"type": "string"},
                                                                "id": {"type": "string"}},
                                          "required": ["token", "id"]}, _delete, writes=True),
    ]
    deps = [Dependency("login", "token", "list_items", "token"), Dependency("login", "token", "delete_item", "token"),
            Dependency("list_items", "items[].id", "delete_item", "id")]
    return ApiGraph(apis, deps)


def test_skeleton_is_connected_and_respects_depth():
    g = _graph()
    seen = set()
    for seed in range(50):
        sk = sample_skeleton(g, np.random.default_rng(seed), 3, max_depth=2)
        # only login can start a connected 3-call plan of distinct APIs
        assert sk is not None and sk.calls[0] == "login" and set(sk.calls) == {"login", "list_items", "delete_item"}
        assert sk.depth() <= 2
        # every later step is fed by an earlier one, along a graph edge
        assert {e.target for e in sk.edges} == {1, 2}
        assert all(g.graph.has_edge(sk.calls[e.source], sk.calls[e.target]) and e.source < e.target
                   for e in sk.edges)
        seen.add(sk.key())
    assert len(seen) >= 2  # both orders, and the delete fed by list_items or not
    assert sample_skeleton(g, np.random.default_rng(1), 3, max_depth=2).key() == \
        sample_skeleton(g, np.random.default_rng(1), 3, max_depth=2).key()
    # depth 1: both later steps hang off login only
    sk = sample_skeleton(g, np.random.default_rng(0), 3, max_depth=1)
    assert sk.depth() == 1 and all(e.source == 0 for e in sk.edges)
    # no connected plan of 4 distinct calls exists
    assert sample_skeleton(g, np.random.default_rng(0), 4) is None
    # max_depth=0: independent calls
    sk = sample_skeleton(g, np.random.default_rng(0), 3, max_depth=0)
    assert sk.edges == () and len(set(sk.calls)) == 3


def test_concrete_fields():
    value = {"items": [{"id": "a"}, {"id": "b"}], "token": "t"}
    assert concrete_fields(value, "items[].id") == [("items.0.id", "a"), ("items.1.id", "b")]
    assert concrete_fields(value, "token") == [("token", "t")]
    assert concrete_fields(value, "") == [("", value)]
    assert concrete_fields(value, "missing") == []
    assert concrete_fields(value, "items.1.id") == [("items.1.id", "b")]


def test_execute_binds_sources_from_real_results():
    g = _graph()

    def binder(step, name, free, rng, state, results):
        return {"username": ["ann", "bob"][int(rng.integers(2))]} if "username" in free else {}

    sk = next(s for seed in range(50) if (s := sample_skeleton(g, np.random.default_rng(seed), 3, max_depth=2))
              .calls == ("login", "list_items", "delete_item") and s.depth() == 2)
    plan = execute_skeleton(sk, binder, lambda: g.session({}), np.random.default_rng(3))
    assert plan is not None and plan.ok()
    token = plan.results[0].value["token"]
    assert plan.calls[2].arguments["token"] == token
    assert plan.calls[2].arguments["id"].startswith(token)
    assert plan.gold[2].sources["id"][0] == 1 and plan.gold[2].sources["id"][1].startswith("items.")
    assert plan.session.state["deleted"] == [plan.calls[2].arguments["id"]]
    # an unbindable step abandons the attempt; a failing call too
    assert execute_skeleton(sk, lambda *a: None, lambda: g.session({}), np.random.default_rng(0)) is None
    bad = execute_skeleton(sk, lambda s, n, f, *a: {"username": "zed"} if "username" in f else {},
                           lambda: g.session({}), np.random.default_rng(0))
    assert bad is None
    kept = execute_skeleton(Skeleton(("login",)), lambda s, n, f, *a: {"username": "zed"},
                            lambda: g.session({}), np.random.default_rng(0), accept_failure=lambda i, r: True)
    assert kept is not None and not kept.ok()
    assert content_key(plan.calls) == content_key(list(plan.calls))


def test_split_of_is_stable_and_proportional():
    keys = [f"k{i}" for i in range(5000)]
    splits = [split_of(k) for k in keys]
    assert splits == [split_of(k) for k in keys]
    share = splits.count("train") / len(keys)
    assert 0.77 < share < 0.83
    assert {split_of(k, {"a": 1.0}) for k in keys[:50]} == {"a"}
    assert split_of("k1", salt="x") in ("train", "val", "test")


def test_scenario_rng_is_a_function_of_coordinates():
    a = scenario_rng(1, {"n": 2}, 0, "train", 5).integers(1 << 30, size=4).tolist()
    assert a == scenario_rng(1, {"n": 2}, 0, "train", 5).integers(1 << 30, size=4).tolist()
    for other in (scenario_rng(2, {"n": 2}, 0, "train", 5), scenario_rng(1, {"n": 3}, 0, "train", 5),
                  scenario_rng(1, {"n": 2}, 1, "train", 5), scenario_rng(1, {"n": 2}, 0, "val", 5),
                  scenario_rng(1, {"n": 2}, 0, "train", 6), scenario_rng(1, {"n": 2}, 0, "train", 5, 1)):
        assert other.integers(1 << 30, size=4).tolist() != a


def test_lazy_scenarios():
    made = []
    pool = LazyScenarios(10**9, lambda i: made.append(i) or f"s{i}")
    assert len(pool) == 10**9 and made == []
    assert pool[7] == "s7" and pool[7] == "s7" and made == [7]
    assert pool[-1] == f"s{10**9 - 1}"
    assert pool[2:4] == ["s2", "s3"]
    with pytest.raises(IndexError):
        pool[10**9]
    bounded = LazyScenarios(100, lambda i: made.append(i) or f"s{i}", max_cached=2)
    made.clear()
    assert [bounded[i] for i in (1, 2, 1, 3, 1)] == ["s1", "s2", "s1", "s3", "s1"]
    assert made == [1, 2, 3, 1] and len(bounded.cache) == 2  # 1 was dropped when 3 came, then rebuilt
