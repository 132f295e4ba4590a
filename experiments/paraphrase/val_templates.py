"""Real MultiWOZ **val** wizard turns as reply templates: each turn delexicalised with its own
``span_info`` (every annotated value replaced by a slot placeholder), kept only when every value its
dialogue acts state is annotated (so no stale value survives), then relexicalised with the oracle's
values. The test split is never read (the environments play it)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Template", "load_templates", "VAL_FILE"]

VAL_FILE = "convlab_mwz21_valtest/val.json"
_SLOTS = {"Name": "name", "Area": "area", "Food": "food", "Type": "type", "Stars": "stars", "Addr": "address",
          "Phone": "phone", "Post": "postcode", "Fee": "entrance fee", "Ref": "reference", "Id": "trainID",
          "Leave": "leaveAt", "Arrive": "arriveBy", "Depart": "departure", "Dest": "destination", "Day": "day",
          "Car": "car type", "Choice": "choice", "People": "people", "Stay": "stay", "Ticket": "price"}
_EXTRA_OK = {"general-reqmore", "general-welcome", "general-greet", "Booking-Inform"}
_DETOK = [(re.compile(r" ([.,!?;:])"), r"\1"), (re.compile(r" (n't|'s|'d|'ll|'re|'ve|'m)\b"), r"\1"),
          (re.compile(r"\s+"), " ")]


@dataclass(frozen=True)
class Template:
    """One delexicalised turn: ``text`` with ``{0}``, ``{1}``... standing for ``slots``."""

    kind: str
    domain: str
    text: str
    slots: tuple[str, ...]

    def fill(self, values: Mapping[str, str]) -> str:
        return self.text.format(*(values[s] for s in self.slots))


def _slot(short: str, domain: str) -> str | None:
    if short == "Price":
        return "pricerange"
    if short == "Time":
        return "duration" if domain == "train" else "time"
    return _SLOTS.get(short)


def _kind(acts: Mapping[str, list]) -> tuple[str, str] | None:
    """(kind, domain) of a wizard turn made of one main act (plus harmless general ones), else None."""
    main = [a for a in acts if a not in _EXTRA_OK]
    bye = set(acts) <= {"general-bye", "general-welcome"} and "general-bye" in acts
    if bye:
        return "bye", "general"
    if len(main) == 1:
        dom, _, act = main[0].partition("-")
        dom = dom.lower()
        if act in ("Inform", "Recommend") and dom in ("restaurant", "hotel", "attraction", "train"):
            return "offer", dom
        if act == "NoOffer" and dom in ("restaurant", "hotel", "attraction", "train"):
            return "no_match", dom
        if main[0] == "Booking-Book":
            return "booked", "booking"
        if main[0] == "Booking-NoBook":
            return "book_failed", "booking"
        if main[0] == "Train-OfferBooked":
            return "booked", "train"
        if main[0] == "Taxi-Inform":
            return "taxi", "taxi"
    if len(main) == 2 and {a.partition("-")[2] for a in main} == {"Inform", "Recommend"} and \
            len({a.partition("-")[0] for a in main}) == 1:
        return "offer", main[0].partition("-")[0].lower()
    return None


def _template(turn: Mapping) -> Template | None:
    acts = turn.get("dialog_act") or {}
    kind = _kind(acts)
    if kind is None:
        return None
    domain = kind[1]
    words = turn["text"].split()
    spans = sorted((int(f), int(l), short) for _act, short, _v, f, l in turn.get("span_info", ()))
    stated = {(short, str(v).lower()) for pairs in acts.values() for short, v in pairs if v not in ("none", "?")}
    covered = {(short, str(v).lower()) for _a, short, v, _f, _l in turn.get("span_info", ())}
    if stated - covered or any(short in ("Internet", "Parking", "Open") for pairs in acts.values() for short, _ in pairs):
        return None
    out, slots, i = [], [], 0
    for first, last, short in spans:
        slot = _slot(short, domain if domain != "booking" else "")
        if slot is None or first < i or slot in slots:
            return None  # an unknown slot, overlapping spans, or the same slot twice (two offers)
        out += [w.replace("{", "(").replace("}", ")") for w in words[i:first]] + [f"{{{len(slots)}}}"]
        slots.append(slot)
        i = last + 1
    out += [w.replace("{", "(").replace("}", ")") for w in words[i:]]
    text = " ".join(out)
    for pattern, repl in _DETOK:
        text = pattern.sub(repl, text)
    text = text.strip()
    if not text or len(text) > 300 or re.search(r"\d", re.sub(r"\{\d+\}", "", text)):
        return None  # empty, rambling, or a stale number the spans did not cover
    need = {"offer": "trainID" if domain == "train" else "name", "booked": "reference"}.get(kind[0])
    if need is not None and need not in slots:
        return None  # an offer that names nothing, a booking without its reference
    return Template(kind[0], domain, text, tuple(slots))


def _venue_names(folder: Path):
    """``names(text)``: whether a text names a database venue (exact names and their variants), or ``None``."""
    try:
        from coalm_env.domains.tod.understanding.lexicon import read_db_names
        from coalm_env.domains.tod.understanding.names import NameIndex
        from coalm_env.domains.tod.understanding.tokens import tokenize
    except ImportError:
        return None
    indexes = [NameIndex(ns) for d, ns in read_db_names(folder).items() if ns and d != "train"]
    return lambda text: any(ix.find(tokenize(text), fuzzy=False, text=text) for ix in indexes)


@functools.lru_cache(maxsize=2)
def load_templates(folder: str | Path | None) -> dict[tuple[str, str], list[Template]]:
    """``{(kind, domain): [templates]}`` from the val dialogues of a MultiWOZ ``folder`` (``{}`` without it).

    Kinds: ``offer`` (restaurant/hotel/attraction/train), ``no_match``, ``booked`` (``booking`` or
    ``train``), ``book_failed`` (``booking``), ``taxi``, ``bye``."""
    if folder is None:
        return {}
    path = Path(folder) / VAL_FILE
    if not path.is_file():
        return {}
    out: dict[tuple[str, str], list[Template]] = {}
    seen = set()
    names = _venue_names(Path(folder))
    for dialogue in json.loads(path.read_text()).values():
        for i, turn in enumerate(dialogue.get("log", ())):
            if i % 2 == 1:
                t = _template(turn)
                if t is not None and names is not None and names(re.sub(r"\{\d+\}", " ", t.text)):
                    continue  # a venue left in the words ("... your reservation at the Autumn House"): it would
                    # name another venue than the one the oracle means
                if t is not None and t.text not in seen:
                    seen.add(t.text)
                    out.setdefault((t.kind, t.domain), []).append(t)
    return out
