"""MultiWOZ-style goals over a generated world, with their gold API plans.

A goal picks target entities, states some of their attributes as constraints (so it is always
satisfiable), may first try constraints with no match (``fail_info``) or a booking slot that is full
(``fail_book``), requests attributes, books, and may ask for a taxi between two of its venues (a
dependency of depth two: the taxi's places come from other searches).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from coalm_env.backend.store import StoreView
from coalm_env.domains.tod import db
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.travel.world import DAYS
from coalm_env.errors import ConfigError

__all__ = ["GoalKnobs", "draw_goal", "skeleton_bucket"]

_VENUES = ("restaurant", "hotel", "attraction", "train")
_VENUE_W = (0.32, 0.26, 0.2, 0.22)
_CONSTRAINT_SLOTS = {
    "restaurant": ("food", "area", "pricerange"),
    "hotel": ("area", "pricerange", "stars", "type", "parking", "internet"),
    "attraction": ("area", "type"),
}
_EXTRA_REQT = {
    "restaurant": ("address", "phone", "postcode", "food", "area", "pricerange"),
    "hotel": ("address", "phone", "postcode", "stars", "internet", "parking", "area", "pricerange"),
    "attraction": ("address", "phone", "postcode", "entrance fee", "area", "type"),
    "train": ("price", "duration", "trainID", "arriveBy", "leaveAt"),
}


@dataclass(frozen=True)
class GoalKnobs:
    """Difficulty knobs of the goal generator."""

    min_domains: int = 1
    max_domains: int = 3
    max_constraints: int = 3
    p_book: float = 0.6
    p_fail_info: float = 0.2
    p_fail_book: float = 0.2
    p_taxi: float = 0.3
    p_name: float = 0.1
    #: longest dependency chain in the gold plan: 1 = searches only, 2 = search -> booking,
    #: 3 = searches -> taxi between the venues found (a call fed by two earlier calls)
    max_depth: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.min_domains <= self.max_domains <= 4:
            raise ConfigError(f"need 1 <= min_domains <= max_domains <= 4, got {self.min_domains}, {self.max_domains}")
        if self.max_depth not in (1, 2, 3):
            raise ConfigError(f"max_depth must be 1, 2 or 3, got {self.max_depth}")


def _pick(rng: np.random.Generator, values, k: int = 1):
    idx = rng.choice(len(values), size=k, replace=False)
    return [values[int(i)] for i in sorted(idx)]


def _domains(rng: np.random.Generator, knobs: GoalKnobs) -> list[str]:
    n = int(rng.integers(knobs.min_domains, knobs.max_domains + 1))
    p = np.asarray(_VENUE_W) / sum(_VENUE_W)
    chosen = rng.choice(len(_VENUES), size=min(n, len(_VENUES)), replace=False, p=p)
    return [_VENUES[int(i)] for i in chosen]


def _time(rng: np.random.Generator, lo: int, hi: int) -> str:
    minutes = int(rng.integers(lo, hi)) * 15
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _venue_info(rng, rows: Sequence[dict], domain: str, knobs: GoalKnobs) -> tuple[dict, dict]:
    target = rows[int(rng.integers(len(rows)))]
    if rng.random() < knobs.p_name:
        return {"name": target["name"]}, target
    slots = _CONSTRAINT_SLOTS[domain]
    k = int(rng.integers(1, min(knobs.max_constraints, len(slots)) + 1))
    return {s: target[s] for s in _pick(rng, slots, k)}, target


def _train_info(rng, rows: Sequence[dict]) -> tuple[dict, dict]:
    target = rows[int(rng.integers(len(rows)))]
    info = {k: target[k] for k in ("departure", "destination", "day")}
    h, m = (int(x) for x in target["leaveAt"].split(":"))
    if rng.random() < 0.6:
        t = max(0, h * 60 + m - int(rng.integers(0, 12)) * 5)
        info["leaveAt"] = f"{t // 60:02d}:{t % 60:02d}"
    else:
        h, m = (int(x) for x in target["arriveBy"].split(":"))
        t = min(23 * 60 + 55, h * 60 + m + int(rng.integers(0, 12)) * 5)
        info["arriveBy"] = f"{t // 60:02d}:{t % 60:02d}"
    return info, target


def _fail_info(rng, view: StoreView, domain: str, info: dict, lexicon: dict) -> dict:
    slots = [s for s in info if s in _CONSTRAINT_SLOTS.get(domain, ())]
    for slot in _pick(rng, slots, len(slots)) if slots else []:
        values = [v for v in lexicon[domain][slot] if v != info[slot]]
        for v in _pick(rng, values, len(values)):
            trial = {**info, slot: v}
            if not db.query(view, domain, trial):
                return trial
    return {}


def _book(rng, domain: str) -> dict[str, str]:
    people = str(int(rng.choice([1, 2, 2, 2, 3, 4, 4, 5, 6, 7, 8])))
    if domain == "train":
        return {"people": people}
    day = DAYS[int(rng.integers(len(DAYS)))]
    if domain == "restaurant":
        return {"people": people, "day": day, "time": _time(rng, 44, 88)}
    return {"people": people, "day": day, "stay": str(int(rng.integers(1, 6)))}


def _fail_book(rng, domain: str, book: dict) -> dict[str, str]:
    if domain == "restaurant":
        while True:
            t = _time(rng, 44, 88)
            if t != book["time"]:
                return {"time": t}
    if domain == "hotel":
        if rng.random() < 0.5:
            return {"day": DAYS[(DAYS.index(book["day"]) + int(rng.integers(1, 7))) % 7]}
        return {"stay": str(int(book["stay"]) % 5 + 1)}
    return {}


def skeleton_bucket(domains: list[str], infos: list[dict], seed: int) -> int:
    """A stable 0-99 bucket of a goal's skeleton (domains + final constraints): splits are disjoint
    because each skeleton belongs to exactly one split's bucket range."""
    key = "|".join(f"{d}:{sorted(info.items())}" for d, info in zip(domains, infos))
    return int(hashlib.sha256(f"{seed}|{key}".encode()).hexdigest(), 16) % 100


def draw_goal(rng: np.random.Generator, view: StoreView, rows: Mapping[str, Sequence[dict]], lexicon: dict,
              knobs: GoalKnobs, seed: int, buckets: range) -> tuple[dict[str, Any], dict[str, list]] | None:
    """One goal and its unavailable booking slots, or ``None`` if its skeleton is outside ``buckets``.
    ``rows`` holds every entity per domain (the world's tables)."""
    domains = _domains(rng, knobs)
    picks = [_train_info(rng, rows[d]) if d == "train" else _venue_info(rng, rows[d], d, knobs) for d in domains]
    if skeleton_bucket(domains, [i for i, _t in picks], seed) not in buckets:
        return None
    goal: dict[str, Any] = {}
    unavailable: dict[str, list] = {}
    for d, (info, target) in zip(domains, picks):
        fail = _fail_info(rng, view, d, info, lexicon) if d != "train" and rng.random() < knobs.p_fail_info else {}
        reqt = _pick(rng, _EXTRA_REQT[d], int(rng.integers(0, 4)))
        reqt = [r for r in reqt if r not in info]
        book = _book(rng, d) if SCHEMAS[d].book and rng.random() < knobs.p_book and knobs.max_depth >= 2 else {}
        fail_book = _fail_book(rng, d, book) if book and rng.random() < knobs.p_fail_book else {}
        if fail_book:
            unavailable[d] = [{**book, **fail_book}]
        if book and d == "train":
            reqt = sorted({*reqt, "reference"} - {"trainID"}) + ["trainID"] if "trainID" in reqt else reqt
        goal[d] = {"info": info, "fail_info": fail, "reqt": reqt, "book": book, "fail_book": fail_book}
    venues = [d for d in domains if d in ("restaurant", "hotel", "attraction")]
    if len(venues) >= 2 and rng.random() < knobs.p_taxi and knobs.max_depth >= 3:
        places = [db.query(view, d, goal[d]["info"])[0]["name"] for d in venues[:2]]
        when = "leaveAt" if rng.random() < 0.5 else "arriveBy"
        goal["taxi"] = {"info": {"departure": places[0], "destination": places[1], when: _time(rng, 40, 92)},
                        "fail_info": {}, "reqt": ["car type", "phone"], "book": {}, "fail_book": {},
                        "sources": {"departure": venues[0], "destination": venues[1]}}
    return goal, unavailable
