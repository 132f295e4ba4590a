"""MultiWOZ's vocabulary: the task-oriented :class:`~coalm_env.domains.tod.vocab.Vocabulary` with the
dataset's alias tables (:mod:`~coalm_env.domains.multiwoz.values`).

- :func:`value_key`: the canonical form of a value (``"7pm"`` = ``"19:00"``, ``"guest house"`` =
  ``"guesthouse"``, ``free`` wifi = ``yes``, ...); place names (``name``, ``departure``, ``destination``)
  by :func:`~coalm_env.domains.multiwoz.values.name_spelling_key` (aliases, no leading ``the``, letters and digits
  only: ``"saint johns college"`` = ``"saint john's college"``). JGA compares states with it.
- matching, name resolution: the database's (:func:`~coalm_env.domains.multiwoz.database.matches`, the
  evaluators' rules with ``unknown`` matching anything; :meth:`MultiWOZDatabase.resolve_name`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from coalm_env.domains.multiwoz.database import MultiWOZDatabase, matches
from coalm_env.domains.multiwoz.values import dst_value, dst_time, name_spelling_key
from coalm_env.domains.tod.vocab import DONTCARE_VALUE, PLACE_SLOTS, Vocabulary

__all__ = ["MultiWOZVocabulary", "value_key"]


@functools.lru_cache(maxsize=1 << 16)
def _value_key(slot: str, value: str) -> str:
    text = dst_value(slot, value)
    return name_spelling_key(text) if slot in PLACE_SLOTS and text != DONTCARE_VALUE else text


def value_key(slot: str, value: Any) -> str:
    """MultiWOZ's comparison key of a slot value (see the module docstring)."""
    return _value_key(slot, str(value))


class MultiWOZVocabulary(Vocabulary):
    """The vocabulary of ``coalm/MultiWOZ-v0`` over one loaded database."""

    def __init__(self, database: MultiWOZDatabase):
        super().__init__(database.names)
        self.database = database

    def clock_time(self, text: str) -> str:
        return dst_time(str(text))

    def value_key(self, slot: str, value: Any) -> str:
        return value_key(slot, value)

    def same_value(self, slot: str, a: Any, b: Any) -> bool:
        return value_key(slot, a) == value_key(slot, b)

    def matches(self, record: Mapping[str, Any], constraints: Mapping[str, Any]) -> bool:
        return matches(record, constraints)

    def resolve_name(self, domain: str, text: Any) -> str | None:
        return self.database.resolve_name(domain, str(text))

    @functools.cached_property
    def understanding(self) -> Any:
        """The understanding over the MultiWOZ folder (val annotations, ontology, DB names) and the train
        stations as places; the hand-written table when the dialogue files are missing."""
        from coalm_env import data
        from coalm_env.domains.tod.understanding import Understanding

        places = self.places["train"]
        try:
            return Understanding.from_data(data.require("multiwoz24"), places)
        except Exception:  # noqa: BLE001 - no dialogue files: the table over the DB names
            return Understanding.fallback(self.names, places)

    @functools.cached_property
    def places(self) -> dict[str, list[str]]:
        rows = self.database.tables.get("train", [])
        return {"train": sorted({str(r[s]) for r in rows for s in ("departure", "destination") if r.get(s)})}
