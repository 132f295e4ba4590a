"""Find/book APIs over task-oriented databases, as an :class:`~coalm_env.backend.graph.ApiGraph`.

Shared by the procedural travel domain and MultiWOZ. ``find_<domain>`` searches with MultiWOZ's
matching rules; ``book_<domain>`` books an entity and returns a reference, failing with
``booking_failed`` exactly when the episode's ``unavailable`` slots say so (the goal's ``fail_book``);
``book_taxi`` needs places, typically names found by other searches (graph edges). Entity names and taxi
places are resolved to their database spelling through the episode's vocabulary (``TodState.vocab``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coalm_env.backend.graph import ApiGraph, ApiSpec, Dependency
from coalm_env.backend.store import StoreView
from coalm_env.domains.tod import db
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.tod.vocab import Vocabulary
from coalm_env.errors import ApiError

__all__ = ["TodState", "build_api_graph", "MAX_RESULTS", "public", "BOOKINGS", "bookings"]

MAX_RESULTS = 5
BOOKINGS = "bookings"
_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_TIME = {"type": "string", "pattern": r"^\d{1,2}:\d{2}$", "description": "24-hour time, HH:MM"}
_CAR_TYPES = ("toyota", "skoda", "bmw", "honda", "ford", "audi", "lexus", "volvo", "volkswagen", "tesla")


@dataclass
class TodState:
    """One episode's backend state: the copy-on-write tables, the slots that cannot be booked
    (``{domain: [{slot: value, ...}, ...]}``, a booking fails when it matches one), an RNG, and the
    domain's vocabulary (value equality and name resolution of the APIs)."""

    view: StoreView
    unavailable: Mapping[str, Sequence[Mapping[str, str]]] = field(default_factory=dict)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    vocab: Vocabulary = field(default_factory=Vocabulary)

    def reference(self) -> str:
        while True:
            chars = [_REF_ALPHABET[i] for i in self.rng.integers(len(_REF_ALPHABET), size=8)]
            ref = "".join(chars)
            if any(c.isdigit() for c in ref) and any(c.isalpha() for c in ref):
                return ref


def public(record: Mapping[str, Any]) -> dict[str, Any]:
    """An entity as the APIs show it: internal fields (``_``-prefixed) removed (a fresh dict, in the record's
    order). The public fields are worked out once per layout of keys (the rows of a table share one)."""
    keys = tuple(record)
    shown = _PUBLIC_FIELDS.get(keys)
    if shown is None:
        shown = tuple(k for k in keys if not k.startswith("_"))
        if len(_PUBLIC_FIELDS) >= 4096:
            _PUBLIC_FIELDS.clear()
        _PUBLIC_FIELDS[keys] = shown
    if len(shown) == len(keys):
        return dict(record)
    return {k: record[k] for k in shown}


#: the public fields of each layout of keys seen (bounded)
_PUBLIC_FIELDS: dict[tuple, tuple] = {}


def _string(description: str, values: Sequence[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string", "description": description}
    if values:
        out["enum"] = sorted({*values, "dontcare"})
    return out


def _find_params(domain: str, lexicon: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for slot in SCHEMAS[domain].informable:
        if slot in ("leaveAt", "arriveBy"):
            verb = "leaves at or after" if slot == "leaveAt" else "arrives at or before"
            props[slot] = {**_TIME, "description": f"the {domain} {verb} this time (HH:MM)"}
        elif slot in ("name", "trainID"):
            props[slot] = _string(f"the {domain}'s {slot}, to look one up")
        else:
            props[slot] = _string(f"{slot} of the {domain}", lexicon.get(slot))
    return {"type": "object", "properties": props, "additionalProperties": False}


def _find(domain: str):
    def handler(state: TodState, **constraints: Any) -> dict[str, Any]:
        hits = db.query(state.view, domain, constraints)
        return {"count": len(hits), "results": [public(h) for h in hits[:MAX_RESULTS]]}

    return handler


def _check_available(state: TodState, domain: str, booking: Mapping[str, Any]) -> None:
    for slot_values in state.unavailable.get(domain, ()):
        if all(state.vocab.same_value(s, booking.get(s, ""), v) for s, v in slot_values.items()):
            detail = ", ".join(f"{s}={v}" for s, v in slot_values.items())
            raise ApiError("booking_failed", f"no availability for {domain} at {detail}; try another day or time",
                           domain=domain)


def _book(domain: str):
    key = SCHEMAS[domain].entity_key

    def handler(state: TodState, **args: Any) -> dict[str, Any]:
        name = str(args[key])
        entity = _lookup(state.view, domain, state.vocab.resolve_name(domain, name) or name)
        if entity is None:
            raise ApiError("not_found", f"there is no {domain} with {key} {args[key]!r}", domain=domain)
        booking = {k: str(v) for k, v in args.items() if k != key}
        _check_available(state, domain, {**booking, key: entity[key]})
        ref = state.reference()
        record = {"domain": domain, key: entity[key], **booking, "reference": ref}
        state.view.put(BOOKINGS, ref, record)
        return dict(record)

    return handler


def bookings(view: StoreView, domain: str | None = None) -> list[dict[str, Any]]:
    """Bookings made in this episode (optionally of one domain), oldest first."""
    return [dict(r) for _k, r in view.scan(BOOKINGS) if domain is None or r.get("domain") == domain]


def _lookup(view: StoreView, domain: str, name: str) -> dict[str, Any] | None:
    hits = db.query(view, domain, {SCHEMAS[domain].entity_key: name})
    return hits[0] if hits else None


def _book_taxi(state: TodState, departure: str, destination: str, leaveAt: str = "", arriveBy: str = "") -> dict:
    if not leaveAt and not arriveBy:
        raise ApiError("missing_argument", "book_taxi needs leaveAt or arriveBy")
    if state.vocab.same_value("name", departure, destination):
        raise ApiError("invalid_request", "departure and destination are the same place")
    departure, destination = state.vocab.resolve_place(departure), state.vocab.resolve_place(destination)
    car = _CAR_TYPES[int(state.rng.integers(len(_CAR_TYPES)))]
    phone = "07" + "".join(str(d) for d in state.rng.integers(10, size=9))
    ref = state.reference()
    record = {"domain": "taxi", "departure": departure, "destination": destination, "leaveAt": leaveAt,
              "arriveBy": arriveBy, "car type": car, "phone": phone, "reference": ref}
    state.view.put(BOOKINGS, ref, record)
    return {k: v for k, v in record.items() if v != ""}


def _book_params(domain: str) -> dict[str, Any]:
    key = SCHEMAS[domain].entity_key
    props: dict[str, Any] = {key: _string(f"the {domain} to book ({key}, as returned by find_{domain})")}
    descriptions = {"people": "number of people", "day": "day of the week", "time": "time (HH:MM)",
                    "stay": "number of nights"}
    for slot in SCHEMAS[domain].book:
        props[slot] = {**(_TIME if slot == "time" else {"type": "string"}), "description": descriptions[slot]}
    return {"type": "object", "properties": props, "required": [key, *SCHEMAS[domain].book],
            "additionalProperties": False}


_TAXI_PARAMS = {
    "type": "object",
    "properties": {
        "departure": _string("where the taxi picks up (a place name or address)"),
        "destination": _string("where the taxi goes"),
        "leaveAt": {**_TIME, "description": "pick-up time (HH:MM)"},
        "arriveBy": {**_TIME, "description": "arrival time (HH:MM)"},
    },
    "required": ["departure", "destination"],
    "additionalProperties": False,
}


def build_api_graph(domains: Sequence[str], lexicons: Mapping[str, Mapping[str, Sequence[str]]]) -> ApiGraph:
    """The find/book APIs of ``domains`` and their dependency edges."""
    graph = ApiGraph()
    for d in domains:
        schema = SCHEMAS[d]
        if schema.find_api:
            graph.add(ApiSpec(schema.find_api, f"Search the {d} database; returns count and up to "
                              f"{MAX_RESULTS} matching {d} entries.", _find_params(d, lexicons.get(d, {})),
                              _find(d), returns={"count": "integer", "results": "list of entries"}, tags=(d,)))
        if schema.book_api and d != "taxi":
            graph.add(ApiSpec(schema.book_api, f"Book a {d}; returns a booking reference.", _book_params(d),
                              _book(d), returns={"reference": "string"}, writes=True, tags=(d,)))
    if "taxi" in domains:
        graph.add(ApiSpec("book_taxi", "Book a taxi between two places; returns the car type, phone and "
                          "reference.", _TAXI_PARAMS, _book_taxi, writes=True, tags=("taxi",),
                          returns={"reference": "string", "car type": "string", "phone": "string"}))
    for d in domains:
        schema = SCHEMAS[d]
        if schema.find_api and schema.book_api and d != "taxi":
            key = schema.entity_key
            graph.add_dependency(Dependency(schema.find_api, f"results[].{key}", schema.book_api, key))
        if "taxi" in domains and d in ("restaurant", "hotel", "attraction"):
            for param in ("departure", "destination"):
                graph.add_dependency(Dependency(schema.find_api, "results[].name", "book_taxi", param))
    return graph
