"""Value recognition for the rule policy through the domain's shared understanding.

The env hands every policy the domain vocabulary as ``info["vocab"]``; its ``understanding`` (the one
value understanding of :mod:`coalm_env.domains.tod.understanding`, shared with the scorer and the agenda
user) reads values in any form: synonyms ("inexpensive", "city center", "car park", "bed and
breakfast"), "a star of 4", plural types ("colleges"), entity names with and without "the", short forms
and misspellings. Reached only through :func:`understanding_of`, never by import (policies know no
domain); without one, the rule policy reads with its own cue words (:mod:`policies.rule_lexicon`).

Also here: the text clean-up every user turn gets first (:func:`detokenize`: MultiWOZ's ``do n't``),
station short forms (:func:`expand_stations`: "Stansted" -> "stansted airport") and references to
another domain's values (:func:`same_slots`: "in the same area as the restaurant").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["understanding_of", "values", "values_mentions", "names", "detokenize", "expand_stations", "same_slots", "SAME_SLOTS"]

#: "the same X" -> the slot it copies
SAME_SLOTS = {"area": "area", "part of town": "area", "side of town": "area", "section of town": "area",
              "part of the city": "area", "location": "area", "neighborhood": "area", "neighbourhood": "area",
              "price range": "pricerange", "pricerange": "pricerange", "price": "pricerange",
              "day": "day", "night": "day", "date": "day",
              "group": "people", "group of people": "people", "number of people": "people", "people": "people",
              "party": "people", "amount of people": "people", "people as": "people", "number": "people"}
_SAME = re.compile(r"\bsame (" + "|".join(sorted(map(re.escape, SAME_SLOTS), key=len, reverse=True)) + r")\b")
_REF_WORDS = {"restaurant": ("restaurant", "dinner", "lunch", "meal"),
              "hotel": ("hotel", "guesthouse", "guest house", "room", "place i m staying", "accommodation"),
              "attraction": ("attraction", "museum", "college", "park", "theatre", "gallery", "cinema", "church",
                             "pool", "club", "nightclub", "boat"),
              "train": ("train",)}
#: first words of a station name that say nothing alone
_STATION_STOP = {"london", "new", "street", "airport", "cross"}


def understanding_of(info_or_vocab: Any) -> Any:
    """The value understanding of an episode (``info["vocab"].understanding``; a vocabulary works too),
    or ``None``."""
    vocab = info_or_vocab.get("vocab") if isinstance(info_or_vocab, Mapping) else info_or_vocab
    if vocab is None:
        return None
    try:
        return getattr(vocab, "understanding", None)
    except Exception:  # noqa: BLE001 - a broken understanding must not break the policy: cue words only
        return None


def values(u: Any, text: str, slot: str, candidates: Sequence[str] | None = None) -> list[str]:
    """Values of ``slot`` stated in ``text`` (left to right), by the understanding ``u``; ``[]`` without one.
    The same question in one user turn is asked again by several readers: the last answers are kept
    (the understanding is a pure function of its arguments)."""
    if u is None or not text:
        return []
    key = (text, slot, tuple(candidates) if candidates is not None else None)
    memo = _VALUES.get(id(u))
    if memo is None or memo[0] is not u:
        memo = _VALUES[id(u)] = (u, {})
        while len(_VALUES) > 8:
            _VALUES.pop(next(iter(_VALUES)))
    found = memo[1].get(key)
    if found is None:
        found = [m.value for m in u.find_values(text, slot, candidates)]
        if len(memo[1]) >= 4096:
            memo[1].clear()
        memo[1][key] = found
    return list(found)


#: per understanding (held, so its id stays its own): (text, slot, candidates) -> values
_VALUES: dict[int, tuple[Any, dict[tuple, list[str]]]] = {}


def values_mentions(u: Any, text: str, slot: str, domain: str | None = None) -> list[Any]:
    """The understanding's mentions (value, surface, start, end) of ``slot`` in ``text``; ``[]`` without one
    or when it fails on odd text."""
    if u is None or not text:
        return []
    try:
        return list(u.find_values(text, slot, domain=domain))
    except Exception:  # noqa: BLE001 - a reading that fails adds nothing
        return []


def names(u: Any, text: str, domains: Iterable[str]) -> list[tuple[str, str]]:
    """``(database name, domain)`` of the entity names ``text`` states, for the venue domains."""
    if u is None:
        return []
    out: list[tuple[str, str]] = []
    for d in domains:
        if d in ("restaurant", "hotel", "attraction"):
            out += [(m.value, d) for m in u.find_values(text, "name", domain=d) if len(m.surface) > 3]
    return out


def detokenize(text: str) -> str:
    """``"do n't"`` -> ``"don't"``, ``"it 's"`` -> ``"it's"`` (MultiWOZ's tokenised turns)."""
    return re.sub(r"(\w)\s+(n't|'s|'d|'ll|'m|'re|'ve)\b", r"\1\2", text)


@functools.lru_cache(maxsize=32)
def _station_forms(stations: tuple[str, ...]) -> list[tuple[re.Pattern[str], str]]:
    forms: dict[str, set[str]] = {}
    for s in stations:
        words = s.split()
        core = words[1:] if words[0] == "london" and len(words) > 1 else words
        for n in range(1, len(core) + 1):
            short = " ".join(core[:n])
            if short != s and core[0] not in _STATION_STOP:
                forms.setdefault(short, set()).add(s)
    out = []
    for short, full in sorted(forms.items(), key=lambda kv: -len(kv[0])):
        if len(full) == 1:
            name = next(iter(full))
            rest = name.split(short, 1)[1].strip() if short in name else ""
            tail = rf"(?!\s+{re.escape(rest)})" if rest else ""
            out.append((re.compile(rf"(?<![a-z0-9])(?:london\s+)?{re.escape(short)}(?![a-z0-9]){tail}", re.I), name))
    return out


def expand_stations(text: str, stations: Sequence[str]) -> str:
    """Station short forms written out: "Stansted" -> "stansted airport", "liverpool street" ->
    "london liverpool street" (the full names stay as they are)."""
    if not stations:
        return text
    low = text.lower()
    for pattern, name in _station_forms(tuple(sorted(stations))):
        if name in low:
            continue
        new = pattern.sub(name, text)
        if new != text:
            text, low = new, new.lower()
    return text


def same_slots(text: str) -> list[tuple[str, str | None]]:
    """``(slot, domain referred to or None)`` for each "the same X (as the Y)" in normalised ``text``."""
    out = []
    for m in _SAME.finditer(text):
        after = text[m.end():m.end() + 30]
        ref = None
        am = re.match(r"\s*(?:as|like)\s+(?:the|my|our|that|for the|at the)?\s*([a-z ]+)", after)
        if am:
            tail = am.group(1)
            ref = next((d for d, ws in _REF_WORDS.items() if any(re.match(rf"{w}\b", tail) for w in ws)), None)
        out.append((SAME_SLOTS[m.group(1)], ref))
    return out
