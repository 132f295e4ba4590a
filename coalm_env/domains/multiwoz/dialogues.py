"""The MultiWOZ val/test dialogues: goals, user and system turns, gold belief states and bookings.

Goals, texts and acts come from ``convlab_mwz21_valtest/{val,test}.json`` (MultiWOZ 2.1, which 2.4 keeps).
Belief states come from the 2.4 files in ``dialogues/`` where present: ``mwz24_test_reconstructed.json``
(all 1,000 test dialogues; rebuilt from 2.4 deltas, about 0.4% of slot values stale, see the dataset
README) and ``mwz24_val10pct_reconstructed.json`` (100 val dialogues, exact 2.4); elsewhere the 2.1 states.
Each dialogue records where its states came from (``belief_source``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coalm_env import data
from coalm_env.domains.multiwoz.values import EMPTY

__all__ = ["Dialogue", "load_dialogues", "DST_DOMAINS", "DST_SLOTS"]

#: the 30 slots of MultiWOZ dialogue state tracking, in our slot names (book slots without ``book``)
DST_SLOTS: dict[str, tuple[str, ...]] = {
    "hotel": ("name", "area", "parking", "pricerange", "stars", "internet", "type", "people", "day", "stay"),
    "train": ("leaveAt", "destination", "day", "arriveBy", "departure", "people"),
    "restaurant": ("food", "pricerange", "name", "area", "people", "day", "time"),
    "attraction": ("type", "name", "area"),
    "taxi": ("leaveAt", "destination", "departure", "arriveBy"),
}
DST_DOMAINS = tuple(DST_SLOTS)

_FILES = {"test": "test.json", "val": "val.json"}
_STATES_24 = {"test": ("mwz24_test_reconstructed.json", "mwz24-test-rebuilt"),
              "val": ("mwz24_val10pct_reconstructed.json", "mwz24-val")}


@dataclass(frozen=True)
class Dialogue:
    """One dataset dialogue, split into what the scenario needs.

    Attributes:
        id: the dataset id without ``.json`` (``"PMUL4462"``).
        goal: the original goal (``message`` and ``topic`` included).
        user_turns / system_turns: the utterances, one per turn (ConvLab's tokenised text).
        states: per turn, the gold belief state after the user's turn: ``{domain: {slot: value}}``, only
            slots with a value (``dontcare`` included; 2.4's ``a|b`` alternatives kept as written).
        booked: per turn, the bookings the system made in that turn: ``{domain: [entry, ...]}``.
        system_spans: per system turn, its ``span_info`` (the values' word spans, for delexicalisation).
        belief_source: ``mwz24-test-rebuilt``, ``mwz24-val`` or ``mwz21``.
    """

    id: str
    goal: dict[str, Any]
    user_turns: tuple[str, ...]
    system_turns: tuple[str, ...]
    states: tuple[dict[str, dict[str, str]], ...]
    booked: tuple[dict[str, list[dict[str, str]]], ...]
    system_acts: tuple[dict[str, Any], ...]
    belief_source: str
    #: per system turn, its ``span_info`` (act, slot, value, first word, last word): the 2.1 span annotation
    system_spans: tuple[list[list[Any]], ...] = ()


def _state(metadata: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for domain, slots in DST_SLOTS.items():
        meta = metadata.get(domain) or {}
        merged = {**(meta.get("semi") or {}), **{k: v for k, v in (meta.get("book") or {}).items() if k != "booked"}}
        values = {s: str(merged[s]).strip() for s in slots
                  if isinstance(merged.get(s), str) and merged[s].strip().lower() not in EMPTY}
        if values:
            out[domain] = values
    return out


def _booked(metadata: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    out = {}
    for domain, meta in metadata.items():
        entries = ((meta or {}).get("book") or {}).get("booked") or []
        if entries:
            out[domain] = [dict(e) for e in entries]
    return out


def _new_bookings(before: dict[str, list], after: dict[str, list]) -> dict[str, list[dict[str, str]]]:
    return {d: entries[len(before.get(d, [])):] for d, entries in after.items() if len(entries) > len(before.get(d, []))}


def _dialogue(did: str, raw: Mapping[str, Any], states_log: list | None, source: str) -> Dialogue:
    log = raw["log"]
    system = [log[i] for i in range(1, len(log), 2)]
    state_turns = [states_log[i] for i in range(1, len(states_log), 2)] if states_log else system
    booked, previous = [], {}
    for turn in system:
        now = _booked(turn.get("metadata") or {})
        booked.append(_new_bookings(previous, now))
        previous = now
    return Dialogue(
        id=did,
        goal=raw["goal"],
        user_turns=tuple(log[i]["text"] for i in range(0, len(log), 2)),
        system_turns=tuple(t["text"] for t in system),
        states=tuple(_state(t.get("metadata") or {}) for t in state_turns),
        booked=tuple(booked),
        system_acts=tuple(t.get("dialog_act") or {} for t in system),
        belief_source=source if states_log else "mwz21",
        system_spans=tuple([list(span) for span in t.get("span_info") or ()] for t in system),
    )


def _states_24(split: str) -> dict[str, list]:
    name, _source = _STATES_24[split]
    path = data.dataset_dir("multiwoz24") / "dialogues" / name
    if not path.exists():
        return {}
    rows = data.read_json("multiwoz24", "dialogues", name)
    return {k.removesuffix(".json"): v["log"] for k, v in rows.items()}


def load_dialogues(split: str) -> list[Dialogue]:
    """The dialogues of ``split`` (``val`` or ``test``) in the official list order."""
    raw = data.read_json("multiwoz24", "convlab_mwz21_valtest", _FILES[split])
    listing = data.require("multiwoz24", f"{split}ListFile.json").read_text(encoding="utf-8").split()
    order = [i.removesuffix(".json") for i in listing]
    states = _states_24(split)
    source = _STATES_24[split][1]
    out = []
    for did in order:
        if did not in raw:
            continue  # ConvLab's val drops PMUL4707 (no dialogue acts)
        log24 = states.get(did)
        if log24 is not None and len(log24) != len(raw[did]["log"]):
            log24 = None
        out.append(_dialogue(did, raw[did], log24, source))
    return out
