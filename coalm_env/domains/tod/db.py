"""Entity databases of task-oriented domains, queried with MultiWOZ's matching rules.

The matching rules are :meth:`coalm_env.domains.tod.vocab.Vocabulary.matches` (MultiWOZ's); :func:`query`
applies them through precomputed value keys.
Records are read from a :class:`~coalm_env.backend.store.StoreView`, so per-episode writes (bookings)
never touch the shared tables.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from coalm_env.backend.store import Store, StoreView
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.tod.vocab import Vocabulary, clock_time

__all__ = ["VOCAB", "query", "build_store", "record_key", "lookup"]

#: the generic task-oriented vocabulary (Travel's rules) that these tables are queried with
VOCAB = Vocabulary()


def record_key(domain: str, record: Mapping[str, Any]) -> str:
    """The store key of an entity (its name, trainID or department)."""
    return str(record[SCHEMAS[domain].entity_key])


Prepared = list[tuple[str, Mapping[str, Any], dict[str, str]]]


def _prepare(rows) -> Prepared:
    return [(k, r, {s: VOCAB.value_key(s, v) for s, v in r.items()}) for k, r in sorted(rows)]


def _prepared(view: StoreView, domain: str) -> Prepared:
    """Rows with their normalised values; for untouched tables computed once per store (the hot path)."""
    if view.touched(domain):
        return _prepare(view.scan(domain))
    key = ("tod.prepared", domain)
    if key not in view.cache:
        view.cache[key] = _prepare(view.scan(domain))
    return view.cache[key]


def _candidates(view: StoreView, domain: str, wanted: Mapping[str, str]) -> Prepared:
    """The rows that can match: through a per-slot index on an equality constraint when the table is
    untouched (the index is built once per store and slot), else every row."""
    eq = [s for s in wanted if s not in ("leaveAt", "arriveBy")]
    if view.touched(domain) or not eq:
        return _prepared(view, domain)
    slot = eq[0]
    key = ("tod.index", domain, slot)
    if key not in view.cache:
        index: dict[str, Prepared] = {}
        for row in _prepared(view, domain):
            if slot in row[2]:
                index.setdefault(row[2][slot], []).append(row)
        view.cache[key] = index
    return view.cache[key].get(wanted[slot], [])


def _fast_match(normed: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    for slot, want in wanted.items():
        have = normed.get(slot)
        if have is None:
            return False
        if slot == "leaveAt":
            if have < want:
                return False
        elif slot == "arriveBy":
            if have > want:
                return False
        elif have != want:
            return False
    return True


def query(view: StoreView, domain: str, constraints: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every entity of ``domain`` matching ``constraints``, in key order; trains sorted by departure."""
    wanted = {s: VOCAB.value_key(s, v) for s, v in constraints.items() if VOCAB.constrains(v)}
    hits = [dict(rec) for _key, rec, normed in _candidates(view, domain, wanted) if _fast_match(normed, wanted)]
    if domain == "train":
        hits.sort(key=lambda r: (clock_time(r.get("leaveAt", "")), r.get("trainID", "")))
    return hits


def lookup(view: StoreView, domain: str, name: str) -> dict[str, Any] | None:
    """The entity stored under ``name``, else the first whose entity key matches it (normalised), else ``None``."""
    rec = view.get(domain, name)
    if rec is None:
        hits = query(view, domain, {SCHEMAS[domain].entity_key: name})
        return hits[0] if hits else None
    return dict(rec)


def build_store(tables: Mapping[str, Iterable[Mapping[str, Any]]]) -> Store:
    """A :class:`Store` with one table per domain, keyed by entity key."""
    return Store({d: {record_key(d, r): dict(r) for r in rows} for d, rows in tables.items()})
