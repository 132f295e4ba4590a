"""The agenda user at act level (``interface="acts"``): reading the agent's system acts instead of its text.

The act-level counterpart of :func:`simulators.agenda.understand.read` plus the text-only parts of
:func:`simulators.agenda.observe.observe`. System acts (:mod:`coalm_env.acts`) map onto the user's
:class:`~simulators.agenda.understand.Reading`, and the same updates then run (no-match and booking-failure
reports, bookings, offers, questions):

- ``Inform``/``Select``/``OfferBook``/``OfferBooked``/``Book`` of ``name``/``trainID`` and ``Recommend``: offers
  (a ``Recommend`` first);
- ``Request`` of a slot: a question about it;
- ``NoOffer``: no match; ``NoBook``: the booking failed (in that act's domain);
- ``Book``/``OfferBooked`` with a ``reference``: the bookings of the episode with that reference, and a claim of a
  booking; ``Book``/``OfferBooked`` without one is a claim only (the user asks for the reference);
- ``OfferBook``: an offer to book, its slots the proposed details (checked against the goal's booking values);
- a requested value is received when an act of that slot gives the value of the accepted venue (or of the
  taxi booking) under the vocabulary's ``same_value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulators.acts import Act, ActType
from simulators.agenda.agenda import AgendaState, push
from simulators.agenda.observe import (
    _bookings, _dedupe, _failures, _offers, _questions, _same, receive_values,
)
from simulators.agenda.understand import Reading

__all__ = ["read_acts", "observe_acts"]

_OFFER = frozenset({"Inform", "Select", "OfferBook", "OfferBooked", "Book"})
_BOOKED = frozenset({"Book", "OfferBooked"})


def read_acts(acts: Sequence[Sequence[str]] | None, context: Any, domains: Sequence[str]) -> Reading:
    """The user's reading of one act-level agent turn (canonical acts, :func:`coalm_env.acts.parse_act_action`)."""
    reading = Reading("")
    wanted = set(domains)
    refs: set[str] = set()
    for intent, d, slot, value in acts or ():
        if intent == "Request":
            reading.asked.append((slot, d if d in wanted else None))
        elif slot in ("name", "trainID") and value and (intent in _OFFER or intent == "Recommend"):
            names = reading.offers.setdefault(d, [])
            if value not in names:
                names.insert(0, value) if intent == "Recommend" else names.append(value)
        if intent == "NoOffer":
            reading.failures.append(("no_match", d))
        elif intent == "NoBook":
            reading.failures.append(("book_failed", d))
        if intent in _BOOKED:
            reading.claims_booked = True
            if slot == "reference" and value:
                refs.add(value.upper())
    if refs:
        reading.bookings = [b for b in context.bookings() if str(b.get("reference", "")).upper() in refs]
    return reading


def observe_acts(state: AgendaState, reading: Reading, acts: Sequence[Sequence[str]] | None, context: Any) -> bool:
    """:func:`simulators.agenda.observe.observe` for an act-level turn: the same updates, with requested values
    and offers to book read from the acts. Returns whether the turn made progress."""
    state.claims_booked = reading.claims_booked
    reactions: list[Act] = []
    progress = _failures(state, reading, reactions)
    progress |= _bookings(state, reading, context, reactions)
    progress |= _offers(state, reading, context, reactions)
    progress |= _values(state, acts or (), context)
    progress |= _proposal(state, acts or (), context, reactions)
    progress |= _questions(state, reading, reactions)
    push(state, _dedupe(reactions))
    return progress


def _values(state: AgendaState, acts: Sequence[Sequence[str]], context: Any) -> bool:
    given: dict[str, list[str]] = {}
    for intent, _d, slot, value in acts:
        if intent in _OFFER and value:
            given.setdefault(slot, []).append(value)
    if not given:
        return False
    return receive_values(state, context, lambda _d, slot, record: any(
        v == str(record) or context.vocab.same_value(slot, v, record) for v in given.get(slot, ())))


def _proposal(state: AgendaState, acts: Sequence[Sequence[str]], context: Any, reactions: list[Act]) -> bool:
    """An ``OfferBook``: yes, with the booking slots it leaves out, or a correction of the wrong ones."""
    offer = [a for a in acts if a[0] == "OfferBook"]
    if not offer:
        return False
    d = offer[0][1]
    p = state.progress.get(d)
    if p is None or not p.needs_booking or p.booking is not None or d == "taxi" or (p.needs_entity and p.entity is None):
        return False
    proposed = {slot: value for _i, dom, slot, value in offer if dom == d and slot in p.book and value}
    if any(not _same(context, s, v, p.book[s]) for s, v in proposed.items()):
        reactions += [Act(ActType.NEGATE, d, "booking", "")] + [Act(ActType.BOOK, d, s, v) for s, v in p.book.items()]
        return False
    reactions.append(Act(ActType.AFFIRM, d, "booking", ""))
    first = "_confirmed" not in p.asked
    p.asked.append("_confirmed")
    if not p.book_asked:
        reactions += [Act(ActType.BOOK, d, s, v) for s, v in p.book.items() if s not in proposed]
    return first
