"""Dialogue acts in what an agent says: :func:`read_agent_turn` -> :class:`AgentReading`.

A reply is read sentence by sentence: no-match and booking-failure reports, bookings with references,
offers (the recommended entity, told apart from ones merely listed or reported unavailable), requests
for slots, confirmation questions, goodbyes, and every slot value the agent informs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.tod.understanding import cues
from coalm_env.domains.tod.understanding.values import Understanding, ValueMention

__all__ = ["AgentReading", "read_agent_turn", "MAX_CHARS"]

#: a person reads the first few thousand characters of a reply, not a megabyte
MAX_CHARS = 6000
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_INFORM_SLOTS = ("area", "pricerange", "food", "type", "stars", "parking", "internet", "phone", "postcode",
                 "entrance fee", "price", "duration", "leaveAt", "arriveBy", "day", "people", "stay", "trainID",
                 "reference", "car type", "departure", "destination", "time")


@dataclass
class AgentReading:
    """What one agent reply says.

    Attributes:
        text: the reply as read (truncated to :data:`MAX_CHARS`).
        offers: ``{domain: [names]}`` the agent offers, the recommended one first (names listed only as
            unavailable or failed are left out).
        mentioned: ``{domain: [names]}`` every entity name in the text, in order.
        recommended: ``{domain: name}`` the one the agent singles out ("I'd suggest Z"), where it does.
        no_match: domains (or ``None`` when unsaid) of "there are no ..." reports.
        book_failed: domains (or ``None``) of booking failures; ``alternatives`` what it proposes instead.
        booked: the agent says a booking was made; ``references`` the reference codes it gives.
        requests: ``(slot, domain or None)`` the agent asks the user for.
        proposals: ``(sentence, domain or None)`` offers to book ("shall I reserve it for 2 at 18:00?").
        confirmations: ``(sentence, domain or None)`` other checks ("a cheap place in the centre, right?").
        choices: ``(sentence, domain or None)`` options put to the user without a name ("Would you prefer a
            guesthouse or a hotel?", "I found a train that leaves at 05:24. Would you like it?").
        informs: ``(domain or None, mention)`` for each slot value the agent states.
        goodbye / reqmore: the agent closes / asks whether there is anything else.
        pitched: ``{domain: [names]}`` of :attr:`offers` put forward as an offer act: not only named in a
            report of a booking made ("I've booked you into Allenbell hotel") or in a taxi arrangement ("a taxi
            will pick you up at Nusha"), which name the venue but offer nothing (MultiWOZ: Book/OfferBooked,
            Taxi-Inform). :attr:`offers` keeps those names: the booked venue is still the one chosen.
        apologies: domains (or ``None``) of apologies that report no failure and name no entity ("Unfortunately
            that won't work"; "X has no wifi, I'm afraid" names X and is no apology for the search).
    """

    text: str
    offers: dict[str, list[str]] = field(default_factory=dict)
    mentioned: dict[str, list[str]] = field(default_factory=dict)
    recommended: dict[str, str] = field(default_factory=dict)
    no_match: list[str | None] = field(default_factory=list)
    book_failed: list[str | None] = field(default_factory=list)
    alternatives: dict[str, list[str]] = field(default_factory=dict)
    booked: bool = False
    references: list[str] = field(default_factory=list)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    proposals: list[tuple[str, str | None]] = field(default_factory=list)
    confirmations: list[tuple[str, str | None]] = field(default_factory=list)
    choices: list[tuple[str, str | None]] = field(default_factory=list)
    informs: list[tuple[str | None, ValueMention]] = field(default_factory=list)
    goodbye: bool = False
    reqmore: bool = False
    pitched: dict[str, list[str]] = field(default_factory=dict)
    apologies: list[str | None] = field(default_factory=list)

    @property
    def offer_act(self) -> bool:
        """The reply makes an offer: names an entity as an option (:attr:`pitched`), proposes a booking or
        puts options to the user."""
        return bool(self.pitched or self.proposals or self.choices)

    @property
    def failures(self) -> list[tuple[str, str | None]]:
        """``(kind, domain)`` with kind ``no_match``/``book_failed`` (the agenda user's ``Reading`` form)."""
        return [("book_failed", d) for d in self.book_failed] + [("no_match", d) for d in self.no_match]

    @property
    def asked(self) -> list[tuple[str, str | None]]:
        """Alias of :attr:`requests` (the agenda user's ``Reading`` name)."""
        return self.requests

    def values(self, slot: str) -> list[str]:
        """The values of ``slot`` informed, in order, each once."""
        return list(dict.fromkeys(m.value for _, m in self.informs if m.slot == slot))


def _clean(text: object) -> str:
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    text = text[:MAX_CHARS].replace("\u2019", "'").replace("\u2018", "'").replace("\x00", " ")
    text = _NT.sub(r"\1n't", text)  # "do nt", "does nt": the clitic without its apostrophe
    text = _SPACES.sub(" ", text)  # "Would   you prefer": one space between words
    return re.sub(r" (n't|'s|'d|'ll|'re|'ve|'m)\b", r"\1", text)


_SPACES = re.compile(r"[ \t]{2,}")
_NT = re.compile(r"\b(do|does|did|is|are|was|were|have|has|had|could|would|should) ?nt\b", re.I)


def read_agent_turn(text: object, domains: Sequence[str] = ("restaurant", "hotel", "attraction", "train", "taxi"),
                    entity_names: Mapping[str, Iterable[str]] | None = None,
                    understanding: Understanding | None = None) -> AgentReading:
    """Read one agent reply.

    Args:
        text: the reply (non-strings are read as their ``str``).
        domains: the domains in play, current first (breaks ties when a sentence names no domain).
        entity_names: ``{domain: names}``; default: the names ``understanding`` knows.
        understanding: the world's :class:`~.values.Understanding` (default: the fallback table over
            ``entity_names``).
    """
    u = understanding or _default(entity_names)
    reading = AgentReading(_clean(text))
    for sentence, asks in _sentences(reading.text):
        _read_sentence(reading, sentence, domains, u, asks)
    _rank_offers(reading)
    return reading


def _sentences(text: str) -> list[tuple[str, bool]]:
    """``(sentence, asks)``: ``asks`` for the items of a list introduced by a question or request ending in ":"
    ("please tell me:\n- your area\n- your budget"), which are read as questions."""
    out: list[tuple[str, bool]] = []
    in_list = False
    for line in text.split("\n"):
        bullet = cues.BULLET.match(line)
        if in_list and bullet:
            item = line[bullet.end():].strip()
            if item:
                out.append((item, True))
            continue
        parts = [p.strip() for p in _SENTENCE.split(line) if p.strip()]
        out += [(p, False) for p in parts]
        in_list = bool(parts) and cues.opens_list(parts[-1]) and line.rstrip().endswith(":")
    return out


_DEFAULTS: dict[tuple, Understanding] = {}


def _default(names: Mapping[str, Iterable[str]] | None) -> Understanding:
    key = tuple(sorted((d, tuple(ns)) for d, ns in (names or {}).items()))
    if key not in _DEFAULTS:
        if len(_DEFAULTS) > 16:
            _DEFAULTS.clear()
        _DEFAULTS[key] = Understanding.fallback(dict(key))
    return _DEFAULTS[key]


@dataclass(frozen=True, slots=True)
class _SentenceActs:
    """What one sentence says, whatever the sentences before it said: read once per (sentence, asks, domain)
    and understanding (a reply's sentences recur in many replies: "Would you like to change something?"), then
    added to the reading by :func:`_read_sentence`, which dedups against what the reply said before."""

    low: str
    hits: dict[str, list[str]]  # {domain: names} said, in order, each once
    domain: str | None
    failed: str | None
    apology: bool
    booked: bool
    references: tuple[str, ...]
    #: ``(domain, names offered, the recommended one or None)`` of each domain named
    offered: tuple[tuple[str, tuple[str, ...], str | None], ...]
    pitch: bool
    requests: tuple[tuple[str, str | None], ...]
    proposes: bool
    confirms: bool
    choice: tuple[str, str | None] | None
    #: the slots a choice question puts options of (dropped from the requests so far), or None
    chosen: tuple[str, ...] | None
    goodbye: bool
    reqmore: bool
    informs: tuple[tuple[str | None, ValueMention], ...]


def _read_sentence(reading: AgentReading, sentence: str, domains: Sequence[str], u: Understanding,
                   asks: bool = False) -> None:
    low, spans, as_is, hits = _named(sentence, u)
    # the names said as they are decide the domain before the cue words; loose matches ("right" for "bright
    # house") only after them
    domain = cues.domain_of(low, as_is, domains) or next(iter(hits), None)
    key = (sentence, asks, domain)
    s = u._acts_cache.get(key)
    if s is None:
        if len(u._acts_cache) > 8192:
            u._acts_cache.clear()
        s = u._acts_cache[key] = _sentence_acts(sentence, low, spans, hits, domain, u, asks)
    for d, found in s.hits.items():
        seen = reading.mentioned.setdefault(d, [])
        seen.extend(n for n in found if n not in seen)
    if s.failed == "no_match":
        reading.no_match.append(s.domain)
    elif s.failed == "book_failed":
        reading.book_failed.append(s.domain)
    elif s.apology:
        reading.apologies.append(s.domain)
    if s.booked:
        reading.booked = True
    reading.references += [v for v in s.references if v not in reading.references]
    for d, good, best in s.offered:
        if s.failed == "book_failed":
            reading.alternatives.setdefault(d, []).extend(good)
        offers = reading.offers.setdefault(d, [])
        offers.extend(n for n in good if n not in offers)
        if s.pitch and good:
            pitched = reading.pitched.setdefault(d, [])
            pitched.extend(n for n in good if n not in pitched)
        if best is not None:
            reading.recommended[d] = best  # the last recommendation wins
    reading.requests += s.requests
    if s.proposes:
        reading.proposals.append((s.low, s.domain))
    elif s.confirms:
        reading.confirmations.append((s.low, s.domain))
    if s.choice is not None:
        reading.choices.append(s.choice)
    if s.chosen is not None:
        reading.requests = [(x, d) for x, d in reading.requests if x not in s.chosen]
    reading.goodbye |= s.goodbye
    reading.reqmore |= s.reqmore
    reading.informs += s.informs


def _named(sentence: str, u: Understanding) -> tuple[str, dict[str, list[tuple[str, int]]], dict[str, list[str]],
                                                      dict[str, list[str]]]:
    """``(low, spans, as_is, hits)`` of a sentence: its lower case, :func:`_names` and ``{domain: names}`` said,
    in order, each once (kept per sentence with the acts, whatever the domains in play)."""
    key = (sentence,)
    hit = u._acts_cache.get(key)
    if hit is None:
        spans, as_is = _names(sentence, u)
        hit = u._acts_cache[key] = (sentence.lower(), spans, as_is,
                                    {d: list(dict.fromkeys(n for n, _ in v)) for d, v in spans.items()})
    return hit  # type: ignore[return-value]


def _sentence_acts(sentence: str, low: str, spans: Mapping[str, list[tuple[str, int]]],
                   hits: dict[str, list[str]], domain: str | None, u: Understanding, asks: bool) -> _SentenceActs:
    """The acts of one sentence about ``domain`` (see :class:`_SentenceActs`)."""
    question = asks or cues.is_question(low)
    failed = cues.failure(low)
    booked_said = cues.BOOKED.search(low)
    references = tuple(m.value for m in u._mentions(sentence, "reference") if cues.looks_like_reference(low, m.start))
    report = (booked_said or cues.BOOKING_DONE.search(low)) and not question and failed is None \
        or cues.TAXI_REPORT.search(low)
    asked = cues.requested_slots(low) if question else []
    asked = [s for s in asked if not _values_said(sentence, s, u) or s in ("people", "day", "time", "stay") and
             cues.open_choice(low) or s in ("parking", "internet") and cues.FACILITY_ASK.search(low)]
    proposes = confirms = False
    if question and not asked:
        proposes = bool(cues.PROPOSES_BOOKING.search(low)) and not cues.BOOKED_DONE.search(low) and \
            failed is None and not cues.NOT_PROPOSING.search(low)
        confirms = not proposes and bool(cues.CONFIRMS.search(low))
    elif failed is None and (cues.WILL_BOOK.search(low) and not cues.BOOKED_DONE.search(low)
                             or question and "people" in asked and cues.TICKETS.search(low)
                             or question and cues.OFFERS_TO_BOOK.search(low) and not cues.NOT_PROPOSING.search(low)):
        # "I can go ahead and book that for you.", "How many tickets would you like?": a booking offered
        proposes = True
    choice, chosen = None, None
    if question and not spans and cues.CHOICE.search(low):
        # "Would you prefer a guesthouse or a hotel?": options of one slot put to the user, not a request
        picked = tuple(s for s in asked if len({m.value for m in u._mentions(sentence, s)}) >= 2)
        if picked or not asked:
            choice, chosen = (low, domain), picked
    elif not spans and failed is None and cues.TRAIN_OFFER.search(low):
        choice = (low, "train")
    elif question and not spans and cues.OPTION_ASKED.search(low):
        choice = (low, domain)
    taken = [(m.start, m.end) for m in u._mentions(sentence, "name")]
    informs = tuple((domain, m) for slot in _inform_slots(domain) if slot not in asked
                    for m in u._mentions(sentence, slot) if not any(s < m.end and m.start < e for s, e in taken))
    return _SentenceActs(
        low=low, hits=hits, domain=domain, failed=failed, apology=failed is None and not hits and
        cues.APOLOGY.search(low) is not None, booked=bool(booked_said) and not question and failed != "book_failed",
        references=references, offered=_offers(low, spans, failed, cues.contrast_split(low)), pitch=not report,
        requests=tuple((s, domain) for s in asked), proposes=proposes, confirms=confirms, choice=choice,
        chosen=chosen, goodbye=bool(cues.GOODBYE.search(low)), reqmore=bool(cues.REQMORE.search(low)),
        informs=informs)


def _values_said(sentence: str, slot: str, u: Understanding) -> list[ValueMention]:
    """Values of ``slot`` a sentence says; a word after "your" names what is asked ("What is your budget?"), not a
    value."""
    low = sentence.lower()
    return [m for m in u._mentions(sentence, slot) if not low[max(0, m.start - 5):m.start].endswith("your ")]


@functools.lru_cache(maxsize=None)
def _inform_slots(domain: str | None) -> tuple[str, ...]:
    """The slots of :data:`_INFORM_SLOTS` a sentence about ``domain`` can inform, in order (all of them when the
    domain has no schema)."""
    schema = SCHEMAS.get(domain or "")
    if schema is None:
        return _INFORM_SLOTS
    allowed = frozenset(schema.informable + schema.requestable + schema.book) | {"reference"}
    return tuple(s for s in _INFORM_SLOTS if s in allowed)


def _names(sentence: str, u: Understanding) -> tuple[dict[str, list[tuple[str, int]]], dict[str, list[str]]]:
    """``{domain: [(name, start)]}`` of the entity names (and trainIDs) in a sentence, and ``{domain: [name]}`` of
    those said as they are written."""
    out: dict[str, list[tuple[str, int]]] = {}
    as_is: dict[str, list[str]] = {}
    by_domain = {d: [(m, _said_as_is(m.surface, m.value)) for m in u._mentions(sentence, "name", d)]
                 for d in u.names}
    exact = [(m.start, m.end) for ms in by_domain.values() for m, said in ms if said]
    for d, ms in by_domain.items():
        # a loose match overlapping a name said as it is ("blue grill" read as "blue inn" too) is that name
        found = [(m.value, m.start) for m, said in ms
                 if said or not any(s < m.end and m.start < e for s, e in exact)]
        if found:
            out[d] = found
        said = [m.value for m, said in ms if said]
        if said:
            as_is[d] = said
    trains = [(m.value, m.start) for m in u._mentions(sentence, "trainID")]
    if trains:
        out["train"] = trains
        as_is["train"] = as_is.get("train", []) + [n for n, _ in trains]
    return out, as_is


@functools.lru_cache(maxsize=1 << 14)
def _said_as_is(surface: str, value: str) -> bool:
    """The name is said as it is written (but for case, spacing and a leading article)."""
    return _name_key(surface) == _name_key(value)


@functools.lru_cache(maxsize=1 << 14)
def _name_key(x: str) -> str:
    return _THE.sub("", _NON_WORD.sub(" ", x.lower()).strip())


_NON_WORD = re.compile(r"[^a-z0-9]+")
_THE = re.compile(r"^the ")


def _offers(low: str, spans: Mapping[str, list[tuple[str, int]]], failed: str | None,
            split: int | None) -> tuple[tuple[str, tuple[str, ...], str | None], ...]:
    """``(domain, names offered, the recommended one or None)`` for each domain named (names before a contrast
    are not offered when the sentence reports a failure)."""
    cue = cues.RECOMMENDS.search(low)
    out = []
    for d, found in spans.items():
        good = found
        if failed is not None:
            # "X is booked but Y is free": only names after the contrast are offered
            good = [(n, i) for n, i in found if split is not None and i > split]
        best = None
        if good and cue is not None:
            after = [n for n, i in good if i >= cue.start()]
            best = (after or [n for n, _ in good])[0]
        out.append((d, tuple(n for n, _ in good), best))
    return tuple(out)


def _rank_offers(reading: AgentReading) -> None:
    for d, name in reading.recommended.items():
        reading.offers[d] = [name] + [n for n in reading.offers.get(d, []) if n != name]
    reading.offers = {d: v for d, v in reading.offers.items() if v}
