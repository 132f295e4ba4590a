"""Understanding of user turns for the rule policy: lexicon-driven, from what an agent can see.

A user turn is split into clauses; each clause gets a domain (keywords, known entity names, values
only one domain has, else the domain in focus) and yields constraints, booking slots, requested slots
and intents for that domain. Values are spotted with the tool schemas' enum values, entity names seen
in earlier tool results, clock times and cue words (see :mod:`policies.rule_lexicon`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from coalm_env.text import find_mentions, find_numbers, word_key
from policies.rule_lexicon import (bounded, rx, DAYS, DOMAIN_WORDS, NUM, REQUEST_WORDS, Ontology, apply_synonyms, dontcare,
                                   is_asking, is_bye, is_thanks, negated, number, times_with_roles, wants_booking)
from policies.rule_places import ENT_RE, PLACE_REFS, free_places, mask_names, place_role
from policies.rule_values import detokenize, expand_stations, same_slots, values, values_mentions

__all__ = ["UserAct", "Clause", "parse_user", "split_clauses", "keyword_domains"]

_SPECIAL = {"parking", "internet", "stars", "day", "departure", "destination", "type"}
_PEOPLE = re.compile(rf"\b{NUM}\s+(?:people|persons?|guests?|adults?|tickets?|seats?|of us|passengers?)\b|"
                     rf"\b(?:for|party of|group of|table for)\s+{NUM}\b(?!\s*(?:nights?|days?|stars?|:|am|pm))")
#: a party of one: "just me", "dining solo", "I'll be traveling alone" (not "leave me alone")
_ALONE = re.compile(r"\b(just me|only me|myself|just one|solo|one person)\b|"
                    r"\b(?:travel\w*|dining|eating|staying|going|coming|be) (?:alone|on my own)\b")
_STAY = re.compile(rf"\b{NUM}\s+(?:nights?|days?)\b")
_STARS = re.compile(rf"\b{NUM}\s*(?:star|stars)\b")
#: parking said as a phrase ("car park", "a place to park", "somewhere to park the car"): not a park
_PARKING = re.compile(r"\bcar park(?:ing)?\b|\b(?:a |any )?(?:place|places|somewhere|space|spaces|spot|spots|room)"
                      r" to park(?: (?:my|the|our|a) car)?\b|\bpark (?:my|the|our|a|your) car\b")
_CALLED = re.compile(r"\b(?:called|named)\s+(?:the\s+)?([a-z0-9' ]+)")


@dataclass
class Clause:
    """One clause of a user turn: normalised text (known names masked), its domain, and whether it asks."""

    text: str
    raw: str
    domain: str
    asking: bool
    explicit: bool = False


@dataclass
class UserAct:
    """What one user turn says, per domain. ``places`` are taxi places whose role was not said."""

    informs: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: dict[str, list[str]] = field(default_factory=dict)
    book: dict[str, bool] = field(default_factory=dict)
    chosen: dict[str, str] = field(default_factory=dict)
    domains: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    soft: dict[str, dict[str, str]] = field(default_factory=dict)  # guesses searched first, dropped if no match
    rejected: dict[str, list[str]] = field(default_factory=dict)  # entity names, "" = the one on offer
    reqmore: bool = False  # nothing understood but no goodbye: "could you recommend one?"
    bye: bool = False
    thanks: bool = False

    def inform(self, domain: str, slot: str, value: str) -> None:
        self.informs.setdefault(domain, {})[slot] = value
        self.touch(domain)

    def request(self, domain: str, slot: str) -> None:
        slots = self.requests.setdefault(domain, [])
        if slot not in slots:
            slots.append(slot)
        self.touch(domain)

    def touch(self, domain: str) -> None:
        if domain in self.domains:
            self.domains.remove(domain)
        self.domains.append(domain)

    @property
    def has_content(self) -> bool:
        return bool(self.informs or self.requests or self.book or self.chosen or self.places or self.rejected)


@dataclass
class _Ctx:
    onto: Ontology
    names: list[str]  # masked entity names, by placeholder index
    known: Mapping[str, str]
    refs: Mapping[str, str]
    asked: Sequence[tuple[str, str]]
    found: Mapping[str, str] = field(default_factory=dict)  # names only the understanding spotted -> domain
    slot_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # other domains' values
    recent: Sequence[str] = ()  # domains by last mention, most recent first


def split_clauses(text: str) -> list[tuple[str, bool]]:
    """``(clause, in_a_question)`` pairs: sentences split at ``.!?;``, then at commas, and, but, also."""
    out = []
    for sentence in re.findall(r"(?:[^.!?;\n]|(?<=\d)\.(?=\d))+[.!?;]*", text):
        question = "?" in sentence
        for part in re.split(r",|\band also\b|\balso\b|\band\b|\bbut\b|\bplus\b", sentence):
            if part.strip(" .!?;"):
                out.append((part.strip(), question))
    return out


def keyword_domains(text: str, onto: Ontology) -> list[str]:
    """Domains whose keywords occur in normalised ``text``, in order of first occurrence."""
    hits = []
    for d in onto.domains:
        spots = [m.start() for w in DOMAIN_WORDS.get(d, ()) if w in text  # a literal pattern: substring first
                 for m in [bounded(w).search(text)] if m]
        if spots:
            hits.append((min(spots), d))
    return [d for _p, d in sorted(hits)]


def _value_owners(onto: Ontology) -> dict[str, set[str]]:
    """Enum value -> the domains whose enums hold it (computed once per ontology; it never changes)."""
    owners = onto.__dict__.get("_value_owners")
    if owners is None:
        owners = {}
        for d, slots in onto.enums.items():
            for s, values in slots.items():
                if s not in _SPECIAL or s == "type":
                    for v in values:
                        owners.setdefault(v, set()).add(d)
        onto.__dict__["_value_owners"] = owners
    return owners


def _value_domains(text: str, onto: Ontology) -> list[str]:
    owners = _value_owners(onto)
    found = find_mentions(apply_synonyms(text), owners)
    return [next(iter(owners[v])) for v in found if len(owners[v]) == 1]


def _clause_domain(text: str, ctx: _Ctx, carry: str | None) -> tuple[str | None, bool]:
    text = re.sub(r"\b(same [a-z ]+?) (?:as|like) (?:the|my|our|that|for the) \w+", r"\1", text)  # not a new domain
    keyed = keyword_domains(text, ctx.onto)
    if "taxi" in keyed:
        return "taxi", True
    if carry == "taxi" and set(keyed) <= set(PLACE_REFS) and re.search(r"\b(from|to|leave|leaving|pick|picked)\b", text):
        return "taxi", False  # "from the hotel to the museum": places of the taxi ride, not new domains
    if keyed:
        return keyed[0], True
    ents = [ctx.known.get(ctx.names[int(i)]) for i in ENT_RE.findall(text)]
    ents = [e for e in ents if e in ctx.onto.domains]
    if ents and carry != "taxi":
        return ents[0], True
    valued = _value_domains(text, ctx.onto)
    if valued and carry != "taxi":
        return valued[0], True
    return carry, False


def parse_user(text: str, onto: Ontology, focus: str | None, asked: Sequence[tuple[str, str]] = (),
               known: Mapping[str, str] | None = None, refs: Mapping[str, str] | None = None,
               slot_values: Mapping[str, Mapping[str, str]] | None = None, recent: Sequence[str] = ()) -> UserAct:
    """Understand one user turn.

    Args:
        text: the user's words.
        onto: the lexicon from the tool schemas (and the domain's value understanding, when it has one).
        focus: the domain under discussion before this turn (clauses without cues inherit it).
        asked: ``(domain, slot)`` pairs the agent's last reply asked for (bare answers fill them).
        known: entity names seen in tool results -> their domain (``"station"`` for train stations).
        refs: per domain, the entity currently offered or booked ("a taxi from the hotel").
        slot_values: per domain, the values the dialogue holds so far ("in the same area as the hotel").
        recent: domains by last mention, most recent first (whose value "the same day" copies).
    """
    text = expand_stations(detokenize(text), onto.stations)
    known = dict(known or {})
    for station in onto.stations:
        known.setdefault(station, "station")
    masked, names = mask_names(text, list(known))
    masked, found = _mask_understood(masked, names, onto)
    masked = re.sub(r"\bbed (?:and|&) breakfasts?\b|\bb ?& ?bs?\b", "guesthouse", masked, flags=re.IGNORECASE)
    ctx = _Ctx(onto, names, {**found, **known}, refs or {}, asked, found, slot_values or {}, recent)
    act = UserAct(bye=is_bye(text), thanks=is_thanks(text))
    carry = focus
    for raw, question in split_clauses(masked):
        low = re.sub(_PARKING, "parking", word_key(raw))
        domain, explicit = _clause_domain(low, ctx, carry)
        if domain is None:
            continue
        clause = Clause(low, raw, domain, question or is_asking(low), explicit)
        if explicit:
            act.touch(domain)
        _extract(clause, act, ctx)
        carry = domain
    if not act.domains and not act.has_content and not (act.bye or act.thanks) and focus is not None:
        act.reqmore = True
        act.touch(focus)
    return act


def _mask_understood(text: str, names: list[str], onto: Ontology) -> tuple[str, dict[str, str]]:
    """Entity names the agent has not seen yet but the understanding knows (the database's, in any
    spelling), masked like known ones; ``names`` grows by them. Returns the text and ``{name: domain}``."""
    u = onto.understanding
    if u is None:
        return text, {}
    hits = []
    for d in onto.domains:
        if d in ("restaurant", "hotel", "attraction"):
            hits += [(m.start, m.end, m.value, d) for m in u.find_values(text, "name", domain=d)
                     if _plausible_name(m.surface, m.value)]
    found: dict[str, str] = {}
    taken: list[tuple[int, int]] = []
    for start, end, name, d in sorted(hits, key=lambda h: (-(h[1] - h[0]), h[0])):
        if any(start < e and s < end for s, e in taken) or word_key(name) in onto.stations:
            continue
        taken.append((start, end))
        found.setdefault(name, d)
    for start, end in sorted(taken, reverse=True):
        name = next(n for s, e, n, _d in hits if (s, e) == (start, end) and n in found)
        if name not in names:
            names.append(name)
        text = f"{text[:start]} zzent{names.index(name)}zz {text[end:]}"
    return text, found


_NAME_GENERIC = {"the", "and", "of", "cambridge", "restaurant", "hotel", "house", "guest", "guesthouse", "college",
                 "museum", "centre", "center", "city", "bar", "kitchen", "place", "lodge", "park", "church", "pool",
                 "gallery", "theatre", "cinema", "club", "street", "road", "bed", "breakfast", "town", "grill"}


def _plausible_name(surface: str, name: str) -> bool:
    """A name the understanding spotted in user text counts when it is said in full (with or without
    "the"), or as a capitalised distinctive first word ("the Jinling"), or shares a distinctive word with
    the name (short forms, misspellings); not "a place to stay" (The Place) nor "Indian" (India House)."""
    if ENT_RE.search(surface):
        return False
    said = word_key(surface).removeprefix("the ").split()
    full = word_key(name).removeprefix("the ").split()
    if not said or len(" ".join(said)) < 4:
        return False
    if said == full:
        return len(full) > 1 or surface.lstrip()[:1].isupper() or word_key(surface).startswith("the ")
    if len(said) == 1:
        return surface.lstrip()[:1].isupper() and said[0] == full[0] and said[0] not in _NAME_GENERIC
    return any(w in full and w not in _NAME_GENERIC and len(w) > 3 for w in said)


def _extract(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    d = c.domain
    if d == "taxi":
        _taxi(c, act, ctx)
        act.book["taxi"] = True
    else:
        _entities(c, act, ctx)
        _enums(c, act, ctx)
        _binary(c, act, ctx)
        if d == "train":
            _stations(c, act, ctx)
    _times(c, act)
    _numbers(c, act, ctx)
    _days(c, act, ctx)
    _same(c, act, ctx)
    _dontcare(c, act, ctx)
    _requests(c, act, ctx)
    _booking(c, act, ctx)


def _entities(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    refused = negated(c.text) or bool(re.search(r"\bwon't do\b|\bisn't (right|what)\b", c.text))
    named = False
    for i in ENT_RE.findall(c.text):
        name = ctx.names[int(i)]
        if ctx.known.get(name) == c.domain:
            named = True
            if refused:
                act.rejected.setdefault(c.domain, []).append(name)
            else:
                act.chosen[c.domain] = name
                if name in ctx.found and "name" in ctx.onto.arg_names(ctx.onto.api("find", c.domain)):
                    act.inform(c.domain, "name", name)  # not seen in a result yet: search for it
            act.touch(c.domain)
    if refused and not named and re.search(r"\b(that|this) one\b|\bthat place\b", c.text):
        act.rejected.setdefault(c.domain, []).append("")
        act.touch(c.domain)
    m = _CALLED.search(c.text)
    if m and not ENT_RE.search(m.group(1)) and "name" in ctx.onto.arg_names(ctx.onto.api("find", c.domain)):
        act.inform(c.domain, "name", m.group(1).strip())
        c.text = c.text[:m.start()]


def _enums(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    plain = ENT_RE.sub(" ", c.text)
    text = apply_synonyms(plain)
    for slot, enum in ctx.onto.enums.get(c.domain, {}).items():
        if slot in _SPECIAL and slot != "type":
            continue
        found = find_mentions(text, enum)
        understood = values(ctx.onto.understanding, plain, slot, enum)
        if understood:  # the shared reading (synonyms, plurals, negation) wins; cue words otherwise
            found = understood if not (slot == "type" and c.domain == "hotel") else [*found, *understood]
        if slot == "type" and c.domain == "hotel":
            found = _hotel_type(text, found, act)
        if found:
            act.inform(c.domain, slot, found[-1])


def _hotel_type(text: str, found: list[str], act: UserAct) -> list[str]:
    """``hotel`` names the domain as often as the type: with a type cue it is a constraint, else a soft
    guess (searched first, dropped when nothing matches)."""
    if "guesthouse" in found and not re.search(r"\b(not|rather than|instead of)\s+(a\s+)?guesthouse", text):
        return ["guesthouse"]
    if "hotel" not in found:
        return []
    if re.search(r"\b(type|kind|actual hotel|proper hotel|rather than|instead of|not a guesthouse|be a hotel|"
                 r"is a hotel|prefer a hotel)\b", text):
        return ["hotel"]
    act.soft.setdefault("hotel", {})["type"] = "hotel"
    return []


def _binary(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    for slot, words in (("parking", ("parking",)), ("internet", ("internet", "wifi", "wi fi", "wireless"))):
        values = ctx.onto.enums.get(c.domain, {}).get(slot)
        if not values or not any(rx(rf"\b{w}\b").search(c.text) for w in words):
            continue
        if re.search(r"\b(does|do|did|is|has|have) (it|they|there|that|this)\b|\bwhat about\b|"
                     r"\bthe (parking|internet|wifi)\b", c.text):
            act.request(c.domain, slot)
        elif dontcare(c.text):
            act.inform(c.domain, slot, "dontcare")
        else:
            act.inform(c.domain, slot, "no" if negated(c.text) and "no" in values else "yes")


def _stations(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    found = [(int(m.group(1)), m.start()) for m in ENT_RE.finditer(c.text)]
    places = [(ctx.names[i], p) for i, p in found if ctx.known.get(ctx.names[i]) == "station"]
    for name, pos in places:
        role = place_role(c.text[max(0, pos - 25):pos]) or _station_role(act, ctx, name)
        act.inform("train", role, name)


def _station_role(act: UserAct, ctx: _Ctx, name: str) -> str:
    """The role of a station said without a cue ("London liverpool street . I need the train for
    wednesday", val MUL0376:2): the one the agent
    asked for, else the one the dialogue does not hold yet, else departure first."""
    said = act.informs.get("train", {})
    asked = [s for d, s in ctx.asked if d == "train" and s in ("departure", "destination") and s not in said]
    if len(asked) == 1:
        return asked[0]
    held = ctx.slot_values.get("train", {})
    free = [s for s in ("departure", "destination") if s not in said and s not in held]
    if len(free) == 1 and not (held.get("departure") == name or held.get("destination") == name):
        return free[0]
    return "departure" if "departure" not in said else "destination"


def _taxi(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    act.touch("taxi")
    if re.search(r"\b(?:between|to) (?:the |both )?(?:two|both|2) (?:places|locations|venues|place)\b|\bboth places\b",
                 c.text):
        c.text = " ".join(re.sub(r"\b(?:between|to) (?:the |both )?(?:two|both|2) (?:places|locations|venues|place)\b|"
                                 r"\bboth places\b", " ", c.text).split())
        for d in [x for x in ctx.recent if x in ctx.refs][:2][::-1]:  # the earlier-discussed one first
            if ctx.refs[d] not in act.places:
                act.places.append(ctx.refs[d])
    spots = [(m.start(), ctx.names[int(m.group(1))]) for m in ENT_RE.finditer(c.text)]
    for dom, words in PLACE_REFS.items():
        ref = ctx.refs.get(dom)
        for w in words:
            m = rx(rf"\b(?:the|my|our|that) {w}\b").search(c.text)
            if ref and m:
                spots.append((m.start(), ref))
                break
    spots += free_places(c.text, spots)
    spots += _ontology_places(c, ctx, spots)
    _reservation_time(c, act, ctx)
    for pos, name in sorted(spots):
        role = place_role(c.text[max(0, pos - 25):pos])
        if role is None:
            act.places.append(name)
        else:
            act.inform("taxi", role, name)


def _ontology_places(c: Clause, ctx: _Ctx, taken: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Taxi places the agent has not seen in a result but the understanding knows (the ontology's taxi
    places, "the museum of archaelogy and anthropology"); not the city itself."""
    u = ctx.onto.understanding
    if u is None:
        return []
    out: list[tuple[int, str]] = []
    for slot in ("departure", "destination"):
        for m in values_mentions(u, c.text, slot, "taxi"):
            if m.value in ("cambridge",) or ENT_RE.search(m.surface) or any(m.value == n for _p, n in out):
                continue
            if not any(p <= m.start < p + len(n) + 2 or m.start <= p < m.end for p, n in taken):
                out.append((m.start, m.value))
    return out


#: "to get to the restaurant on time", "arrives by my booking time", "the same time as my reservation"
_FOR_BOOKING = re.compile(r"\b(?:on time|in time|by|before|for|same time as)\s+(?:for\s+|to\s+)?(?:my|our|the|that|"
                          r"this)\s+(?:\w+\s+)?(?:reservation|reservations|booking|booked time|booking time|"
                          r"reservation time|table)\b|\bon time\b|\bin time for\b")


def _reservation_time(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    """A taxi that must arrive for the restaurant booking: its time is the booking's."""
    if times_with_roles(c.raw) or "arriveBy" in act.informs.get("taxi", {}) or not _FOR_BOOKING.search(c.text):
        return
    when = ctx.slot_values.get("restaurant", {}).get("time")
    if when:
        act.inform("taxi", "arriveBy", when)


def _times(c: Clause, act: UserAct) -> None:
    for t, role in times_with_roles(c.raw):
        if c.domain == "restaurant":
            act.inform("restaurant", "time", t)
        elif c.domain in ("train", "taxi"):
            act.inform(c.domain, role, t)


def _numbers(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    text = ENT_RE.sub(" ", c.text)
    cued = False
    for m in _STAY.finditer(text):
        target = "hotel" if "hotel" in ctx.onto.domains else c.domain
        act.inform(target, "stay", str(number(m.group(1))))
        cued = True
    stars = [str(number(m.group(1))) for m in _STARS.finditer(text)]
    stars = stars or values(ctx.onto.understanding, text, "stars")  # "a star of 4", "star rating of 3"
    for value in stars:
        if "hotel" in ctx.onto.enums and value in ctx.onto.enums["hotel"].get("stars", ()):
            act.inform("hotel", "stars", value)
        cued = True
    for m in _PEOPLE.finditer(text):
        if c.domain in ("restaurant", "hotel", "train"):
            act.inform(c.domain, "people", str(number(m.group(1) or m.group(2))))
        cued = True
    if _ALONE.search(text) and c.domain in ("restaurant", "hotel", "train"):
        act.inform(c.domain, "people", "1")
        cued = True
    if not cued:
        _bare_number(c, act, ctx, text)


def _bare_number(c: Clause, act: UserAct, ctx: _Ctx, text: str) -> None:
    numbers = find_numbers(text)
    wanted = [(d, s) for d, s in ctx.asked if s in ("people", "stay", "stars")]
    if len(numbers) == 1 and wanted:
        d, s = next(((d, s) for d, s in wanted if d == c.domain), wanted[0])
        act.inform(d, s, str(numbers[0]))


def _days(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    days = find_mentions(c.text, DAYS) or _misspelt_days(c.text)
    if days and c.domain in ("restaurant", "hotel", "train"):
        act.inform(c.domain, "day", days[-1])


def _misspelt_days(text: str) -> list[str]:
    """Days said with a typo ("wendesday", "thrusday"), by rapidfuzz similarity to a day name."""
    out = []
    for word in re.findall(r"[a-z]{6,}", text):
        best = process.extractOne(word, DAYS, scorer=fuzz.ratio, score_cutoff=80)
        if best is not None and best[0][0] == word[0]:
            out.append(best[0])
    return out


def _same(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    """ "In the same area as the restaurant", "the same day", "the same group of people": the value the
    other domain holds (the one named, else the most recently discussed one that has it)."""
    d = c.domain
    if d == "taxi":
        return
    api = ctx.onto.api("find", d)
    for slot, ref in same_slots(c.text):
        if slot in act.informs.get(d, {}):
            continue
        sources = [ref] if ref and ref != d else [x for x in ctx.recent if x != d]
        value = next((ctx.slot_values.get(x, {}).get(slot) for x in sources if ctx.slot_values.get(x, {}).get(slot)),
                     None)
        if value is None:
            continue
        if slot in ctx.onto.arg_names(api) and ctx.onto.accepts(api, slot, value) or slot in ctx.onto.book_slots(d):
            act.inform(d, slot, value)


def _dontcare(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    if not dontcare(c.text):
        return
    api = ctx.onto.api("find", c.domain)
    params = [s for s in ctx.onto.arg_names(api) if s not in ("name", "trainID")]
    slots = [s for s in params if any(w in c.text and _word(w).search(c.text) for w in REQUEST_WORDS.get(s, (s,)))]
    if "area" in params and "area" not in slots and re.search(r"\banywhere\b|\bany (part|side|section|where)\b", c.text):
        slots.append("area")
    if not slots:
        slots = [s for d, s in ctx.asked if d == c.domain and s in params]
    for s in slots:
        if s not in act.informs.get(c.domain, {}):
            act.inform(c.domain, s, "dontcare")


def _requests(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    d = c.domain
    schema = ctx.onto.schemas[d]
    slots = [*schema.requestable, *(("leaveAt", "arriveBy") if d == "train" else ())]
    told = act.informs.get(d, {})
    for slot in dict.fromkeys(slots):
        words = REQUEST_WORDS.get(slot, (slot,))
        if slot in told or not any(w in c.text and _word(w).search(c.text) for w in words):
            continue
        informable = slot in (schema.informable or ()) or slot in ("parking", "internet")
        if (c.asking if informable else not negated(c.text) or c.asking) and not _taken(slot, c.text):
            act.request(d, slot)


def _taken(slot: str, text: str) -> bool:
    """Words of another, longer request phrase (``price range`` is not ``price``)."""
    if slot in ("price", "entrance fee", "type") and re.search(r"\bprice range\b|\btype of (food|car)\b", text):
        return True
    return slot == "type" and re.search(r"\b(kind|type) of (food|car)\b", text) is not None


def _booking(c: Clause, act: UserAct, ctx: _Ctx) -> None:
    d = c.domain
    if ctx.onto.api("book", d) is None or d == "taxi":
        return
    intent = wants_booking(c.text)
    if intent is None and any(s in act.informs.get(d, {}) for s in ctx.onto.book_slots(d)):
        intent = True
    if intent is not None:
        act.book[d] = intent
        act.touch(d)


@functools.lru_cache(maxsize=1 << 12)
def _word(w: str) -> re.Pattern[str]:
    """``\\b`` + ``w`` (escaped) + ``\\b``, compiled once (a literal: callers test ``w in text`` first)."""
    return rx(rf"\b{re.escape(w)}\b")
