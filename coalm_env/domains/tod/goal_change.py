"""A valid mid-dialogue goal change for task-oriented goals (the ``goal_change`` persona's hook).

One search constraint of a venue domain (restaurant, hotel, attraction) without a fail-over search
switches to another value of the lexicon that still has database matches (the first of which has every
requested slot, so the changed goal stays answerable); a taxi fed by that venue
gets the new venue's name; the gold plan is recomputed from the changed goal.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from coalm_env.backend.graph import ApiGraph
from coalm_env.domains.tod.plan import gold_plan
from coalm_env.types import Gold, Scenario

__all__ = ["change_goal"]

_VENUES = ("restaurant", "hotel", "attraction")


def _candidates(goal: Mapping[str, Any], lexicon: Mapping[str, Mapping[str, Sequence[str]]]) -> list[tuple[str, str]]:
    return [(d, s) for d, sub in goal.items() if d in _VENUES and isinstance(sub, dict) and sub.get("info")
            and not sub.get("fail_info") for s in sub["info"] if s != "name" and lexicon.get(d, {}).get(s)]


def _answers(entity: Mapping[str, Any], requested: Sequence[str]) -> bool:
    """Whether ``entity`` (the first match: the one an agent offers) has a value for every requested slot
    (MultiWOZ has venues without a phone or address)."""
    return all(entity.get(r) not in (None, "", "?") for r in requested if r not in ("reference", "ref"))


def change_goal(scenario: Scenario, rng: np.random.Generator, query: Callable[[str, dict], list[dict]],
                lexicon: Mapping[str, Mapping[str, Sequence[str]]], graph: ApiGraph) -> Scenario | None:
    """``scenario`` with one constraint changed (``meta["goal_change"]``: domain, slot, old, new and
    ``updates`` per domain), or ``None`` when no constraint can change. ``query(domain, constraints)``
    returns the matching entities."""
    goal = scenario.goal
    candidates = _candidates(goal, lexicon)
    for i in rng.permutation(len(candidates)):
        d, slot = candidates[int(i)]
        old = str(goal[d]["info"][slot])
        values = [str(v) for v in lexicon[d][slot] if str(v).lower() != old.lower()]
        for j in rng.permutation(len(values)):
            info = {**goal[d]["info"], slot: values[int(j)]}
            hits = query(d, info)
            if hits and _answers(hits[0], [*(goal[d].get("reqt") or ()), *scenario.gold.requested.get(d, ())]):
                return _changed(scenario, d, slot, old, values[int(j)], hits[0], graph)
    return None


def _changed(scenario: Scenario, d: str, slot: str, old: str, new: str, entity: dict, graph: ApiGraph) -> Scenario:
    goal = json.loads(json.dumps(scenario.goal))
    goal[d]["info"][slot] = new
    updates = {d: {slot: new}}
    taxi = goal.get("taxi")
    if isinstance(taxi, dict) and taxi:
        for param, source in (taxi.get("sources") or {}).items():
            if source == d and "name" in entity:
                taxi["info"][param] = entity["name"]
                updates["taxi"] = {**updates.get("taxi", {}), param: entity["name"]}
    gold = Gold(calls=gold_plan(goal, graph), end_state=scenario.gold.end_state,
                requested=dict(scenario.gold.requested), extra=dict(scenario.gold.extra))
    change = {"domain": d, "slot": slot, "old": old, "new": new, "updates": updates}
    return dataclasses.replace(scenario, goal=goal, gold=gold, meta={**scenario.meta, "goal_change": change})
