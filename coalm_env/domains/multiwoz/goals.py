"""From a MultiWOZ dataset goal to the goal layout of :mod:`coalm_env.domains.tod.schema`, and its gold plan.

Conversion (the original goal stays in ``scenario.meta["original_goal"]``):
- values in canonical form (:func:`~coalm_env.domains.multiwoz.values.dst_value`), names in the database's
  spelling (``"meze bar restaurant"`` -> ``"meze bar"``); ``book.invalid`` / ``book.pre_invalid`` dropped
  (they flag how the instructions phrased the booking, not a failure);
- ``fail_info`` kept only where it really has no database match (about 40% of the dataset's ``fail_info``
  sets do match, e.g. a name the instructions never mention); dropped ones go to ``meta``;
- ``fail_book`` kept; the slots ``{**book, **fail_book}`` become the episode's unavailable booking;
- domains ordered as the gold dialogue opens them (first turn with a belief-state slot), taxi last;
- a taxi between two venues of the goal (143 of 195 test taxi goals give only a time): the direction is
  read from the gold dialogue's final taxi state (which venue domain each place belongs to), else goal
  order; the places are the first database match of each source domain's final constraints (the entity
  the oracle offers), with ``sources`` naming the domains, as in the travel goals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coalm_env.domains.multiwoz.database import MultiWOZDatabase
from coalm_env.domains.multiwoz.dialogues import Dialogue
from coalm_env.domains.multiwoz.values import dst_value
from coalm_env.domains.tod.schema import SCHEMAS

__all__ = ["convert_goal", "VENUES"]

VENUES = ("restaurant", "hotel", "attraction")
_GOAL_DOMAINS = ("restaurant", "hotel", "attraction", "train", "police", "hospital")


def _values(domain: str, values: Mapping[str, Any], database: MultiWOZDatabase) -> dict[str, str]:
    out = {}
    for slot, value in values.items():
        if slot in ("invalid", "pre_invalid"):
            continue
        text = dst_value(slot, value)
        if slot == "name" or (slot in ("departure", "destination") and domain == "taxi"):
            text = _place(text, database)
        out[slot] = text
    return out


def _place(name: str, database: MultiWOZDatabase) -> str:
    for d in VENUES:
        found = database.resolve_name(d, name)
        if found is not None:
            return found
    return name


def _order(dialogue: Dialogue, domains: Sequence[str]) -> list[str]:
    first = {}
    for t, state in enumerate(dialogue.states):
        for d in state:
            first.setdefault(d, t)
    return sorted(domains, key=lambda d: (first.get(d, 10**6), _GOAL_DOMAINS.index(d)))


def _domain_goal(domain: str, raw: Mapping[str, Any], database: MultiWOZDatabase, dropped: dict) -> dict:
    info = _values(domain, raw.get("info") or {}, database)
    fail_info = _values(domain, raw.get("fail_info") or {}, database)
    if fail_info and (fail_info == info or database.query(None, domain, fail_info)):
        dropped[domain] = fail_info
        fail_info = {}
    book = _values(domain, raw.get("book") or {}, database)
    fail_book = _values(domain, raw.get("fail_book") or {}, database) if book else {}
    reqt = [r for r in raw.get("reqt") or [] if r in SCHEMAS[domain].requestable]
    return {"info": info, "fail_info": fail_info, "reqt": reqt, "book": book, "fail_book": fail_book}


def _taxi_direction(dialogue: Dialogue, venues: Sequence[str], database: MultiWOZDatabase) -> list[str]:
    final = {}
    for state in dialogue.states:
        final.update(state.get("taxi", {}))
    owner = {}
    for param in ("departure", "destination"):
        for d in venues:
            if param in final and database.resolve_name(d, final[param]) is not None:
                owner[param] = d
    if len(set(owner.values())) == 2 and len(owner) == 2:
        return [owner["departure"], owner["destination"]]
    if owner.get("destination") in venues[:2]:
        dest = owner["destination"]
        return [next(v for v in venues[:2] if v != dest), dest]
    if owner.get("departure") in venues[:2]:
        dep = owner["departure"]
        return [dep, next(v for v in venues[:2] if v != dep)]
    return list(venues[:2])


def _offered_venue(place: str, venues: Sequence[str], goal: dict, database: MultiWOZDatabase) -> str | None:
    """The venue domain whose first match (the entity the oracle offers) is ``place``, if any."""
    for d in venues:
        hits = database.query(None, d, goal[d]["info"])
        if hits and hits[0]["name"] == place:
            return d
    return None


def _taxi_goal(raw: Mapping[str, Any], goal: dict, dialogue: Dialogue, database: MultiWOZDatabase) -> dict:
    info = _values("taxi", raw.get("info") or {}, database)
    sub = {"info": info, "fail_info": {}, "reqt": [r for r in raw.get("reqt") or [] if r in SCHEMAS["taxi"].requestable],
           "book": {}, "fail_book": {}}
    venues = [d for d in goal if d in VENUES]
    missing = [p for p in ("departure", "destination") if p not in info]
    if missing and len(venues) >= 2:
        sources = dict(zip(("departure", "destination"), _taxi_direction(dialogue, venues, database)))
        for param, d in sources.items():
            info[param] = database.query(None, d, goal[d]["info"])[0]["name"]
        sub["sources"] = sources
    for param in ("departure", "destination"):
        if param in info and param not in sub.get("sources", {}):
            owner = _offered_venue(info[param], venues, goal, database)
            if owner is not None:
                sub.setdefault("sources", {})[param] = owner
    ordered = {k: info[k] for k in ("departure", "destination", "leaveAt", "arriveBy") if k in info}
    sub["info"] = ordered
    return sub


def convert_goal(dialogue: Dialogue, database: MultiWOZDatabase) -> tuple[dict[str, Any], dict[str, list], dict]:
    """``(goal, unavailable, notes)`` for a dataset dialogue: the goal in our layout, the booking slots
    that must fail (``{domain: [{slot: value}]}``) and what conversion dropped (``{"fail_info": {...}}``)."""
    raw = dialogue.goal
    dropped: dict[str, dict] = {}
    present = [d for d in _GOAL_DOMAINS if isinstance(raw.get(d), dict) and raw[d]]
    goal = {d: _domain_goal(d, raw[d], database, dropped) for d in _order(dialogue, present)}
    unavailable = {d: [{**g["book"], **g["fail_book"]}] for d, g in goal.items() if g["book"] and g["fail_book"]}
    if isinstance(raw.get("taxi"), dict) and raw["taxi"]:
        goal["taxi"] = _taxi_goal(raw["taxi"], goal, dialogue, database)
    return goal, unavailable, {"fail_info": dropped}
