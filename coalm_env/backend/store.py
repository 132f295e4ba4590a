"""An in-memory table store with copy-on-write episodes.

A :class:`Store` holds immutable base tables (built once per database). Each episode gets a
:class:`StoreView` that records writes in a small overlay, so creating one costs O(1) whatever the
database size, and the episode's changes can be listed (:meth:`StoreView.diff`) and hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["Store", "StoreView"]

_DELETED = object()


def _freeze(record: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(record))


class Store:
    """Base tables: ``{table: {key: record}}``. Records are read-only once stored."""

    def __init__(self, tables: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None):
        self._tables: dict[str, dict[str, Mapping[str, Any]]] = {}
        self.cache: dict[Any, Any] = {}  # derived, base-only data shared by every view (see StoreView.cache)
        for name, rows in (tables or {}).items():
            self._tables[name] = {str(k): _freeze(v) for k, v in rows.items()}

    @property
    def tables(self) -> list[str]:
        return sorted(self._tables)

    def size(self) -> int:
        return sum(len(rows) for rows in self._tables.values())

    def view(self) -> StoreView:
        """A fresh copy-on-write view for one episode."""
        return StoreView(self)


class StoreView:
    """One episode's state: base tables plus an overlay of writes (``None`` marks a delete)."""

    def __init__(self, base: Store):
        self._base = base._tables
        self._cache = base.cache
        self._overlay: dict[str, dict[str, Any]] = {}

    def get(self, table: str, key: str) -> Mapping[str, Any] | None:
        over = self._overlay.get(table)
        if over is not None and key in over:
            value = over[key]
            return None if value is _DELETED else value
        return self._base.get(table, {}).get(key)

    def put(self, table: str, key: str, record: Mapping[str, Any]) -> None:
        self._overlay.setdefault(table, {})[str(key)] = _freeze(record)

    def update(self, table: str, key: str, **changes: Any) -> Mapping[str, Any]:
        current = self.get(table, key)
        if current is None:
            raise KeyError(f"{table}/{key}")
        merged = {**current, **changes}
        self.put(table, key, merged)
        return self.get(table, key)  # type: ignore[return-value]

    def delete(self, table: str, key: str) -> None:
        self._overlay.setdefault(table, {})[str(key)] = _DELETED

    def scan(self, table: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Every live ``(key, record)`` of a table, base order first, then new keys."""
        over = self._overlay.get(table, {})
        base = self._base.get(table, {})
        for key, record in base.items():
            if key in over:
                if over[key] is not _DELETED:
                    yield key, over[key]
            else:
                yield key, record
        for key, record in over.items():
            if key not in base and record is not _DELETED:
                yield key, record

    def touched(self, table: str) -> bool:
        """Whether this episode wrote to ``table`` (else its rows are exactly the base rows)."""
        return bool(self._overlay.get(table))

    @property
    def cache(self) -> dict[Any, Any]:
        """A dict shared by every view of the same :class:`Store`, for data derived from the base
        tables only (indexes, normalised rows): computed once, reused by every episode."""
        return self._cache

    def count(self, table: str) -> int:
        return sum(1 for _ in self.scan(table))

    def diff(self) -> dict[str, dict[str, Any]]:
        """Changes against the base: ``{table: {key: record or None (deleted)}}``."""
        return {
            table: {k: (None if v is _DELETED else dict(v)) for k, v in sorted(rows.items())}
            for table, rows in sorted(self._overlay.items())
            if rows
        }

    def state_hash(self) -> str:
        """A hash of the episode's changes: equal hashes mean equal states over the same base."""
        text = json.dumps(self.diff(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def snapshot(self, table: str) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self.scan(table)}
