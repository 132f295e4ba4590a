"""Understanding of user turns for the rule policy: lexicon-driven, from what an agent can see.

The lexicon comes from the tool schemas (``enum`` values of the ``find_*`` parameters) and from the
entity names seen in earlier tool results; nothing is read from the scenario or its gold. A user turn
is split into clauses; each clause gets a domain (keywords, known values, else the one in focus) and
yields constraints, booking slots, requested slots and intents for that domain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.text import find_mentions, find_times, norm

__all__ = ["Ontology", "UserAct", "Clause", "parse_user", "split_clauses", "DAYS", "NUMBER_WORDS"]

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_NUM = r"(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")"

DOMAIN_WORDS: dict[str, tuple[str, ...]] = {
    "restaurant": ("restaurant", "restaurants", "food", "eat", "dine", "dining", "dinner", "lunch", "breakfast",
                   "table", "cuisine", "place to eat", "somewhere to eat"),
    "hotel": ("hotel", "hotels", "guesthouse", "guest house", "place to stay", "somewhere to stay", "lodging",
              "accommodation", "accommodations", "room", "rooms"),
    "attraction": ("attraction", "attractions", "things to do", "something to do", "place to go",
                   "places to go", "somewhere to go", "sightseeing", "entertainment", "visit", "museum", "college"),
    "train": ("train", "trains", "railway", "rail"),
    "taxi": ("taxi", "cab", "pick me up"),
    "police": ("police",),
    "hospital": ("hospital",),
}
#: surface forms that name an enum value differently
SYNONYMS = {"guest house": "guesthouse", "swimming pool": "swimmingpool", "concert hall": "concerthall",
            "center": "centre", "city centre": "centre", "town centre": "centre", "moderately priced": "moderate",
            "inexpensive": "cheap", "pricey": "expensive", "night club": "nightclub"}
_SPECIAL = {"parking", "internet", "stars", "day", "departure", "destination", "name", "trainID"}
_NEGATION = re.compile(r"\b(no|not|don't|dont|do not|doesn't|does not|without|won't|no need|needn't)\b")
_DONTCARE = re.compile(r"\b(any|anywhere|anytime|don't care|dont care|do not care|doesn't matter|does not matter|"
                       r"no preference|not particular|whatever|either is fine|not fussy|not picky)\b")
_BOOK = re.compile(r"\b(book|booking|reserve|reservation|tickets?|seats?)\b")
_BYE = re.compile(r"\b(bye|goodbye|that's all|that is all|that will be all|that's it|nothing else|all set|"
                  r"no more|i'm done|that's everything)\b")
_THANKS = re.compile(r"\b(thanks|thank you|thank|cheers)\b")
_ASKING = re.compile(r"\?|\b(what|what's|whats|which|where|when|how|give|tell|provide|need the|need their|"
                     r"need its|like the|like their|want the|get the|get their|have the|have their|know the|"
                     r"send|may i|could i|can i|could you|can you|does it|do they|is there|is it)\b")
ENT = "zzent{}zz"
_ENT_RE = re.compile(r"zzent(\d+)zz")


@dataclass
class Ontology:
    """What the tool schemas say: per domain its find/book APIs, parameters and enum values."""

    params: dict[str, dict[str, Any]]
    domains: list[str]
    enums: dict[str, dict[str, list[str]]]

    @classmethod
    def from_tools(cls, tools: str | Sequence[Mapping[str, Any]]) -> Ontology:
        items = json.loads(tools) if isinstance(tools, str) else list(tools)
        params = {t["function"]["name"]: t["function"].get("parameters", {}) for t in items}
        domains = [d for d in SCHEMAS if f"find_{d}" in params or f"book_{d}" in params]
        enums: dict[str, dict[str, list[str]]] = {}
        for d in domains:
            props = params.get(f"find_{d}", {}).get("properties", {})
            enums[d] = {s: [v for v in p["enum"] if v != "dontcare"] for s, p in props.items() if p.get("enum")}
        return cls(params, domains, enums)

    def api(self, kind: str, domain: str) -> str | None:
        name = f"{kind}_{domain}"
        return name if name in self.params else None

    def arg_names(self, api: str) -> list[str]:
        return list(self.params.get(api, {}).get("properties", {}))

    def book_slots(self, domain: str) -> list[str]:
        api = self.api("book", domain)
        if api is None:
            return []
        key = SCHEMAS[domain].entity_key
        return [s for s in self.params[api].get("required", []) if s != key]

    @property
    def stations(self) -> list[str]:
        train = self.enums.get("train", {})
        return sorted({*train.get("departure", ()), *train.get("destination", ())})


@dataclass
class Clause:
    """One clause of a user turn: raw and normalised text, its domain, and whether it asks."""

    raw: str
    text: str
    domain: str | None
    asking: bool
    explicit: bool = False


@dataclass
class UserAct:
    """What one user turn says, per domain."""

    informs: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: dict[str, list[str]] = field(default_factory=dict)
    book: dict[str, bool] = field(default_factory=dict)
    chosen: dict[str, str] = field(default_factory=dict)
    domains: list[str] = field(default_factory=list)
    bye: bool = False
    thanks: bool = False

    def inform(self, domain: str, slot: str, value: str) -> None:
        self.informs.setdefault(domain, {})[slot] = value
        self.touch(domain)

    def touch(self, domain: str) -> None:
        if domain not in self.domains:
            self.domains.append(domain)

    @property
    def empty(self) -> bool:
        return not (self.informs or self.requests or self.book or self.chosen or self.domains)


def split_clauses(text: str) -> list[tuple[str, bool]]:
    """``(clause, sentence_is_question)`` pairs: sentences split at ``.!?;``, then at ``,``/and/but/also."""
    out = []
    for m in re.finditer(r"[^.!?;\n]+(?:[.!?;]+|$)|(?<=\d)\.(?=\d)", text):
        sentence = m.group(0)
        question = "?" in sentence
        for part in re.split(r",|\band also\b|\balso\b|\band\b|\bbut\b|\bplus\b", sentence):
            if part.strip(" .!?;"):
                out.append((part.strip(), question))
    return out


def _mask_names(text: str, names: Sequence[str]) -> tuple[str, list[str]]:
    found: list[str] = []
    for name in sorted(set(names), key=lambda n: -len(n)):
        words = norm(name).removeprefix("the ").split()
        if not words:
            continue
        pattern = r"(?<![A-Za-z0-9])(?:the\s+)?" + r"[\s\W]+".join(map(re.escape, words)) + r"(?![A-Za-z0-9])"
        if re.search(pattern, text, re.IGNORECASE):
            text = re.sub(pattern, f" {ENT.format(len(found))} ", text, flags=re.IGNORECASE)
            found.append(name)
    return text, found


def _keyword_domains(text: str, onto: Ontology) -> list[str]:
    hits = []
    for d in onto.domains:
        for w in DOMAIN_WORDS.get(d, ()):
            m = re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", text)
            if m:
                hits.append((m.start(), d))
                break
    return [d for _p, d in sorted(hits)]


def _value_domains(text: str, onto: Ontology) -> list[str]:
    owners: dict[str, set[str]] = {}
    for d, slots in onto.enums.items():
        for s, values in slots.items():
            if s not in _SPECIAL:
                for v in values:
                    owners.setdefault(v, set()).add(d)
    found = find_mentions(_apply_synonyms(text), owners)
    domains = [next(iter(owners[v])) for v in found if len(owners[v]) == 1]
    return domains


def _apply_synonyms(text: str) -> str:
    for surface, value in SYNONYMS.items():
        text = re.sub(rf"(?<![a-z0-9]){re.escape(surface)}(?![a-z0-9])", value, text)
    return text


def _clause_domain(text: str, onto: Ontology, names: list[str], known: Mapping[str, str],
                   carry: str | None) -> tuple[str | None, bool]:
    keyed = _keyword_domains(text, onto)
    if "taxi" in keyed:
        return "taxi", True
    ents = [known.get(names[int(i)]) for i in _ENT_RE.findall(text)]
    ents = [e for e in ents if e in onto.domains and e != "station"]
    if keyed:
        return keyed[0], True
    if ents:
        return ents[0], True
    valued = _value_domains(text, onto)
    if valued and valued[0] != carry and carry not in ("taxi",):
        return valued[0], True
    return carry, False


def parse_user(text: str, onto: Ontology, focus: str | None, asked: Sequence[tuple[str, str]],
               known: Mapping[str, str], refs: Mapping[str, str]) -> UserAct:
    """Understand one user turn.

    Args:
        text: the user's words.
        onto: the lexicon from the tool schemas.
        focus: the domain under discussion before this turn (inherited by clauses without cues).
        asked: ``(domain, slot)`` pairs the agent's last reply asked for (bare answers fill them).
        known: entity names seen in tool results -> their domain (``"station"`` for train stations).
        refs: per domain, the entity currently offered/booked (for "a taxi from the hotel").
    """
    from policies.rule_slots import extract_clause  # local: the two modules share the clause types

    masked, names = _mask_names(text, list(known))
    act = UserAct(bye=bool(_BYE.search(text.lower())), thanks=bool(_THANKS.search(text.lower())))
    carry = focus
    for raw, question in split_clauses(masked):
        low = norm(raw)
        domain, explicit = _clause_domain(low, onto, names, known, carry)
        clause = Clause(raw, low, domain, question or bool(_ASKING.search(low)), explicit)
        if domain is None:
            continue
        extract_clause(clause, act, onto, names, known, refs, asked)
        carry = domain
    return act


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def dontcare(text: str) -> bool:
    return bool(_DONTCARE.search(text)) and not re.search(r"\banything else\b|\bany other\b", text)


def wants_booking(text: str) -> bool | None:
    """``True``/``False`` when the clause speaks of booking, else ``None``."""
    if not _BOOK.search(text):
        return None
    return not negated(text)


def number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def times_with_roles(raw: str) -> list[tuple[str, str]]:
    """``(time, "leaveAt" | "arriveBy")`` for each clock time in ``raw``, by the cue words before it."""
    out = []
    low = raw.lower()
    times = find_times(raw)
    starts = [m.start() for m in re.finditer(r"\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?|noon|midnight", low)]
    for i, t in enumerate(times):
        before = low[max(0, (starts[i] if i < len(starts) else len(low)) - 30):(starts[i] if i < len(starts) else 0)]
        leave = max((m.end() for m in re.finditer(r"leav|depart|after|pick|go at|start", before)), default=-1)
        arrive = max((m.end() for m in re.finditer(r"arriv|\bby\b|before|get there|be there|get in|reach", before)),
                     default=-1)
        out.append((t, "arriveBy" if arrive > leave else "leaveAt"))
    return out
