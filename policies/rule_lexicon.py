"""The rule policy's lexicon: what the tool schemas say, and the cue words it reads user text with.

Everything here is derived from what an agent sees (the ``tools`` of an observation) plus fixed
English cue words; nothing comes from a scenario or its gold.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.text import NUMBER_WORDS, find_time_spans

__all__ = ["Ontology", "DAYS", "NUMBER_WORDS", "NUM", "DOMAIN_WORDS", "SYNONYMS", "REQUEST_WORDS",
           "negated", "dontcare", "wants_booking", "number", "times_with_roles", "is_bye", "is_thanks",
           "is_asking", "apply_synonyms"]

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: a small number, as digits or a word (one regex group)
NUM = r"(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")"

DOMAIN_WORDS: dict[str, tuple[str, ...]] = {
    "restaurant": ("restaurant", "restaurants", "food", "eat", "dine", "dining", "dinner", "lunch", "breakfast",
                   "table", "cuisine", "place to eat", "somewhere to eat"),
    "hotel": ("hotel", "hotels", "guesthouse", "guest house", "place to stay", "somewhere to stay", "lodging",
              "accommodation", "accommodations", "room", "rooms"),
    "attraction": ("attraction", "attractions", "things to do", "something to do", "place to go",
                   "places to go", "somewhere to go", "place to visit", "places to visit", "sightseeing", "visit",
                   "museum", "college", "museums", "colleges", "theatres", "galleries", "cinemas", "churches",
                   "nightclubs"),
    "train": ("train", "trains", "railway", "rail"),
    "taxi": ("taxi", "cab", "pick me up"),
    "police": ("police",),
    "hospital": ("hospital",),
}
#: surface forms that name an enum value differently
SYNONYMS = {"guest house": "guesthouse", "swimming pool": "swimmingpool", "concert hall": "concerthall",
            "center": "centre", "city centre": "centre", "town centre": "centre", "moderately priced": "moderate",
            "inexpensive": "cheap", "pricey": "expensive", "night club": "nightclub"}
#: requestable slot -> words that ask for it (per domain where they differ)
REQUEST_WORDS: dict[str, tuple[str, ...]] = {
    "address": ("address", "located", "location", "where is"),
    "phone": ("phone", "telephone", "contact number", "phone number"),
    "postcode": ("postcode", "post code", "postal code", "zip"),
    "reference": ("reference", "confirmation number", "booking number", "ref"),
    "car type": ("car type", "type of car", "kind of car", "what car", "which car", "car", "vehicle", "make"),
    "duration": ("duration", "travel time", "journey time", "how long", "trip time", "long is the"),
    "price": ("price", "cost", "fare", "how much"),
    "entrance fee": ("entrance fee", "entry fee", "entrance", "admission", "fee", "cost", "how much", "price"),
    "trainID": ("train id", "trainid", "train number", "id"),
    "leaveAt": ("departure time", "leave", "leaves", "depart", "departs"),
    "arriveBy": ("arrival time", "arrive", "arrives", "get in"),
    "pricerange": ("price range", "pricerange", "price", "cost", "expensive"),
    "area": ("area", "part of town", "side of town", "part of the city"),
    "food": ("food", "cuisine", "kind of food", "type of food"),
    "stars": ("star", "stars", "rating"),
    "type": ("type", "kind of"),
    "parking": ("parking",),
    "internet": ("internet", "wifi", "wi fi"),
    "name": ("name",),
}

_NEGATION = re.compile(r"\b(no|not|don't|dont|do not|doesn't|does not|without|won't|no need|needn't|nope)\b")
_DONTCARE = re.compile(r"\b(any|anywhere|anytime|don't care|dont care|do not care|doesn't matter|does not matter|"
                       r"don't mind|dont mind|do not mind|not bothered|"
                       r"no preference|not particular|whatever|either is fine|not fussy|not picky|"
                       r"(?:doesn't|does not|don't|do not|won't|will not) (?:have|need) to|not necessary|not required|"
                       r"(?:doesn't|does not|don't|do not) really (?:matter|care|mind)|(?:isn't|is not|not) (?:that )?important|"
                       r"(?:have )?no preferences?|you choose|surprise me|(?:any|anything) (?:\w+ )?(?:will do|is fine|works)|"
                       r"(?:either|any) (?:\w+ )?(?:is|would be) fine|(?:i'm|i am) open to|not a picky|"
                       r"no particular|(?:don't|do not) have (?:a|an|any)(?: \w+)? preference|"
                       r"open to (?:suggestions|anything)|either one|either way|"
                       r"(?:ok|okay|fine|alright) if (?:it|they|the \w+|there) (?:doesn't|does not|don't|do not|isn't|has no))\b")
_BOOK = re.compile(r"\b(book|booking|reserve|reservation|tickets?|seats?)\b")
_BYE = re.compile(r"\b(bye|goodbye|that's all|that is all|that will be all|that's it|nothing else|all set|"
                  r"no more|i'm done|that's everything)\b")
_THANKS = re.compile(r"\b(thanks|thank you|thank|cheers)\b")
_ASKING = re.compile(r"\?|\b(what|what's|whats|which|where|when|how|give|tell|provide|need the|need their|"
                     r"need its|like the|like their|want the|get the|get their|have the|have their|know the|"
                     r"send|may i|could i|can i|could you|can you|does it|do they|is there|is it|also need)\b")


@dataclass
class Ontology:
    """What the tool schemas say: per domain its find/book APIs, parameters and enum values; and the
    domain's slot schemas (``schemas``: ``{domain: DomainSchema}``, from the env's ``info["vocab"]``)."""

    params: dict[str, dict[str, Any]]
    domains: list[str]
    enums: dict[str, dict[str, list[str]]]
    schemas: Mapping[str, Any] = field(default_factory=dict)
    #: the domain's shared value understanding (``info["vocab"].understanding``; ``None``: cue words only)
    understanding: Any = None

    @classmethod
    def from_tools(cls, tools: str | Sequence[Mapping[str, Any]], schemas: Mapping[str, Any] | None = None,
                   understanding: Any = None) -> Ontology:
        """Build from an observation's ``tools`` (a JSON string) or a list of OpenAI tool schemas, the
        slot schemas of the env's vocabulary (``info["vocab"].schemas``; none: no task-oriented domain)
        and its value understanding (``info["vocab"].understanding``, optional)."""
        schemas = dict(schemas or {})
        items = json.loads(tools) if isinstance(tools, str) else list(tools)
        params = {t["function"]["name"]: t["function"].get("parameters", {}) for t in items}
        domains = [d for d in schemas if f"find_{d}" in params or f"book_{d}" in params]
        enums: dict[str, dict[str, list[str]]] = {}
        for d in domains:
            props = params.get(f"find_{d}", {}).get("properties", {})
            enums[d] = {s: [v for v in p["enum"] if v != "dontcare"] for s, p in props.items() if p.get("enum")}
        return cls(params, domains, enums, schemas, understanding)

    def api(self, kind: str, domain: str) -> str | None:
        """``find_<domain>`` / ``book_<domain>`` when that tool is available."""
        name = f"{kind}_{domain}"
        return name if name in self.params else None

    def arg_names(self, api: str | None) -> list[str]:
        return list(self.params.get(api or "", {}).get("properties", {}))

    def accepts(self, api: str | None, slot: str, value: str) -> bool:
        """Whether ``value`` is a valid ``slot`` argument of ``api`` (enum-wise)."""
        prop = self.params.get(api or "", {}).get("properties", {}).get(slot)
        return prop is not None and (not prop.get("enum") or value in prop["enum"])

    def book_slots(self, domain: str) -> list[str]:
        """Required booking arguments besides the entity key."""
        api = self.api("book", domain)
        if api is None:
            return []
        key = self.schemas[domain].entity_key
        return [s for s in self.params[api].get("required", []) if s != key]

    @property
    def stations(self) -> list[str]:
        train = self.enums.get("train", {})
        return sorted({*train.get("departure", ()), *train.get("destination", ())})


@functools.lru_cache(maxsize=1 << 14)
def rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile`` kept for good: the patterns the rule policy builds from words and names (more
    than ``re``'s own cache of 512 holds, which then recompiles them on every call)."""
    return re.compile(pattern, flags)


@functools.lru_cache(maxsize=1 << 14)
def bounded(word: str) -> re.Pattern[str]:
    """``word`` (escaped) not inside a longer word or number: ``(?<![a-z0-9])word(?![a-z0-9])``."""
    return rx(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])")


def apply_synonyms(text: str) -> str:
    """Normalised text with synonyms rewritten to the enum values they stand for."""
    for surface, value in SYNONYMS.items():
        if surface in text:  # the pattern matches the surface literally: no substring, nothing to rewrite
            text = bounded(surface).sub(value, text)
    return text


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def dontcare(text: str) -> bool:
    return bool(_DONTCARE.search(text)) and not re.search(r"\banything else\b|\bany other\b|\bany more\b", text)


def wants_booking(text: str) -> bool | None:
    """``True``/``False`` when the clause speaks of booking, else ``None``."""
    if not _BOOK.search(text):
        return None
    return not negated(text)


def is_bye(text: str) -> bool:
    return bool(_BYE.search(text.lower()))


def is_thanks(text: str) -> bool:
    return bool(_THANKS.search(text.lower()))


def is_asking(text: str) -> bool:
    return bool(_ASKING.search(text.lower()))


def number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def times_with_roles(raw: str) -> list[tuple[str, str]]:
    """``(time, "leaveAt" | "arriveBy")`` for each clock time in ``raw``, by the nearest cue before it."""
    low = raw.lower()
    out = []
    for start, t in find_time_spans(raw):
        before = low[max(0, start - 30):start]
        leave = max((m.end() for m in re.finditer(r"leav|depart|after|pick|go at|start|from", before)), default=-1)
        arrive = max((m.end() for m in re.finditer(r"arriv|\bby\b|before|get there|be there|get in|reach|until",
                                                    before)), default=-1)
        strong = max((m.end() for m in re.finditer(r"leav|depart|pick", before)), default=-1)
        said = max((m.end() for m in re.finditer(r"arriv|before|get there|be there|get in|reach|until", before)),
                   default=-1)
        if strong > said and re.search(r"\bby\s*(?:about|around)?\s*$", before):
            arrive = -1  # "leave the hotel by 08:00", "picked up by 11:00": a departure time
        out.append((t, "arriveBy" if arrive > leave else "leaveAt"))
    return out
