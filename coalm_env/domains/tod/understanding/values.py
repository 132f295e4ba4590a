"""Slot values in free text, in any form: :class:`Understanding` and its :meth:`~Understanding.find_values`
/ :meth:`~Understanding.gives_value`.

One :class:`Understanding` per domain object (Travel: :meth:`Understanding.fallback` over its names;
MultiWOZ: :meth:`Understanding.from_data` over the MultiWOZ folder). Canonical values are database
spellings: ``"19:30"``, ``"7.50 pounds"``, ``"free"``, ``"01223351880"``, ``"cb21uf"``, ``"4"``,
``"105 minutes"``, ``"yes"``, ``"centre"``, ``"moderate"``, ``"guesthouse"``, ``"TR1234"``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from coalm_env.domains.tod.understanding import patterns
from coalm_env.domains.tod.understanding.facilities import FEE_UNKNOWN, facility_values, fee_free, fee_unknown
from coalm_env.domains.tod.understanding.lexicon import Lexicon, fallback_lexicon, load_lexicon, read_db_names
from coalm_env.domains.tod.understanding.names import NameIndex
from coalm_env.domains.tod.understanding.tokens import PhraseIndex, Token, phrase_key, tokenize

__all__ = ["ValueMention", "Understanding", "TIME_SLOTS", "PLACE_SLOTS"]

TIME_SLOTS = ("time", "leaveAt", "arriveBy")
PLACE_SLOTS = ("departure", "destination")
_NAME_DOMAINS = ("restaurant", "hotel", "attraction")
_PATTERN_SLOTS = {"phone": patterns.phones, "postcode": patterns.postcodes, "stars": patterns.stars,
                  "duration": patterns.durations, "trainID": patterns.train_ids, "reference": patterns.references,
                  "price": patterns.prices}
_NEGATORS = frozenset({"not", "no", "isnt", "arent", "wasnt", "werent", "doesnt", "dont", "nt", "never", "without"})
_ARRIVE_CUE = re.compile(r"(arriv\w*|get(?:s|ting)? (?:you )?(?:there|in)|be there|reach\w*|by|until|before)"
                         r"\s*(?:at|by|in|around|about)?\s*$")
_CLOCKLIKE = re.compile(r"\d{1,2}\s?[:.]\s?\d{2}")
_TAXI_CARS = ("toyota", "skoda", "bmw", "honda", "ford", "audi", "lexus", "volvo", "volkswagen", "tesla")
_TAXI_COLOURS = ("black", "white", "red", "yellow", "blue", "grey")
_CAR = re.compile(rf"\b(?:(?:{'|'.join(_TAXI_COLOURS)})\s)?(?:{'|'.join(_TAXI_CARS)})\b")


@dataclass(frozen=True, slots=True)
class ValueMention:
    """One slot value stated in a text: ``text[start:end] == surface`` states ``slot = value``."""

    slot: str
    value: str
    start: int
    end: int
    surface: str


class Understanding:
    """Value recognition for one task-oriented world.

    Args:
        lexicon: closed-class surface forms (default: the hand-written table).
        names: ``{domain: [entity names]}`` (restaurant, hotel, attraction; others are read by pattern).
        places: town and station names for ``departure``/``destination`` besides the venue names.
    """

    def __init__(self, lexicon: Lexicon | None = None, names: Mapping[str, Sequence[str]] | None = None,
                 places: Iterable[str] = ()):
        self.lexicon = lexicon or fallback_lexicon()
        variants = self.lexicon.name_variants
        self.names = {d: NameIndex(ns, variants.get(d)) for d, ns in (names or {}).items()
                      if ns and d in _NAME_DOMAINS}
        self.places = PhraseIndex((p, p) for p in places)
        self._name_cache: dict[tuple[int, str | None], tuple[Sequence[Token], list[tuple[int, int, str]]]] = {}
        self._find_cache: dict[tuple, tuple[ValueMention, ...]] = {}
        self._keys_cache: dict[tuple[str, tuple[str, ...]], frozenset[str]] = {}
        #: the reader's per-sentence names and acts (:mod:`.acts`, keyed ``(sentence,)`` and ``(sentence, asks,
        #: domain)``: kept here, they are of this understanding)
        self._acts_cache: dict[tuple, object] = {}

    @classmethod
    def fallback(cls, names: Mapping[str, Sequence[str]] | None = None, places: Iterable[str] = ()) -> Understanding:
        """The hand-written table over ``names`` (Travel; or MultiWOZ without its dialogue files)."""
        return cls(fallback_lexicon(), names, places)

    @classmethod
    def from_data(cls, folder: str | Path, places: Iterable[str] = ()) -> Understanding:
        """The lexicon of a MultiWOZ ``folder`` (val annotations, ontology, DB names)."""
        folder = Path(folder)
        return cls(load_lexicon(folder), read_db_names(folder), places)

    # -- the two questions -----------------------------------------------------------------
    def find_values(self, text: str, slot: str, candidates: Iterable[str] | None = None,
                    domain: str | None = None) -> list[ValueMention]:
        """Values of ``slot`` stated in ``text``, left to right.

        Args:
            text: any text.
            slot: a schema slot name (``area``, ``entrance fee``, ``leaveAt``, ``name``, ...).
            candidates: the values that count (database spellings); a mention of another value is dropped.
                For ``name``, ``address``, ``department`` and places they are what is looked for.
            domain: for ``name``: the domain whose names to look for (default: all known).
        """
        text = text if isinstance(text, str) else str(text)
        if candidates is None:
            return list(self._mentions(text, slot, domain))
        cands = tuple(candidates)
        found = self._find(text, slot, cands, domain)
        if slot not in ("name", "address", "department", *PLACE_SLOTS):
            keys = self._candidate_keys(slot, cands)
            found = tuple(m for m in found if self.key(slot, m.value) in keys or _time_alias(slot, m.value, keys))
        return list(_stated(found))

    def _mentions(self, text: str, slot: str, domain: str | None = None) -> tuple[ValueMention, ...]:
        """:meth:`find_values` without candidates, as a tuple shared from the cache (the reader asks each
        sentence about many slots: no list copies)."""
        return _stated(self._find(text, slot, None, domain))

    def _candidate_keys(self, slot: str, candidates: tuple[str, ...]) -> frozenset[str]:
        """``{key(slot, c) for c in candidates}``, kept per (slot, candidates): the same enum and venue
        value lists are asked about on every reply."""
        ck = (slot, candidates)
        keys = self._keys_cache.get(ck)
        if keys is None:
            if len(self._keys_cache) > 4096:
                self._keys_cache.clear()
            keys = self._keys_cache[ck] = frozenset(self.key(slot, c) for c in candidates)
        return keys

    def read_agent_turn(self, text: object, domains: Sequence[str] | None = None,
                        entity_names: Mapping[str, Iterable[str]] | None = None):
        """:func:`~coalm_env.domains.tod.understanding.acts.read_agent_turn` with this understanding: users and
        policies reach the reader through the vocabulary (``context.vocab.understanding``), never by import."""
        from coalm_env.domains.tod.understanding.acts import read_agent_turn  # acts imports this module

        if domains is None:
            return read_agent_turn(text, entity_names=entity_names, understanding=self)
        return read_agent_turn(text, tuple(domains), entity_names=entity_names, understanding=self)

    def gives_value(self, text: str, slot: str, value: str, domain: str | None = None) -> bool:
        """Whether ``text`` states ``slot = value`` in any form (a time in any clock form and either
        half-day when said without am/pm; ``"free"`` as "no entrance fee"; ...)."""
        value = str(value).strip()
        if not value or value == "?":
            return False
        slot_ = "time" if slot in TIME_SLOTS else slot
        if slot_ in ("name", "address", "department", *PLACE_SLOTS):
            return bool(self._find(text, slot_, (value,), domain))
        if slot_ == "time" and not _CLOCKLIKE.search(self.canonical(slot, value) or value):
            # a described time ("every hour", "early morning", "the earliest"): given when said as such
            return bool(_candidate_hits(_tokens(text), (value,)))
        return bool(self.find_values(text, slot_, (value,)))

    def key(self, slot: str, value: str) -> str:
        """The comparison key of a value of ``slot`` (canonical value, lower case)."""
        canon = self.canonical(slot, value)
        return (canon if canon is not None else " ".join(phrase_key(value))).lower()

    def canonical(self, slot: str, value: str, domain: str | None = None) -> str | None:
        """The canonical (database) form of a whole value as someone wrote it, or ``None``."""
        value = str(value).strip()
        low = value.lower()
        if slot in TIME_SLOTS or slot in _PATTERN_SLOTS or slot in ("entrance fee", "people", "stay"):
            found = self._find(value, "time" if slot in TIME_SLOTS else slot, None, domain)
            if found:
                return found[0].value.rstrip(patterns.AMBIGUOUS_HOUR)
            if slot in TIME_SLOTS and re.fullmatch(r"\d{1,2}:\d{2}", low):
                return f"{int(low.split(':')[0]):02d}:{low.split(':')[1]}"
            digits = re.fullmatch(r"([01]\d|2[0-3])\s?([0-5]\d)", low) if slot in TIME_SLOTS else None
            if digits:  # "0524", "09 21": a 24-hour time written without a colon
                return f"{digits.group(1)}:{digits.group(2)}"
            if slot in ("people", "stay", "stars"):
                num = patterns.number_value(low)
                return str(int(num)) if num is not None else None
            if slot == "entrance fee" and fee_unknown(f"fee {low}"):
                return FEE_UNKNOWN  # "not listed", "do not know": the annotation of an unknown fee
            if slot in ("entrance fee", "price") and re.fullmatch(r"\d+(?:\.\d+)?", low):
                return patterns.format_pounds(float(low))  # "2.50" written without a currency
            return low or None
        if slot in ("parking", "internet"):
            return {"free": "yes", "none": "no", "yes": "yes", "no": "no"}.get(low)
        if slot == "name":
            return self.resolve_name(value, domain)
        if slot in self.lexicon.values:
            return self.lexicon.canonical(slot, value)
        return low or None

    def resolve_name(self, text: str, domain: str | None = None) -> str | None:
        """The database name ``text`` stands for (variants, short forms, misspellings), or ``None``."""
        for d, index in self.names.items():
            if domain in (None, d):
                found = index.resolve(text)
                if found:
                    return found
        return None

    # -- readers ---------------------------------------------------------------------------
    def _find(self, text: str, slot: str, candidates: tuple[str, ...] | None,
              domain: str | None) -> tuple[ValueMention, ...]:
        # one reply is asked about the same slots several times (acts, requests, informs, the scorer)
        key = (text, slot, candidates, domain)
        hit = self._find_cache.get(key)
        if hit is None:
            if len(self._find_cache) > 8192:
                self._find_cache.clear()
            hit = self._find_cache[key] = tuple(self._find_uncached(text, slot, candidates, domain))
        return hit

    def _find_uncached(self, text: str, slot: str, candidates: tuple[str, ...] | None,
                       domain: str | None) -> list[ValueMention]:
        low = text.lower()
        if slot in TIME_SLOTS:
            spans = _times(low)
            if slot != "time":
                spans = [s for s in spans if _role(low, s[0]) == slot]
        elif slot == "price":  # "£5", "7.50 pounds", or a bare amount after a price word ("the fee is 89.5")
            spans = patterns.prices(low)
            spans = sorted(spans + [b for b in patterns.fee_amounts(low)
                                    if not any(s < b[1] and b[0] < e for s, e, _ in spans)])
        elif slot in _PATTERN_SLOTS:
            spans = _PATTERN_SLOTS[slot](low)
        elif slot == "entrance fee":
            spans = patterns.prices(low) + fee_free(_tokens(text))
            spans = sorted(spans + [b for b in patterns.bare_amounts(low) + fee_unknown(low)
                                    if not any(s < b[1] and b[0] < e for s, e, _ in spans)])
        elif slot in ("people", "stay"):
            spans = patterns.counts(low, slot)
        elif slot in ("parking", "internet"):
            spans = facility_values(_tokens(text), low, slot)
        elif slot == "car type":
            spans = [(m.start(), m.end(), m.group(0)) for m in _CAR.finditer(low)]
        else:
            spans = self._phrases(text, slot, candidates, domain)
        return [ValueMention(slot, v, s, e, text[s:e]) for s, e, v in spans]

    def _phrases(self, text: str, slot: str, candidates: tuple[str, ...] | None,
                 domain: str | None) -> list[patterns.Span]:
        tokens = _tokens(text)
        if slot == "name":
            hits = self._names(tokens, domain, text)
            if candidates is not None:
                wanted = {self.resolve_name(c, domain) or c for c in candidates} | set(candidates)
                hits = [h for h in hits if h[2] in wanted] or _candidate_hits(tokens, candidates)
            return [(tokens[s].start, tokens[e - 1].end, v) for s, e, v in hits]
        index = self.lexicon.indexes.get(slot)
        hits = [h for h in index.find(tokens) if not _negated(tokens, h[0])] if index else []
        if slot in PLACE_SLOTS:
            hits = [h for h in self.places.find(tokens) + self._names(tokens, None, text)
                    if _place_role(tokens, h[0]) in ((slot, None) if candidates is not None else (slot,))]
        if candidates is not None and (not hits or slot in ("address", "department", *PLACE_SLOTS)):
            hits += _candidate_hits(tokens, candidates)
        return sorted({(tokens[s].start, tokens[e - 1].end, v) for s, e, v in hits})

    def _names(self, tokens: Sequence[Token], domain: str | None, text: str | None = None
               ) -> list[tuple[int, int, str]]:
        if domain is None:  # every domain's names, from the per-domain cache
            return sorted(h for d in self.names for h in self._names(tokens, d, text))
        key = (id(tokens), domain)
        hit = self._name_cache.get(key)
        if hit is not None and hit[0] is tokens:
            return hit[1]
        index = self.names.get(domain)
        out = index.find(tokens, text=text) if index is not None else []
        if len(self._name_cache) > 1024:
            self._name_cache.clear()
        self._name_cache[key] = (tokens, sorted(out))  # tokens are cached per text (_tokens)
        return self._name_cache[key][1]


def _stated(found: tuple[ValueMention, ...]) -> tuple[ValueMention, ...]:
    """The mentions as stated: without the ambiguous-hour mark of a value (the mentions of ``_find`` are of one
    slot and text, frozen, so shared; rebuilt only where a value carries the mark)."""
    if not found or not any(m.value.endswith(patterns.AMBIGUOUS_HOUR) for m in found):
        return found
    return tuple(m if (v := m.value.rstrip(patterns.AMBIGUOUS_HOUR)) == m.value else
                 ValueMention(m.slot, v, m.start, m.end, m.surface) for m in found)


@functools.lru_cache(maxsize=512)
def _times(low: str) -> tuple[patterns.Span, ...]:
    """:func:`.patterns.times`, kept per text: a sentence is read for ``time``, ``leaveAt`` and ``arriveBy``."""
    return tuple(patterns.times(low))


@functools.lru_cache(maxsize=512)
def _tokens(text: str) -> list[Token]:
    return tokenize(text)


@functools.lru_cache(maxsize=4096)
def _candidate_index(candidates: tuple[str, ...]) -> PhraseIndex:
    entries = [(c, c) for c in candidates]
    entries += [(phrase_key(c)[1:], c) for c in candidates if phrase_key(c)[:1] == ("the",) and len(phrase_key(c)) > 1]
    return PhraseIndex(entries)


def _candidate_hits(tokens: Sequence[Token], candidates: tuple[str, ...]) -> list[tuple[int, int, str]]:
    return _candidate_index(candidates).find(tokens)


def _negated(tokens: Sequence[Token], i: int) -> bool:
    return i > 0 and tokens[i - 1].word in _NEGATORS or i > 1 and tokens[i - 2].word in _NEGATORS and \
        tokens[i - 1].word in ("too", "very", "so", "that", "really", "in", "the")


def _role(low: str, start: int) -> str:
    return "arriveBy" if _ARRIVE_CUE.search(low[max(0, start - 30):start]) else "leaveAt"


def _place_role(tokens: Sequence[Token], i: int) -> str | None:
    for j in range(i - 1, max(-1, i - 4), -1):
        w = tokens[j].word
        if w in ("from", "leaving", "departing", "departs", "leaves"):
            return "departure"
        if w in ("to", "into", "arriving", "arrives", "destination", "for", "towards"):
            return "destination"
    return None


def _time_alias(slot: str, value: str, keys: set[str]) -> bool:
    """A time said without am/pm (``"half past seven"``) matches either half-day."""
    if slot not in TIME_SLOTS or not value.endswith(patterns.AMBIGUOUS_HOUR):
        return False
    h, m = value.rstrip(patterns.AMBIGUOUS_HOUR).split(":")
    return f"{(int(h) + 12) % 24:02d}:{m}" in keys or f"{int(h):02d}:{m}" in keys
