"""Understanding free-text agent replies: what the agent asks, offers, books, reports and tells.

Everything is lexicon- and pattern-driven (no model). A reply is split into sentences; questions are
scanned for slot cues (``"which part of town"`` -> ``area``), every sentence for entity names of the
goal's domains, booking references, no-match and booking-failure phrases. Values the agent gives are
checked later against the database record of the entity the user accepted (:func:`value_given`).

Where the vocabulary has a shared understanding (``context.vocab.understanding``; Travel and MultiWOZ both
do) it is the only reader: :func:`read` takes its :func:`~coalm_env.domains.tod.understanding.read_agent_turn`
reading and :func:`value_given` its ``gives_value`` (the reader the scorers and the rule policy use). The
patterns here read only for a vocabulary without one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.text import MentionIndex, alnum_key, find_numbers, find_times, mentions, word_key

__all__ = ["Reading", "read", "value_given", "values_in", "MAX_CHARS"]

#: a person reads the first few thousand characters of a reply, not a megabyte
MAX_CHARS = 6000

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_QUESTION_START = re.compile(
    r"^(what|which|how|when|where|could|can|would|will|do|did|does|may|shall|should|is|are|any)\b"
    r"|\b(let me know|tell me|could you (tell|specify|provide|give|confirm)|please (tell|specify|provide|give|"
    r"confirm|let|choose|select|indicate)|i('ll| will| would|'d)? need\b|preference|prefer)\b"
)
_WHERE_PLACE = r"from|to\s*(\?|$)|going|heading|headed|go|travel\w*|leav\w*|depart\w*|arriv\w*|drop\w*|pick\w*|take you"
_ASK_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((slot, re.compile(rx)) for slot, rx in (
    ("area", rf"\barea\b|part of (the )?(town|city)|side of (the )?(town|city)|location|neighbou?rhood|district"
             rf"|\bwhere\b(?!.*\b({_WHERE_PLACE}))"),
    ("pricerange", r"price ?range|\bprice\b|budget|how (much|expensive)|\bcost|\bcheap|\bexpensive|\bmoderate"
                   r"|afford|spend"),
    ("food", r"\bfood\b|cuisine|kind of (restaurant|dining)|type of (restaurant|dining)|what .*like to eat"),
    ("stars", r"\bstars?\b|star rating|\brating"),
    ("type", r"\btype\b|\bkind\b|\bsort\b|guest ?house|hotel or\b|like to (see|visit|do)\b"),
    ("parking", r"parking|park (your|the) car"),
    ("internet", r"internet|wi ?fi|wireless"),
    ("name", r"\b(specific|particular|certain) (one|place|restaurant|hotel|attraction|venue|guest ?house|name)"
             r"|\b(one|place|restaurant|hotel|attraction|venue|name) in mind"),
    ("people", r"how many (people|persons|guests|of you|tickets|seats|travell?ers|passengers|adults|will|are)"
               r"|in your (party|group)|party of"
               r"|for how many|party size|group size|size of (your|the) (party|group)|number of (people|guests|"
               r"persons|tickets|seats|travell?ers|passengers)|\bpeople\b|\bguests\b|\btickets\b|\bpersons\b"),
    ("day", r"\bday\b|\bdate\b|what night|which night|\bwhen\b"),
    ("time", r"what time|which time|\btime\b|\bhour\b|o'?clock|\bwhen\b"),
    ("stay", r"how many nights|how long|\bnights?\b|length of (your |the )?stay|how many days"),
    ("departure", r"\bfrom\s*(\?|$|,|\band\b)|departure (station|location|point|place|city|town)|depart\w* from"
                  r"|leav\w* from|pick(ed)? (you )?up\b(?! time)|pick ?up (location|point|address|place)"
                  r"|starting (point|location)|\borigin\b|coming from"),
    ("destination", r"\bto\s*(\?|$|,|\band\b)|destination|where\b.*\b(go|going|heading|headed|take you)\b"
                    r"|where to\b|drop(ped)? (you )?off|going to (which|what)|arriv\w* (at|in) (which|what)"),
    ("leaveAt", r"\bleav\w* (at|after|time)|what time .*(leav|depart)|when .*(leav|depart)|depart\w* (time|at|"
                r"after)|pick ?(you )?up time|(what time|when) .*pick"),
    ("arriveBy", r"arriv\w* (by|at what|time)|what time .*(arriv|get there|be there)|when .*(arriv|get there|"
                 r"be there|need to be)|arrival time"),
))
_NO_MATCH = re.compile(
    r"\bno (\w+ ){0,3}(match\w*|results?|options?|entries|record)|(couldn't|could not|can't|cannot|can not|"
    r"unable to|wasn't able to|was not able to|failed to|didn't|did not|not able to) (find|locate)"
    r"|there (are|is|were|was) (no|not any|nothing)\b|there's (no|nothing)\b|\bi (have|found|see|got) (no|nothing)\b"
    r"|(don't|do not|doesn't|does not) (have|seem to have) any|nothing (matches|that matches|matching|like that)"
    r"|\b(nothing|none)\b[^.?!]{0,40}\b(match\w*|fits?|meets?|suits?)\b"
    r"|\bnone (match|of them|found|available|that)|there are none|\bno such\b|(aren't|isn't) any|zero results"
    r"|\bno (restaurants?|hotels?|places?|trains?|attractions?|guest ?houses?|venues?)\b"
)
_BOOK_FAIL = re.compile(
    r"fully booked|booked up|(no|not any) availability|not available|unavailable|no vacanc|(no|not any) "
    r"(tables?|rooms?|seats?|tickets?|space) (available|left|free)|(booking|reservation) (was |has |is )?"
    r"(failed|unsuccessful|not possible|rejected|declined)|(couldn't|could not|can't|cannot|unable to|"
    r"wasn't able to|was not able to|failed to|not able to) (book|reserve|make (the |a |that )?(booking|"
    r"reservation)|complete (the |your )?(booking|reservation))"
)
_NEGATIVE = re.compile(r"\bunfortunately\b|\bi'm afraid\b|\bregret\b|\bi am afraid\b")
_CLAIMS_BOOKED = re.compile(r"\b(booked|reserved|booking is|reservation is|confirmed|have made|made a "
                            r"(booking|reservation)|all set|successfully|is complete)\b")
_CONFIRMS = re.compile(r"\b(confirm|correct|right|is that|did i get|just to (check|be sure)|okay|ok|fine|suit "
                       r"you|work for you|works for you|sounds? good)\b")
_BULLET = re.compile(r"^\s*([-*\u2022]|\d{1,2}[.)])\s+")
_PROPOSES_BOOKING = re.compile(r"\b(book|reserve|reservation|booking|go ahead|proceed)\b")
_DOMAIN_CUES = {
    "restaurant": re.compile(r"restaurant|place to eat|eatery|dining|\btable\b|\bfood\b|cuisine"),
    "hotel": re.compile(r"hotel|guest ?house|place to stay|\brooms?\b|accommodation|lodging|nights?\b"),
    "attraction": re.compile(r"attraction|museum|college|\bpark\b|theatre|cinema|gallery|nightclub|"
                             r"entrance fee|\bvisit"),
    "train": re.compile(r"\btrains?\b|\brail|\bstation\b|\btr ?\d{3,5}\b"),
    "taxi": re.compile(r"\btaxi|\bcab\b|\bcar\b|driver"),
    "police": re.compile(r"police"),
    "hospital": re.compile(r"hospital|department"),
}
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow")
_INDEX_CACHE: dict[int, tuple[Any, MentionIndex]] = {}


@dataclass
class Reading:
    """What the user took from one agent reply.

    Attributes:
        text: the reply as read (truncated to :data:`MAX_CHARS`).
        asked: ``(slot, domain hint or None)`` for each slot the agent asks the user for.
        offers: ``{domain: [entity names]}`` mentioned, in order of appearance.
        bookings: bookings of this episode whose reference appears in the text.
        failures: ``(kind, domain hint or None)`` with kind ``no_match``, ``book_failed`` or ``negative``
            (an apology the user attributes by what it was doing).
        claims_booked: the agent says something was booked (whether or not a reference follows).
        proposals: ``(question, domain hint or None)`` for each question offering to book ("shall I
            reserve a table for 2 at 18:00?"), to be confirmed or corrected.
        confirmations: ``(question, domain hint or None)`` for other checks ("a cheap italian place
            in the centre, is that right?").
    """

    text: str
    asked: list[tuple[str, str | None]] = field(default_factory=list)
    offers: dict[str, list[str]] = field(default_factory=dict)
    bookings: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[str, str | None]] = field(default_factory=list)
    claims_booked: bool = False
    proposals: list[tuple[str, str | None]] = field(default_factory=list)
    confirmations: list[tuple[str, str | None]] = field(default_factory=list)


def _clean(text: Any) -> str:
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    return text[:MAX_CHARS].replace("\u2019", "'").replace("\u2018", "'").replace("\x00", " ")


def _index(names: Sequence[str]) -> MentionIndex:
    hit = _INDEX_CACHE.get(id(names))
    if hit is None or hit[0] is not names:
        if len(_INDEX_CACHE) > 32:
            _INDEX_CACHE.clear()
        hit = (names, MentionIndex(names))
        _INDEX_CACHE[id(names)] = hit
    return hit[1]


def _is_question(sentence: str) -> bool:
    return "?" in sentence or _QUESTION_START.search(sentence.strip()) is not None


def _hint(sentence: str, domains: Sequence[str], entity_hits: Mapping[str, list[str]]) -> str | None:
    for d, names in entity_hits.items():
        if names:
            return d
    for d in domains:
        cue = _DOMAIN_CUES.get(d)
        if cue is not None and cue.search(sentence):
            return d
    return None


def _already_valued(slot: str, sentence: str, context: Any) -> bool:
    """A confirmation question ("Shall I book it for 2 people?") carries its value: not a request."""
    if slot in ("people", "stay"):
        return bool(find_numbers(sentence))
    if slot in ("time", "leaveAt", "arriveBy"):
        return bool(find_times(sentence))
    if slot == "day":
        return any(re.search(rf"\b{d}\b", sentence) for d in _DAYS)
    if slot in ("parking", "internet", "name"):
        return False
    lexicon = getattr(context, "lexicon", {}) or {}
    values = {str(v) for by_slot in lexicon.values() for v in by_slot.get(slot, ())}
    said = [v for v in values if mentions(sentence, v)]
    return bool(said) and not (len(said) > 1 and " or " in sentence)  # "a hotel or a guesthouse?" asks


def _asked(sentence: str, context: Any) -> list[str]:
    slots = [slot for slot, rx in _ASK_CUES if rx.search(sentence)]
    if "food" in slots and "type" in slots:
        slots.remove("type")  # "what type of food"
    if {"leaveAt", "arriveBy", "departure", "destination"} & set(slots) and "area" in slots:
        slots.remove("area")
    return [s for s in slots if not _already_valued(s, sentence, context)]


def _failures(sentence: str) -> list[str]:
    kinds = []
    if _BOOK_FAIL.search(sentence):
        kinds.append("book_failed")
    elif _NO_MATCH.search(sentence):
        kinds.append("no_match")
    elif _NEGATIVE.search(sentence):
        kinds.append("negative")
    return kinds


def _sentences(text: str) -> list[tuple[str, bool]]:
    """``(sentence, is_question)``; items of a list introduced by a question or a request ending in
    ":" ("please tell me:\n- your area\n- your budget") count as questions."""
    out: list[tuple[str, bool]] = []
    in_list = False
    for line in text.split("\n"):
        bullet = _BULLET.match(line)
        if in_list and bullet:
            out.append((line[bullet.end():].strip(), True))
            continue
        parts = [p for p in _SENTENCE.split(line) if p.strip()]
        out += [(p.strip(), _is_question(p.strip().lower())) for p in parts]
        in_list = bool(parts) and line.rstrip().endswith(":") and _is_question(parts[-1].lower())
    return out


def read(text: Any, context: Any, domains: Sequence[str], fallback: Any = None) -> Reading:
    """Read one agent reply for a user whose goal covers ``domains``.

    Where the vocabulary has a shared understanding (``context.vocab.understanding``: Travel and MultiWOZ
    both do), the reply is read by it alone (:func:`coalm_env.domains.tod.understanding.read_agent_turn`,
    the reader the scorers and the rule policy use); the patterns below read only for a vocabulary without one.

    Args:
        text: the agent's reply (anything; non-strings are read as their ``str``).
        context: the episode's user context (the task-oriented domains' ``TodContext``).
        domains: the goal's domains, current one first.
        fallback: optional ``(reading, context, domains) -> Reading`` for replies the rules read nothing
            actionable in (:class:`simulators.agenda.llm_reader.LLMReader`; off by default).
    """
    understanding = _understanding(context)
    reading = None
    if understanding is not None:
        reading = _read_shared(text, understanding, context, domains)
    if reading is None:
        reading = _read_patterns(text, context, domains)
    references_in = getattr(context, "references_in", None)
    reading.bookings = list(references_in(reading.text)) if references_in else []
    if fallback is not None:
        reading = fallback(reading, context, list(domains))
    return reading


def _read_shared(text: Any, understanding: Any, context: Any, domains: Sequence[str]) -> Reading | None:
    """The shared understanding's reading in the agenda user's form: the names of the goal's domains (those it
    reads as offered first, the recommended one at their head; names it reads as unavailable last), requests,
    failures and apologies, the booking claim, proposals and confirmations."""
    try:
        shared = understanding.read_agent_turn(text, tuple(domains) if domains else None)
    except Exception:  # the shared reader failing on odd text must not break the episode
        return None
    reading = Reading(shared.text)
    known = getattr(context, "names", {}) or {}
    for d in domains or ():
        # names said as whole words ("golden kitchen" for "the golden kitchen"): the shared reader's looser matches
        # ("blue grill" for "blue inn") are left out
        whole = list(_index(known[d]).find(reading.text)) if known.get(d) else []
        named = [n for n in shared.mentioned.get(d, []) if n in whole]
        named += [n for n in whole if n not in named]  # a longer name it read as a shorter one
        ranked = [n for n in shared.offers.get(d, ()) if n in named]
        names = ranked + [n for n in named if n not in ranked]
        if names:
            reading.offers[d] = names
    reading.asked = list(dict.fromkeys(shared.requests))
    reading.failures = list(dict.fromkeys(shared.failures + [("negative", d) for d in shared.apologies]))
    reading.claims_booked = bool(shared.booked)
    reading.proposals = list(shared.proposals)
    reading.confirmations = list(shared.confirmations)
    return reading


def _read_patterns(text: Any, context: Any, domains: Sequence[str]) -> Reading:
    """The pattern reading, for a vocabulary without a shared understanding."""
    reading = Reading(_clean(text))
    names = getattr(context, "names", {}) or {}
    for raw, question in _sentences(reading.text):
        sentence = raw.lower()
        hits = {d: _index(names[d]).find(raw) for d in domains if names.get(d)}
        for d, found in hits.items():
            seen = reading.offers.setdefault(d, [])
            seen.extend(n for n in found if n not in seen)
        hint = _hint(sentence, domains, hits)
        if question:
            _read_question(reading, sentence, hint, context)
        mentioned = any(hits.values())  # "X has no wifi, I'm afraid" is not a failure
        reading.failures.extend((k, hint) for k in _failures(sentence) if k != "negative" or not mentioned)
        reading.claims_booked = reading.claims_booked or bool(_CLAIMS_BOOKED.search(sentence))
    reading.offers = {d: v for d, v in reading.offers.items() if v}
    return reading


def _understanding(context: Any) -> Any:
    """The domain's shared understanding (``context.vocab.understanding``), or ``None``."""
    return _vocab_understanding(getattr(context, "vocab", None))


def _vocab_understanding(vocab: Any) -> Any:
    try:
        return getattr(vocab, "understanding", None)
    except Exception:  # a vocabulary that cannot build one: read as before
        return None


def _read_question(reading: Reading, sentence: str, hint: str | None, context: Any) -> None:
    asked = _asked(sentence, context)
    reading.asked.extend((slot, hint) for slot in asked)
    if asked:
        return
    if _PROPOSES_BOOKING.search(sentence) and not _CLAIMS_BOOKED.search(sentence):
        reading.proposals.append((sentence, hint))
    elif _CONFIRMS.search(sentence):
        reading.confirmations.append((sentence, hint))


def values_in(slot: str, text: str) -> list[str]:
    """Values of a booking slot stated in ``text`` (people/stay as digits, times as ``HH:MM``)."""
    if slot in ("people", "stay"):
        return [str(n) for n in find_numbers(text)]
    if slot == "time":
        return find_times(text)
    if slot == "day":
        return [d for d in _DAYS if re.search(rf"\b{d}\b", text.lower())]
    return []


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def value_given(slot: str, value: Any, text: str, vocab: Any, domain: str | None = None) -> bool:
    """Whether ``text`` gives ``value`` of ``slot`` (times in any clock format, numbers inside
    prices/fees/durations, phone numbers and postcodes with any spacing, yes/no facilities), or, where
    the vocabulary has a shared understanding, whether it reads ``value`` in any other form ("half past
    seven", "free Wi-Fi", "four-star")."""
    value = str(value).strip()
    if not value:
        return False
    understanding = _vocab_understanding(vocab)
    if understanding is None:
        return _value_given(slot, value, text, vocab)
    try:
        return bool(understanding.gives_value(text, slot, value, domain))
    except Exception:
        return False


def _value_given(slot: str, value: str, text: str, vocab: Any) -> bool:
    if slot in ("leaveAt", "arriveBy", "time"):
        return vocab.clock_time(value) in find_times(text)
    if slot in ("parking", "internet"):
        return _facility(slot, text) == word_key(value)
    if slot in ("phone", "postcode"):
        want = alnum_key(value)
        return len(want) >= 4 and want in alnum_key(text)
    numbers = _NUMBER.findall(value)
    if numbers and slot in ("price", "entrance fee", "duration", "stars"):
        have = set(_NUMBER.findall(text))
        return all(n in have for n in numbers)
    return mentions(text, value)


_FACILITY = {"parking": r"parking|park(ing)? (your|the) car", "internet": r"internet|wi ?fi|wireless"}
_NEGATED = re.compile(r"\b(no|not|doesn't|does not|don't|do not|without|isn't|lacks?|neither|nor)\b")
_CLAUSE = re.compile(r"[.;,!?\n]+|\b(?:and|but|while|whereas)\b")


def _facility(slot: str, text: str) -> str | None:
    """``yes``/``no`` when a clause of ``text`` says whether the place has parking/internet."""
    for clause in _CLAUSE.split(text.lower()):
        if clause and re.search(_FACILITY[slot], clause):
            return "no" if _NEGATED.search(clause) else "yes"
    return None
