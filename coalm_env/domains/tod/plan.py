"""Gold plans of task-oriented goals, read off the API graph.

Each goal domain needs its search (``find_<domain>`` with the final constraints) and, when the goal
books, its booking. Which arguments of a booking come from a search is not hard-coded: it is what the
graph's edges say (:meth:`~coalm_env.backend.graph.ApiGraph.feeds`), so a domain that adds an API and
its edges gets correct plans, oracle scripts and graph credit for free. Taxi places are sourced from
the searches of the venues the goal connects (``goal["taxi"]["sources"]``), else kept as constants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coalm_env.backend.graph import ApiGraph
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.errors import BackendError
from coalm_env.types import GoldCall

__all__ = ["gold_plan"]


def _first_item(path: str) -> str:
    """``results[].name`` (an edge's field) -> ``results.0.name`` (the first result, as the oracle offers)."""
    return path.replace("[]", ".0").replace("..", ".")


def _sourced(graph: ApiGraph, target: str, wanted: Mapping[str, str], find_step: Mapping[str, int]) -> dict:
    """``{param: [step, path]}`` for each ``param -> source API`` in ``wanted`` that an edge allows."""
    feeds = graph.feeds(target)
    sources: dict[str, list[Any]] = {}
    for param, source_api in wanted.items():
        fields = [f for api, f in feeds.get(param, []) if api == source_api]
        if not fields:
            raise BackendError(f"the API graph has no edge {source_api} -> {target}.{param}")
        sources[param] = [find_step[source_api], _first_item(fields[0])]
    return sources


def gold_plan(goal: Mapping[str, Any], graph: ApiGraph) -> list[GoldCall]:
    """The calls that complete ``goal`` in order: per domain its search then its booking, then the taxi."""
    plan: list[GoldCall] = []
    find_step: dict[str, int] = {}
    for d, sub in goal.items():
        if d == "taxi" or not isinstance(sub, dict) or not sub:
            continue
        schema = SCHEMAS[d]
        find_step[schema.find_api] = len(plan)
        plan.append(GoldCall(schema.find_api, dict(sub["info"])))
        if sub.get("book") and schema.book_api:
            sources = _sourced(graph, schema.book_api, {schema.entity_key: schema.find_api}, find_step)
            plan.append(GoldCall(schema.book_api, dict(sub["book"]), sources))
    taxi = goal.get("taxi")
    if isinstance(taxi, dict) and taxi:
        wanted = {p: SCHEMAS[d].find_api for p, d in taxi.get("sources", {}).items()}
        sources = _sourced(graph, "book_taxi", wanted, find_step)
        info = {k: v for k, v in taxi["info"].items() if k not in sources}
        plan.append(GoldCall("book_taxi", info, sources))
    return plan
