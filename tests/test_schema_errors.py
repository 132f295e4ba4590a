"""Argument validation names the API, the argument, what was expected and what was got."""

from __future__ import annotations

import pytest
from fixture_domain import build_graph

from coalm_env.backend.graph import ApiGraph, ApiSpec, Dependency
from coalm_env.errors import BackendError
from coalm_env.types import ToolCall


@pytest.fixture(scope="module")
def graph() -> ApiGraph:
    return build_graph()


@pytest.mark.parametrize(
    ("api", "arguments", "expected"),
    [
        ("buy_item", {"quantity": 1}, "buy_item: missing required argument 'item_id'"),
        ("buy_item", {"item_id": "L1", "quantity": "2"},
         "buy_item: argument 'quantity' must be of type integer, got str '2'"),
        ("buy_item", {"item_id": 7, "quantity": 1}, "buy_item: argument 'item_id' must be of type string, got int 7"),
        ("find_item", {"category": "sofa"},
         "find_item: argument 'category' must be one of ['lamp', 'mug', 'book'], got 'sofa'"),
        ("find_item", {"category": "mug", "max_price": "cheap"},
         "argument 'max_price' must be of type number, got str 'cheap'"),
        ("find_item", {"category": "mug", "colour": "red"}, "'colour' was unexpected"),
        ("buy_item", {"item_id": "L1", "quantity": 0}, "argument 'quantity': 0 is less than the minimum of 1"),
    ],
)
def test_each_violation_is_precise(graph: ApiGraph, api: str, arguments: dict, expected: str) -> None:
    problems = graph.check_arguments(api, arguments)
    assert len(problems) == 1
    assert expected in problems[0]


def test_every_violation_is_listed(graph: ApiGraph) -> None:
    problems = graph.check_arguments("buy_item", {"item_id": 3, "quantity": "x"})
    assert len(problems) == 2
    assert any("'item_id'" in p for p in problems) and any("'quantity'" in p for p in problems)


def test_valid_arguments_pass(graph: ApiGraph) -> None:
    assert graph.check_arguments("find_item", {"category": "book", "max_price": 9.5}) == []


def test_session_returns_errors_never_raises(graph: ApiGraph) -> None:
    from fixture_domain import ITEMS, ShopState

    from coalm_env.backend.store import Store

    session = graph.session(ShopState(Store({"items": ITEMS}).view(), "T"))
    bad = session.call(ToolCall("buy_item", {"item_id": "L1"}))
    assert not bad.ok and bad.error["type"] == "invalid_arguments"
    assert bad.error["details"]["errors"] == ["buy_item: missing required argument 'quantity'"]
    failed = session.call(ToolCall("buy_item", {"item_id": "L2", "quantity": 1}))
    assert failed.error == {"type": "out_of_stock", "message": "only 0 left of L2", "details": {"stock": 0}}
    assert session.call(ToolCall("buy_item", {"item_id": "L1", "quantity": 1})).ok
    assert len(session.history) == 3 and session.internal_errors == []


def test_handler_crash_is_an_internal_error_not_an_exception() -> None:
    def broken(state, **kwargs):
        raise ZeroDivisionError("oops")

    session = ApiGraph([ApiSpec("f", "d", {"type": "object", "properties": {}}, broken)]).session(None)
    result = session.call(ToolCall("f", {}))
    assert result.error["type"] == "internal_error"
    assert "ZeroDivisionError" in session.internal_errors[0]["error"]


def test_graph_rejects_bad_edges(graph: ApiGraph) -> None:
    with pytest.raises(BackendError, match="no parameter 'nope'"):
        build_graph().add_dependency(Dependency("find_item", "results[].item_id", "buy_item", "nope"))
    with pytest.raises(BackendError, match="unknown API"):
        build_graph().add_dependency(Dependency("find_item", "x", "ghost", "y"))
    assert graph.feeds("buy_item") == {"item_id": [("find_item", "results[].item_id")]}
    assert graph.prerequisites("get_order") == ["find_item", "buy_item"]
