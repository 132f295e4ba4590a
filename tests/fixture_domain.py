"""A tiny shop domain for the core tests: three APIs with dependency edges and a scripted user.

``find_item.results[].item_id -> buy_item.item_id`` and ``buy_item.order_id -> get_order.order_id``.
A goal is "buy Q items of a category (under a price)"; success means the right order was placed and
its id was told to the user. Nothing here is random except the order-id prefix, drawn from the
backend rng so that replay-based re-scoring has a seed to honour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from coalm_env.backend.graph import ApiGraph, ApiSpec, BackendSession, Dependency
from coalm_env.backend.store import Store, StoreView
from coalm_env.errors import ApiError, UnknownNameError
from coalm_env.parsing import format_calls
from coalm_env.types import Gold, GoldCall, Scenario, StopReason, ToolCall, Trajectory, UserTurn

ENV_ID = "coalm/Fixture-v0"
CATEGORIES = ("lamp", "mug", "book")
ITEMS = {
    "L1": {"item_id": "L1", "name": "brass lamp", "category": "lamp", "price": 30, "stock": 5},
    "L2": {"item_id": "L2", "name": "paper lamp", "category": "lamp", "price": 12, "stock": 0},
    "M1": {"item_id": "M1", "name": "blue mug", "category": "mug", "price": 8, "stock": 10},
    "B1": {"item_id": "B1", "name": "atlas", "category": "book", "price": 15, "stock": 2},
    "B2": {"item_id": "B2", "name": "novel", "category": "book", "price": 22, "stock": 7},
}
# (category, quantity, max_price) per split
GOALS = {
    "train": [("lamp", 1, None), ("mug", 3, None), ("book", 1, 20), ("book", 4, None)],
    "val": [("mug", 1, 10), ("lamp", 2, None)],
    "test": [("lamp", 2, 40), ("book", 2, None), ("mug", 2, None)],
}


@dataclass
class ShopState:
    view: StoreView
    prefix: str


def _find_item(state: ShopState, category: str, max_price: float | None = None) -> dict[str, Any]:
    rows = [dict(r) for _, r in state.view.scan("items") if r["category"] == category]
    rows = [r for r in rows if max_price is None or r["price"] <= max_price]
    return {"results": sorted(rows, key=lambda r: (r["price"], r["item_id"]))}


def _buy_item(state: ShopState, item_id: str, quantity: int) -> dict[str, Any]:
    item = state.view.get("items", item_id)
    if item is None:
        raise ApiError("not_found", f"no item {item_id!r}")
    if item["stock"] < quantity:
        raise ApiError("out_of_stock", f"only {item['stock']} left of {item_id}", stock=item["stock"])
    state.view.update("items", item_id, stock=item["stock"] - quantity)
    order_id = f"{state.prefix}-{state.view.count('orders') + 1}"
    order = {"order_id": order_id, "item_id": item_id, "quantity": quantity, "total": item["price"] * quantity}
    state.view.put("orders", order_id, order)
    return order


def _get_order(state: ShopState, order_id: str) -> dict[str, Any]:
    order = state.view.get("orders", order_id)
    if order is None:
        raise ApiError("not_found", f"no order {order_id!r}")
    return dict(order)


def build_graph() -> ApiGraph:
    apis = [
        ApiSpec(
            "find_item",
            "Search the shop's items of a category, cheapest first.",
            {
                "type": "object",
                "properties": {
                    "category": {"type": "string", "enum": list(CATEGORIES)},
                    "max_price": {"type": "number"},
                },
                "required": ["category"],
                "additionalProperties": False,
            },
            _find_item,
        ),
        ApiSpec(
            "buy_item",
            "Buy a quantity of an item; returns the order.",
            {
                "type": "object",
                "properties": {"item_id": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}},
                "required": ["item_id", "quantity"],
                "additionalProperties": False,
            },
            _buy_item,
            writes=True,
        ),
        ApiSpec(
            "get_order",
            "Look an order up by its id.",
            {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
            _get_order,
        ),
    ]
    deps = [
        Dependency("find_item", "results[].item_id", "buy_item", "item_id"),
        Dependency("buy_item", "order_id", "get_order", "order_id"),
    ]
    return ApiGraph(apis, deps)


def _target(category: str, quantity: int, max_price: float | None) -> tuple[int, dict[str, Any]]:
    rows = _find_item(ShopState(Store({"items": ITEMS}).view(), "x"), category, max_price)["results"]
    for index, row in enumerate(rows):
        if row["stock"] >= quantity:
            return index, row
    raise ValueError(f"no fixture item satisfies {category} x{quantity}")


def _scenario(split: str, n: int, category: str, quantity: int, max_price: float | None) -> Scenario:
    index, item = _target(category, quantity, max_price)
    find_args: dict[str, Any] = {"category": category}
    if max_price is not None:
        find_args["max_price"] = max_price
    gold = Gold(
        calls=[
            GoldCall("find_item", find_args),
            GoldCall("buy_item", {"quantity": quantity}, sources={"item_id": [0, f"results.{index}.item_id"]}),
        ],
        requested={"order": ["order_id"]},
        extra={"item_id": item["item_id"]},
    )
    goal = {"category": category, "quantity": quantity, "max_price": max_price}
    return Scenario(f"fixture-{split}-{n}", "fixture", split, goal, ["find_item", "buy_item", "get_order"], gold)


class FixtureDomain:
    """The shop. ``db_size`` pads the item table with filler rows (for reset-cost checks)."""

    name = "fixture"
    default_user = "fixture"
    splits = ("train", "val", "test")

    def __init__(self, db_size: int = 0):
        items = dict(ITEMS)
        for i in range(db_size):
            items[f"F{i}"] = {"item_id": f"F{i}", "name": f"filler {i}", "category": "filler", "price": 1, "stock": 1}
        self.store = Store({"items": items})
        self.graph = build_graph()
        self._scenarios = {s: [_scenario(s, i, *g) for i, g in enumerate(goals)] for s, goals in GOALS.items()}
        self._by_id = {sc.id: sc for pool in self._scenarios.values() for sc in pool}

    def scenarios(self, split: str) -> list[Scenario]:
        return self._scenarios[split]

    def get_scenario(self, scenario_id: str) -> Scenario:
        if scenario_id not in self._by_id:
            raise UnknownNameError("scenario", scenario_id, self._by_id)
        return self._by_id[scenario_id]

    def api_graph(self, scenario: Scenario | None = None) -> ApiGraph:
        return self.graph

    def build_backend(self, scenario: Scenario, rng: np.random.Generator) -> BackendSession:
        state = ShopState(self.store.view(), f"ORD{int(rng.integers(1000, 10000))}")
        return self.graph.session(state, scenario.tools)

    def system_prompt(self, scenario: Scenario) -> str:
        return "You are a shop assistant. Find what the customer wants, buy it, and tell them the order id."

    def user_context(self, scenario: Scenario, backend: BackendSession) -> dict[str, Any]:
        return {"orders": backend.state.view.snapshot("orders")}

    def score(self, trajectory: Trajectory, scenario: Scenario, backend: BackendSession) -> dict[str, float]:
        goal = scenario.goal
        orders = backend.state.view.snapshot("orders").values()
        item_id = scenario.gold.extra["item_id"]
        right = [o for o in orders if o["item_id"] == item_id and o["quantity"] == goal["quantity"]]
        replies = " ".join(m.content for m in trajectory.messages if m.role == "assistant")
        told = any(o["order_id"] in replies for o in right)
        return {"success": float(bool(right) and told), "book": float(bool(right)), "requests": float(told)}

    def oracle_action(self, scenario: Scenario, backend: BackendSession, trajectory: Trajectory) -> str:
        done = {c.name: r.value for c, r in backend.history if r.ok}
        goal = scenario.goal
        if "find_item" not in done:
            return format_calls([ToolCall("find_item", dict(scenario.gold.calls[0].arguments))], "hermes")
        if "buy_item" not in done:
            item = next(r for r in done["find_item"]["results"] if r["stock"] >= goal["quantity"])
            call = ToolCall("buy_item", {"item_id": item["item_id"], "quantity": goal["quantity"]})
            return format_calls([call], "hermes")
        return f"Done! Your order id is {done['buy_item']['order_id']}."


_OPENERS = ("I'd like to buy {q} {c}(s){p}.", "Hi, can I get {q} {c}(s){p}?", "Looking for {q} {c}(s){p}, please.")


class FixtureUser:
    """A scripted customer: states the goal, repeats it, leaves happy once told a matching order id."""

    name = "fixture"

    def __init__(self, patience: int = 3):
        self.patience = patience

    def begin(self, requests: list) -> list[UserTurn]:
        return [self._open(r) for r in requests]

    def respond(self, requests: list) -> list[UserTurn]:
        return [self._answer(r) for r in requests]

    def _open(self, request: Any) -> UserTurn:
        goal = request.scenario.goal
        price = f" under {goal['max_price']} dollars" if goal["max_price"] is not None else ""
        template = _OPENERS[int(np.random.default_rng(request.seed).integers(len(_OPENERS)))]
        return UserTurn(template.format(q=goal["quantity"], c=goal["category"], p=price), state={"asks": 0})

    def _answer(self, request: Any) -> UserTurn:
        goal, item_id = request.scenario.goal, request.scenario.gold.extra["item_id"]
        text = request.agent_message.content if request.agent_message else ""
        for order in request.context["orders"].values():
            if order["item_id"] == item_id and order["quantity"] == goal["quantity"] and order["order_id"] in text:
                return UserTurn("Great, thanks! Bye.", stop=StopReason.GOAL_MET, state=request.state)
        asks = request.state["asks"] + 1
        if asks > self.patience:
            return UserTurn("Forget it.", stop=StopReason.USER_GAVE_UP, state={"asks": asks})
        return UserTurn(f"I still need {goal['quantity']} {goal['category']}(s).", state={"asks": asks})


class MissingDataDomain:
    """A data-backed domain whose dataset is absent: building it raises the fetch hint."""

    def __init__(self):
        from coalm_env.errors import DataNotFoundError

        raise DataNotFoundError("/nowhere/fixture.json", "run `coalm-env data fetch fixture`")


class EchoPolicy:
    """Replies with a fixed text: never calls a tool (a deterministic non-privileged baseline)."""

    name = "echo"

    def act(self, observations: list, infos: list) -> list[str]:
        return ["How can I help?" for _ in observations]


def register() -> None:
    """Register the fixture domain, user and policy names (idempotent)."""
    from coalm_env import registry

    registry.register("domain", "fixture", "fixture_domain:FixtureDomain")
    registry.register("user", "fixture", "fixture_domain:FixtureUser")
    registry.register("policy", "echo", "fixture_domain:EchoPolicy")
    registry.register("domain", "fixture_missing", "fixture_domain:MissingDataDomain")


def make_env(**kwargs: Any):
    """A ConversationEnv over a fresh fixture domain and user, no registry needed."""
    from coalm_env.env import ConversationEnv

    return ConversationEnv(FixtureDomain(), user=FixtureUser(), env_id=ENV_ID, **kwargs)


@pytest.fixture
def fixture_env_id(monkeypatch: pytest.MonkeyPatch) -> str:
    """Registers the fixture names and the ``coalm/Fixture-v0`` id for one test."""
    from coalm_env.specs import ENV_SPECS, EnvSpec

    register()
    monkeypatch.setitem(ENV_SPECS, ENV_ID, EnvSpec(ENV_ID, "fixture"))
    return ENV_ID
