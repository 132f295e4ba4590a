"""Updating the agenda from what the user read in an agent reply.

The user checks what it can check as a person would: an offered venue against its constraints (in
the database, via ``context.find``), a booking reference against the bookings of its episode and the
details it asked for, and a requested value against the record of the venue it accepted. It believes
the agent's no-match and booking-failure reports when it expected them (its ``fail_info`` /
``fail_book``) and disputes them otherwise.
"""

from __future__ import annotations

import functools
from typing import Any

from coalm_env.text import find_numbers
from simulators.acts import Act, ActType
from simulators.agenda.agenda import AgendaState, DomainProgress, is_done, push
from simulators.agenda.confirm import confirmations, proposals
from simulators.agenda.understand import Reading, value_given

__all__ = ["observe"]

_TIME_GROUP = ("leaveAt", "arriveBy")


def observe(state: AgendaState, reading: Reading, context: Any) -> bool:
    """Apply one reading to ``state`` (pushing the user's reactions); returns whether the reply made
    progress (something new the user could use)."""
    state.claims_booked = reading.claims_booked
    reactions: list[Act] = []
    progress = _failures(state, reading, reactions)
    progress |= _bookings(state, reading, context, reactions)
    progress |= _offers(state, reading, context, reactions)
    progress |= _values(state, reading, context)
    progress |= proposals(state, reading, context, reactions)
    progress |= confirmations(state, reading, context, reactions)
    progress |= _questions(state, reading, reactions)
    push(state, _dedupe(reactions))
    return progress


def _dedupe(acts: list[Act]) -> list[Act]:
    seen, out = set(), []
    for a in acts:
        key = (a.domain, a.slot) if a.intent in ("inform", "book", "reqalts") else (a.intent, a.domain, a.slot)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def _open_domains(state: AgendaState) -> list[str]:
    return [d for d in state.domains if not is_done(state.progress[d])]


# -- no match / booking failure --------------------------------------------------------------
def _failures(state: AgendaState, reading: Reading, reactions: list[Act]) -> bool:
    progress, handled = False, set()
    undone = _open_domains(state)
    for kind, hint in reading.failures:
        if hint is not None and hint not in undone:
            continue  # about a domain done or outside the goal
        d = hint or state.current()
        if d is None:
            continue
        p = state.progress[d]
        if kind == "negative":
            kind = "book_failed" if p.entity is not None and p.needs_booking else "no_match"
        if kind == "book_failed" and not (p.needs_booking and d != "taxi"):
            kind = "no_match"
        if (d, kind) in handled or (kind == "no_match" and (p.entity is not None or not p.needs_entity)):
            continue
        handled.add((d, kind))
        if kind == "no_match" and not p.on_fail_info and reading.offers.get(d):
            continue  # "no X, but Y": the offer is judged on its own
        switch = _switch_info if kind == "no_match" else _switch_book
        progress |= switch(state, d, reactions)
    return progress


def _switch_info(state: AgendaState, d: str, reactions: list[Act]) -> bool:
    p = state.progress[d]
    if not p.on_fail_info:
        reactions += [Act(ActType.NEGATE, d, "result", "")] + [Act(ActType.INFORM, d, s, v) for s, v in p.info.items()]
        return False
    changed = {s: v for s, v in p.final_info.items() if p.info.get(s) != v}
    p.info, p.on_fail_info = dict(p.final_info), False
    p.told = [s for s in p.told if s not in changed]
    _retarget(state, d, "inform", p.info)
    reactions += [Act(ActType.REQALTS, d, s, v) for s, v in changed.items()]
    return True


def _switch_book(state: AgendaState, d: str, reactions: list[Act]) -> bool:
    p = state.progress[d]
    if not p.on_fail_book:
        if p.booking is None:
            reactions += [Act(ActType.NEGATE, d, "result", "")] + [Act(ActType.BOOK, d, s, v) for s, v in p.book.items()]
        return False
    changed = {s: v for s, v in p.final_book.items() if p.book.get(s) != v}
    p.book, p.on_fail_book = dict(p.final_book), False
    _retarget(state, d, "book", p.book)
    if p.book_asked:
        reactions += [Act(ActType.REQALTS, d, s, v) for s, v in changed.items()]
    return True


def _retarget(state: AgendaState, d: str, intent: str, values: dict[str, str]) -> None:
    """Pending acts of ``intent`` in ``d`` now carry the final values (or go, for dropped slots)."""
    kept = []
    for act in state.stack:
        if act.intent == intent and act.domain == d:
            if act.slot not in values:
                continue
            act = Act(intent, d, act.slot, values[act.slot])
        kept.append(act)
    state.stack = kept


# -- bookings ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _cached_first_number(text: str) -> tuple[int, ...]:
    return tuple(find_numbers(text)[:1])


def _first_number(text: str) -> tuple[int, ...]:
    """The first number :func:`find_numbers` reads in ``text`` (none: ``()``); kept per short text (booking
    values repeat: "2", "4", "3 nights"; reading one costs a dozen regex scans)."""
    return _cached_first_number(text) if len(text) <= 64 else tuple(find_numbers(text)[:1])


def _same(context: Any, slot: str, have: Any, want: Any) -> bool:
    if slot in ("people", "stay"):
        a, b = _first_number(str(have)), _first_number(str(want))
        return bool(a) and a == b
    return context.vocab.same_value(slot, have, want)  # places compare as names of the domain's vocabulary


def _fits(context: Any, d: str, p: DomainProgress, entity: str) -> bool:
    """Whether ``entity`` satisfies the active constraints (``context.find`` on one record: a look-up
    by key, not a scan of the table)."""
    record = context.lookup(d, entity)
    return record is not None and context.vocab.matches(record, p.info)


def _booking_ok(context: Any, d: str, p: DomainProgress, record: dict[str, Any]) -> bool:
    if d == "taxi":
        return all(_same(context, s, record.get(s, ""), v) for s, v in p.info.items())
    entity = record.get(context.vocab.schemas[d].entity_key)
    if entity is None or not _fits(context, d, p, str(entity)):
        return False
    return all(_same(context, s, record.get(s, ""), v) for s, v in p.final_book.items())


def _taxi_records(reading: Reading, context: Any) -> list[dict[str, Any]]:
    """Taxi bookings told by reference, or by their phone number when the reference is left out."""
    records = [b for b in reading.bookings if b.get("domain") == "taxi"]
    refs = {b.get("reference") for b in records}
    for b in context.bookings("taxi"):
        if b.get("reference") not in refs and value_given("phone", b.get("phone", ""), reading.text, context.vocab, "taxi"):
            records.append(b)
    return records


def _bookings(state: AgendaState, reading: Reading, context: Any, reactions: list[Act]) -> bool:
    progress = False
    records = [b for b in reading.bookings if b.get("domain") != "taxi"]
    if "taxi" in state.progress:
        records += _taxi_records(reading, context)
    for record in records:
        d = record.get("domain")
        p = state.progress.get(d)  # type: ignore[arg-type]
        if p is None or is_done(p) or (p.booking or {}).get("reference") == record.get("reference"):
            continue
        if not _booking_ok(context, d, p, record):
            fix = p.info if d == "taxi" else p.final_book
            intent = "inform" if d == "taxi" else "book"
            reactions += [Act(ActType.NEGATE, d, "reference", str(record.get("reference", "")))]
            reactions += [Act(intent, d, s, v) for s, v in fix.items()]
            continue
        progress = True
        p.booking = dict(record)
        if d != "taxi":
            _accept(p, d, str(record[context.vocab.schemas[d].entity_key]))
        p.received["reference"] = str(record.get("reference", ""))
        p.book, p.on_fail_book = dict(p.final_book), False
    return progress


# -- offers ----------------------------------------------------------------------------------
def _accept(p: DomainProgress, d: str, entity: str) -> None:
    if p.entity != entity:
        p.entity = entity
        p.received = {k: v for k, v in p.received.items() if k == "reference"}
        for slot in ("name", p.schema.entity_key):
            if slot in p.reqt:
                p.received[slot] = entity


def _violated(context: Any, d: str, p: DomainProgress, entity: str) -> dict[str, str]:
    record = context.lookup(d, entity) or {}
    return {s: v for s, v in p.info.items() if not context.vocab.matches(record, {s: v})}


def _offers(state: AgendaState, reading: Reading, context: Any, reactions: list[Act]) -> bool:
    progress = False
    for d in _open_domains(state):
        p, names = state.progress[d], reading.offers.get(d, [])
        if not names or not p.needs_entity or p.booking is not None or p.entity in names:
            continue
        new = [n for n in names if n not in p.offered]
        p.offered += new
        fitting = next((n for n in names if _fits(context, d, p, n)), None)  # the first offer that fits
        if fitting is not None:
            _accept(p, d, fitting)
            progress = True
        elif new and p.entity is None:
            violated = _violated(context, d, p, new[0])
            progress |= any(s not in p.told for s in violated)
            reactions += [Act(ActType.NEGATE, d, "name", new[0])] + [Act(ActType.INFORM, d, s, v) for s, v in violated.items()]
    return progress


# -- requested values ------------------------------------------------------------------------
def _values(state: AgendaState, reading: Reading, context: Any) -> bool:
    return receive_values(state, context, lambda d, slot, value: value_given(slot, value, reading.text, context.vocab, d))


def receive_values(state: AgendaState, context: Any, given: Any) -> bool:
    """Mark each requested slot of the open domains as received when ``given(domain, slot, record_value)`` says
    the agent gave its value (the record: the booked taxi, else the offered venue's DB row); a slot the record
    has no value for is received empty. Whether something new was received."""
    progress = False
    for d in _open_domains(state):
        p = state.progress[d]
        record = p.booking if d == "taxi" else (context.lookup(d, p.entity) if p.entity else None)
        if not record:
            continue
        for slot in p.reqt:
            if slot in p.received or slot == "reference":
                continue
            if slot not in record or str(record[slot]) == "":
                p.received[slot] = ""  # nothing to learn: the database has no value
            elif given(d, slot, record[slot]):
                p.received[slot] = str(record[slot])
                progress = True
    return progress


# -- questions -------------------------------------------------------------------------------
def _slot_in(d: str, p: DomainProgress, slot: str) -> list[str]:
    """The slots of domain ``d`` a question about ``slot`` refers to."""
    schema = p.schema
    if d in ("train", "taxi") and slot in ("time", *_TIME_GROUP):
        return list(_TIME_GROUP)
    if slot in _TIME_GROUP and "time" in schema.book:
        return ["time"]
    return [slot] if slot in schema.informable or slot in schema.book else []


def _answer(d: str, p: DomainProgress, slots: list[str]) -> list[Act]:
    values = {**p.info, **p.book}
    given = [s for s in slots if s in values]
    if given:
        return [Act(ActType.BOOK if s in p.schema.book else ActType.INFORM, d, s, values[s]) for s in given]
    return [Act(ActType.INFORM, d, slots[0], "dontcare")]


def _questions(state: AgendaState, reading: Reading, reactions: list[Act]) -> bool:
    progress = False
    undone = _open_domains(state)
    current = state.current()
    for slot, hint in reading.asked:
        d = hint if hint in undone and _slot_in(hint, state.progress[hint], slot) else current
        slots = _slot_in(d, state.progress[d], slot) if d else []
        if not slots or d is None:
            continue
        p = state.progress[d]
        fresh = not any(s in p.asked or s in p.told for s in slots)
        progress |= fresh
        p.asked += [s for s in slots if s not in p.asked]
        reactions += _answer(d, p, slots)
    return progress
