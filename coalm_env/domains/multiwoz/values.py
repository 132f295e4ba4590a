"""Canonical forms of MultiWOZ slot values, shared by the database, goal conversion and JGA.

MultiWOZ writes the same value many ways (``"7pm"``, ``"19:00"``, ``"after 19:00"``; ``"nando's"``,
``"nandos"``; ``"guest house"``, ``"guesthouse"``; ``"free"`` wifi for ``"yes"``). :func:`dst_value` maps
each to one form. The name and food variants follow the table of the standard evaluator (Nekvinda &
Dušek's mwzeval ``normalization.py``); the rest are the usual DST normalisations. The dontcare and
empty forms are the task-oriented vocabulary's (:mod:`coalm_env.domains.tod.vocab`); code outside the
MultiWOZ package compares values through :class:`~coalm_env.domains.multiwoz.vocab.MultiWOZVocabulary`.
"""

from __future__ import annotations

import functools
import re

from coalm_env.domains.tod.vocab import DONTCARE, DONTCARE_VALUE, EMPTY, TIME_SLOTS

__all__ = ["EMPTY", "dst_value", "dst_time", "name_spelling_key", "alternatives", "name_variants"]


_NAME_ALIASES = {
    "hotel du vin bistro": "hotel du vin and bistro", "the river bar and grill": "the river bar steakhouse and grill",
    "nando's": "nandos", "city center b and b": "city center north b and b", "caffee uno": "caffe uno",
    "cafe uno": "caffe uno", "rosa's": "rosas bed and breakfast", "restaurant called two two": "restaurant two two",
    "restaurant 2 two": "restaurant two two", "restaurant two 2": "restaurant two two",
    "restaurant 2 2": "restaurant two two", "restaurant 1 7": "restaurant one seven",
    "restaurant 17": "restaurant one seven", "lime house": "limehouse", "cityrooms": "cityroomz",
    "whale of time": "whale of a time", "huntingdon hotel": "huntingdon marriott hotel",
    "holiday inn exlpress, cambridge": "express by holiday inn cambridge",
    "university hotel": "university arms hotel", "arbury guesthouse and lodge": "arbury lodge guesthouse",
    "bridge house": "bridge guest house", "arbury guesthouse": "arbury lodge guesthouse",
    "nandos in the city centre": "nandos city centre", "broughton gallery": "broughton house gallery",
    "scudamores punt co": "scudamores punting co", "cambridge botanic gardens": "cambridge university botanic gardens",
    "the junction": "junction theatre", "trinity street college": "trinity college",
    "christ college": "christ's college", "christs": "christ's college",
    "history of science museum": "whipple museum of the history of science", "parkside pools": "parkside swimming pool",
    "the botanical gardens at cambridge university": "cambridge university botanic gardens",
    "cafe jello museum": "cafe jello gallery",
}
_TYPE_ALIASES = {"swimming pool": "swimmingpool", "mutliple sports": "multiple sports", "night club": "nightclub",
                 "guest house": "guesthouse", "guesthouses": "guesthouse", "hotels": "hotel",
                 "concert hall": "concerthall"}
_FOOD_ALIASES = {"eriterean": "mediterranean", "brazilian": "portuguese", "sea food": "seafood",
                 "portugese": "portuguese", "modern american": "north american", "americas": "north american",
                 "intalian": "italian", "italain": "italian", "asian or oriental": "asian oriental",
                 "english": "british", "australasian": "australian", "gastropod": "gastropub", "brutish": "british",
                 "bristish": "british", "europeon": "european"}
_WORD_TIMES = {"afternoon": "13:00", "lunch": "12:00", "noon": "12:00", "mid-day": "12:00", "midday": "12:00",
               "morning": "08:00", "evening": "18:00", "midnight": "00:00"}
_TIME_RE = re.compile(r"^(\d{1,2})(?:[:.]?(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?$")


def dst_time(value: str) -> str:
    """``"7pm"`` -> ``"19:00"``, ``"after 9:30"`` -> ``"09:30"``, ``"1715"`` -> ``"17:15"``; other text as is."""
    text = value.strip().lower().rstrip(".,?")
    for prefix in ("after ", "by ", "afer ", "around ", "at ", "before "):
        text = text.removeprefix(prefix)
    text = text.strip()
    if text in _WORD_TIMES:
        return _WORD_TIMES[text]
    m = _TIME_RE.match(text.replace(" ", "") if ":" in text else text)
    if not m:
        return text
    hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(".", "")
    if m.group(2) is None and not ampm and len(m.group(1)) > 2:
        return text
    if ampm == "pm" and hour < 12:
        hour += 12
    if ampm == "am" and hour == 12:
        hour = 0
    if hour > 24 or minute > 59:
        return text
    return f"{hour:02d}:{minute:02d}"


def _name(value: str) -> str:
    text = value.strip().lower().replace(" & ", " and ").replace("&", " and ").replace(" '", "'")
    text = " ".join(text.split())
    return _NAME_ALIASES.get(text, text)


def dst_value(slot: str, value: object) -> str:
    """The dialogue-state form of ``value`` for ``slot`` (how MultiWOZ belief states write it; empty
    string for "no value")."""
    return _canonical(slot, str(value))


@functools.lru_cache(maxsize=1 << 16)
def _canonical(slot: str, value: str) -> str:
    text = " ".join(value.strip().lower().split())
    if text in EMPTY:
        return ""
    if text in DONTCARE:
        return DONTCARE_VALUE
    if slot in TIME_SLOTS:
        return dst_time(text)
    if slot in ("name", "departure", "destination"):
        return _name(text)
    if slot == "type":
        return _TYPE_ALIASES.get(text, text)
    if slot == "food":
        return _FOOD_ALIASES.get(text, text)
    if slot in ("parking", "internet"):
        return {"free": "yes", "none": "no"}.get(text, text)
    if slot == "pricerange":
        return {"moderately priced": "moderate", "inexpensive": "cheap"}.get(text, text)
    if slot in ("stars", "people", "stay"):
        digits = re.match(r"^(\d+)", text)
        return digits.group(1) if digits else text
    return text


@functools.lru_cache(maxsize=1 << 16)
def name_spelling_key(name: str) -> str:
    """A spelling-tolerant key of a venue name: the dialogue-state form (:func:`dst_value`), no leading ``the``, letters and digits only
    (``"Saint John 's College"`` and ``"saint johns college"`` share one key)."""
    text = _name(name).removeprefix("the ")
    return re.sub(r"[^a-z0-9]", "", text)


def alternatives(value: str) -> list[str]:
    """MultiWOZ 2.4 writes several acceptable values as ``a|b`` (and ordered ones as ``a>b``, ``a<b``)."""
    return [v.strip() for v in re.split(r"[|<>]", value) if v.strip()]


def name_variants() -> dict[str, str]:
    """``{written form: database name}``: the venue-name variants of :func:`dst_value`'s table."""
    return dict(_NAME_ALIASES)
