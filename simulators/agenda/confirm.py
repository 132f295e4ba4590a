"""Yes/no questions: the agent offers to book ("shall I reserve a table for 2 at 18:00?") or checks
what it understood ("a cheap italian place in the centre, is that right?"). The user says yes when
every value it can spot agrees with its goal, and corrects the ones that do not."""

from __future__ import annotations

from typing import Any

from simulators.acts import Act, ActType
from simulators.agenda.agenda import AgendaState, DomainProgress, is_done
from simulators.agenda.understand import Reading, values_in

__all__ = ["proposals", "confirmations"]


def _target(state: AgendaState, hint: str | None) -> tuple[str, DomainProgress] | None:
    if hint is not None and (hint not in state.progress or is_done(state.progress[hint])):
        return None  # about a domain done or outside the goal
    d = hint or state.current()
    return (d, state.progress[d]) if d else None


def _wrong_book(context: Any, p: DomainProgress, question: str) -> dict[str, str]:
    wrong = {}
    for slot, want in p.book.items():
        said = values_in(slot, question)
        if said and not any(context.vocab.same_value(slot, want, x) for x in said):
            wrong[slot] = want
    return wrong


def _wrong_info(context: Any, d: str, p: DomainProgress, question: str) -> tuple[dict[str, str], int]:
    """Constraints the question states wrongly, and how many it states at all."""
    wrong, stated = {}, 0
    for slot, want in p.info.items():
        said = context.mentioned_values(d, slot, question) if slot not in ("leaveAt", "arriveBy") else \
            values_in("time", question)
        stated += bool(said)
        if said and not any(context.vocab.same_value(slot, want, x) for x in said):
            wrong[slot] = want
    return wrong, stated


def _affirm(d: str, p: DomainProgress, reactions: list[Act], what: str) -> bool:
    """Say yes; the first yes in a domain is progress, the same question again is not."""
    reactions.append(Act(ActType.AFFIRM, d, what, ""))
    first = "_confirmed" not in p.asked
    p.asked.append("_confirmed")
    return first


def proposals(state: AgendaState, reading: Reading, context: Any, reactions: list[Act]) -> bool:
    """Answer an offer to book: yes (with the booking slots not yet said) or a correction."""
    for question, hint in reading.proposals[:1]:
        target = _target(state, hint)
        if target is None:
            continue
        d, p = target
        if not p.needs_booking or p.booking is not None or d == "taxi" or (p.needs_entity and p.entity is None):
            continue
        wrong = _wrong_book(context, p, question)
        if wrong:
            reactions += [Act(ActType.NEGATE, d, "booking", "")] + [Act(ActType.BOOK, d, s, v) for s, v in p.book.items()]
            return False
        progress = _affirm(d, p, reactions, "booking")
        if not p.book_asked:
            reactions += [Act(ActType.BOOK, d, s, v) for s, v in p.book.items() if not values_in(s, question)]
        return progress
    return False


def confirmations(state: AgendaState, reading: Reading, context: Any, reactions: list[Act]) -> bool:
    """Answer a check of the user's constraints or booking details."""
    for question, hint in reading.confirmations[:1]:
        target = _target(state, hint)
        if target is None:
            continue
        d, p = target
        wrong_info, stated = _wrong_info(context, d, p, question)
        wrong_book = _wrong_book(context, p, question)
        if wrong_info or wrong_book:
            reactions += [Act(ActType.NEGATE, d, "booking", "")] + [Act(ActType.INFORM, d, s, v) for s, v in wrong_info.items()]
            reactions += [Act(ActType.BOOK, d, s, v) for s, v in wrong_book.items()]
            return False
        if stated or any(values_in(s, question) for s in p.book):
            return _affirm(d, p, reactions, "")
    return False
