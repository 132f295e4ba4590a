"""Entity databases of task-oriented domains, queried with MultiWOZ's matching rules.

Rules (as the MultiWOZ evaluators apply them):
- a constraint whose value is ``dontcare`` / ``don't care`` / ``any`` / empty is ignored;
- ``leaveAt``: the entity leaves at or after the time; ``arriveBy``: it arrives at or before it;
- ``name``: case-insensitive equality after normalisation, ignoring a leading ``the``;
- everything else: normalised string equality (``stars`` compares as text: ``"4"``).
Records are read from a :class:`~coalm_env.backend.store.StoreView`, so per-episode writes (bookings)
never touch the shared tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from coalm_env.backend.store import Store, StoreView
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.text import norm

__all__ = ["DONTCARE", "normalize_value", "normalize_time", "matches", "query", "build_store", "record_key"]

DONTCARE = {"dontcare", "don't care", "dont care", "any", "", "none", "not mentioned"}


def normalize_time(value: str) -> str:
    """``"9:05"`` -> ``"09:05"``; anything that is not ``H:MM`` comes back stripped."""
    text = str(value).strip().lower()
    if ":" in text:
        h, _, m = text.partition(":")
        if h.isdigit() and m[:2].isdigit():
            return f"{int(h):02d}:{m[:2]}"
    return text


def normalize_value(slot: str, value: Any) -> str:
    """Comparison key of a slot value."""
    if slot in ("leaveAt", "arriveBy", "time"):
        return normalize_time(str(value))
    text = norm(str(value))
    if slot == "name" and text.startswith("the "):
        text = text[4:]
    return text


def matches(record: Mapping[str, Any], constraints: Mapping[str, Any]) -> bool:
    """Whether ``record`` satisfies every constraint under the MultiWOZ rules."""
    for slot, value in constraints.items():
        if value is None or norm(str(value)) in DONTCARE:
            continue
        have = record.get(slot)
        if have is None:
            return False
        want = normalize_value(slot, value)
        if slot == "leaveAt":
            if normalize_time(str(have)) < want:
                return False
        elif slot == "arriveBy":
            if normalize_time(str(have)) > want:
                return False
        elif normalize_value(slot, have) != want:
            return False
    return True


def record_key(domain: str, record: Mapping[str, Any]) -> str:
    """The store key of an entity (its name, trainID or department)."""
    return str(record[SCHEMAS[domain].entity_key])


def query(view: StoreView, domain: str, constraints: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every entity of ``domain`` matching ``constraints``, in key order; trains sorted by departure."""
    hits = [dict(rec) for _key, rec in sorted(view.scan(domain)) if matches(rec, constraints)]
    if domain == "train":
        hits.sort(key=lambda r: (normalize_time(r.get("leaveAt", "")), r.get("trainID", "")))
    return hits


def build_store(tables: Mapping[str, Iterable[Mapping[str, Any]]]) -> Store:
    """A :class:`Store` with one table per domain, keyed by entity key."""
    return Store({d: {record_key(d, r): dict(r) for r in rows} for d, rows in tables.items()})
