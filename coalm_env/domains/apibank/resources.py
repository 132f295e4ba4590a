"""What every API-Bank backend shares, loaded once per process: descriptions, databases, recordings.

* :func:`descriptions` -- the API descriptions (``api_descriptions.json`` for levels 1-2,
  ``lv3_api_descriptions.json`` for level 3), keyed by name.
* :func:`base_store` -- the writable initial databases as one copy-on-write
  :class:`~coalm_env.backend.store.Store` (episodes get O(1) views of it).
* :func:`reference` -- the read-only knowledge bases (image captions, wiki, symptoms, ...).
* :func:`recordings` -- every gold ``(api, input) -> output`` pair the dataset records, used to
  answer web-dependent APIs offline and the level-3 APIs whose mock data is not in the dataset.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from coalm_env import data
from coalm_env.backend.plan import argument_key
from coalm_env.backend.store import Store

__all__ = ["descriptions", "base_store", "reference", "recordings", "Recordings", "record_key"]

#: tables the APIs write; each maps a key to a record (a dict)
_WRITABLE = ("Account", "Agenda", "Alarm", "Appointments", "Bank", "HealthData", "Hotel", "Meeting",
             "Reminder", "Scenes", "TimeSwitch")
_READ_ONLY = ("History", "ImageCaptioning", "QuestionAnswering", "SearchEngine", "SpeechRecognition",
              "Stock", "Symptom", "Wiki")


@functools.cache
def descriptions(level: int) -> dict[str, dict[str, Any]]:
    """``{api name: description dict}`` for the APIs of ``level``."""
    name = "lv3_api_descriptions.json" if level == 3 else "api_descriptions.json"
    return {d["name"]: d for d in data.read_json("apibank", name)}


def _db(name: str) -> Any:
    return data.read_json("apibank", "init_database", f"{name}.json")


def _as_records(name: str, raw: Any) -> dict[str, dict[str, Any]]:
    """The init DB as ``{key: record}``: list-valued entries are wrapped so each row is a dict."""
    if name == "HealthData":
        return {k: {"records": v} for k, v in raw.items()}
    if name == "Scenes":
        return {k: {"devices": v} for k, v in raw.items()}
    if name == "TimeSwitch":
        return {k: {"switches": v} for k, v in raw.items()}
    return {str(k): dict(v) for k, v in raw.items()}


@functools.cache
def base_store() -> Store:
    """The initial state of every writable table (built once; never mutated)."""
    return Store({name: _as_records(name, _db(name)) for name in _WRITABLE})


@functools.cache
def reference() -> dict[str, Any]:
    """Read-only knowledge bases: ``{table: raw JSON}``; image captions keyed by URL."""
    out = {name: _db(name) for name in _READ_ONLY}
    out["ImageCaptioning"] = {row["url"]: row["caption"] for row in _db("ImageCaptioning")}
    return out


def record_key(name: str, arguments: dict[str, Any], keys: Iterable[str] | None = None) -> str:
    """A case/space/type-insensitive key for a call (only ``keys`` of the arguments, if given)."""
    chosen = {k: v for k, v in arguments.items() if keys is None or k in keys}
    return json.dumps([name, argument_key(chosen)], sort_keys=True, default=str)


class Recordings:
    """Gold calls the dataset records, looked up by normalized input."""

    def __init__(self, rows: Iterable[tuple[str, dict[str, Any], Any]]):
        self._rows: dict[str, Any] = {}
        self._inputs: dict[str, list[dict[str, Any]]] = {}
        for name, arguments, output in rows:
            self._rows.setdefault(record_key(name, arguments), output)
            self._inputs.setdefault(name, []).append(arguments)

    def get(self, name: str, arguments: dict[str, Any], keys: Iterable[str] | None = None) -> tuple[bool, Any]:
        """``(found, output)``; with ``keys``, only those arguments are compared."""
        if keys is None:
            key = record_key(name, arguments)
            return (key in self._rows, self._rows.get(key))
        wanted = record_key(name, arguments, keys)
        for recorded in self._inputs.get(name, []):
            if record_key(name, recorded, keys) == wanted:
                return True, self._rows[record_key(name, recorded)]
        return False, None

    def inputs(self, name: str) -> list[dict[str, Any]]:
        """Every recorded input of ``name`` (what the API can answer offline)."""
        return list(self._inputs.get(name, []))


@functools.cache
def recordings(level_group: str) -> Recordings:
    """Recorded gold calls of levels 1-2 (``"lv12"``) or level 3 (``"lv3"``)."""
    from coalm_env.domains.apibank.samples import load_scenarios

    levels = (3,) if level_group == "lv3" else (1, 2)
    rows = []
    for level in levels:
        for scenario in load_scenarios(level):
            for step in scenario.meta["steps"]:
                if step["exception"] is None:
                    rows.append((step["name"], step["input"], step["output"]))
    return Recordings(rows)
