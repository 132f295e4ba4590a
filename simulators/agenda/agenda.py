"""The user's agenda: a stack of dialogue acts built from a MultiWOZ-layout goal, and its progress.

An act is an :class:`~simulators.acts.Act` ``[intent, domain, slot, value]`` (``act.intent`` an
:class:`~simulators.acts.ActType`, ``act.domain``, ``act.slot``, ``act.value``). Intents:

- ``inform``: a search constraint (value ``dontcare`` when the agent asks about a slot the goal leaves
  open); ``book``: a booking slot; ``reqalts``: a changed constraint or booking slot after a no-match
  or a failed booking ("how about the north instead?");
- ``request``: ask for a slot's value (value ``?``); ``reqmore``: ask the agent to suggest or book;
- ``negate``: reject what the agent did: slot ``name`` (an offered entity that does not fit), ``reference``
  (a booking with the wrong details), ``booking`` (an offer to book with the wrong details) or
  ``result`` (a no-match or failure the user does not believe);
- ``affirm``: yes to the agent's offer to book (slot ``booking``; booking slots follow when not yet
  said) or to its check of what the user wants (slot empty);
- ``thank`` / ``bye``: the goal is met; ``bye`` with slot ``gave_up``: out of patience.

The stack's top is the end of :attr:`AgendaState.stack`. Built domain by domain in goal order:
constraints (``fail_info`` first when present), requests, booking (``fail_book`` merged over ``book``),
and ``bye`` at the bottom. Requests and bookings wait until the user has accepted an entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulators.acts import Act, ActType

__all__ = [
    "Act", "DomainProgress", "AgendaState", "build_state", "next_acts", "mark_said", "push", "goal_domain_order",
    "is_done",
]

_GROUP = {"inform": "inform", "reqalts": "inform", "negate": "inform", "book": "book", "request": "request"}
_MAX_REQUESTS = 3


@dataclass
class DomainProgress:
    """One goal domain as the user sees it: its active constraints and what it has observed."""

    info: dict[str, str]  # active constraints (fail_info until the agent reports no match)
    final_info: dict[str, str]
    book: dict[str, str]  # active booking slots (fail_book merged in until a booking fails)
    final_book: dict[str, str]
    reqt: list[str]
    on_fail_info: bool = False
    on_fail_book: bool = False
    needs_entity: bool = True
    needs_booking: bool = False
    entity: str | None = None  # the accepted entity (name or trainID)
    booking: dict[str, Any] | None = None  # the accepted booking record (taxi: the taxi booking)
    received: dict[str, str] = field(default_factory=dict)  # requested slot -> value the agent gave
    told: list[str] = field(default_factory=list)  # slots the user has said
    asked: list[str] = field(default_factory=list)  # slots the agent has asked for
    offered: list[str] = field(default_factory=list)  # entities the agent has mentioned
    book_asked: bool = False
    schema: Any = None  # the domain's DomainSchema (from the vocabulary of the user context)


@dataclass
class AgendaState:
    """The simulator's per-episode state (handed back by the env on every call)."""

    seed: int
    patience: int
    domains: list[str]
    progress: dict[str, DomainProgress]
    stack: list[Act]
    turn: int = 0
    fresh: int = 0  # acts on top of the stack pushed in reaction to the last agent reply
    claims_booked: bool = False
    stopped: str | None = None
    schemas: Mapping[str, Any] = field(default_factory=dict)  # the vocabulary's schemas (read-only)

    def clone(self) -> AgendaState:
        """A copy to update, so a state handed back by the env is never changed in place."""
        progress = {d: _copy(p, info=dict(p.info), book=dict(p.book), received=dict(p.received),
                             told=list(p.told), asked=list(p.asked), offered=list(p.offered),
                             booking=dict(p.booking) if p.booking is not None else None)
                    for d, p in self.progress.items()}
        # acts are immutable in use (lists never changed in place): the stack list is copied, not each act
        return _copy(self, domains=list(self.domains), progress=progress, stack=list(self.stack))

    def current(self) -> str | None:
        """The first goal domain not yet done, or ``None`` when every one is."""
        return next((d for d in self.domains if not is_done(self.progress[d])), None)

    def achieved(self) -> dict[str, dict[str, Any]]:
        """What the user believes it obtained, per domain (for tests and diagnostics)."""
        return {
            d: {"done": is_done(p), "entity": p.entity, "received": dict(p.received),
                "reference": (p.booking or {}).get("reference"), "fail_info_active": p.on_fail_info,
                "fail_book_active": p.on_fail_book}
            for d, p in self.progress.items()
        }

    def goal_met(self) -> bool:
        return all(is_done(p) for p in self.progress.values())


def _copy(obj: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` without re-running ``__init__`` (the fields are copied as they are, then
    ``changes`` set): the same object, at a fraction of the cost on every user turn."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


def is_done(p: DomainProgress) -> bool:
    """Whether the user has seen everything it wanted in this domain."""
    if p.needs_entity and p.entity is None:
        return False
    if p.needs_booking and p.booking is None:
        return False
    received = p.received
    for s in p.reqt:  # a loop, not all(generator): this runs tens of times per user turn
        if s not in received:
            return False
    return True


def goal_domain_order(goal: dict[str, Any], schemas: Mapping[str, Any]) -> list[str]:
    """The goal's domains in the goal's own order (MultiWOZ goals list them as the user visits them)."""
    return [d for d, sub in goal.items() if d in schemas and isinstance(sub, dict) and sub]


def _slots(values: Any, allowed: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(values, dict):
        return {}
    return {str(k): str(v) for k, v in values.items() if k in allowed and v is not None and str(v) != ""}


def _reqt(sub: dict[str, Any], schema: Any) -> list[str]:
    raw = sub.get("reqt") or []
    names = list(raw) if isinstance(raw, (list, tuple, dict)) else []
    allowed = schema.requestable
    return [str(s) for s in dict.fromkeys(names) if s in allowed]


def _progress(domain: str, sub: dict[str, Any], schema: Any) -> DomainProgress:
    info = _slots(sub.get("info"), schema.informable)
    fail_info = _slots(sub.get("fail_info"), schema.informable)
    book = _slots(sub.get("book"), schema.book)
    fail_book = _slots(sub.get("fail_book"), schema.book) if book else {}
    reqt = [s for s in _reqt(sub, schema) if s != "reference" or book or domain == "taxi"]
    return DomainProgress(
        info=fail_info or info, final_info=info, book={**book, **fail_book}, final_book=book,
        reqt=reqt, on_fail_info=bool(fail_info), on_fail_book=bool(fail_book),
        needs_entity=schema.find_api is not None, needs_booking=bool(book) or domain == "taxi", schema=schema,
    )


def build_state(goal: dict[str, Any], seed: int, patience: int, schemas: Mapping[str, Any]) -> AgendaState:
    """The initial agenda of a goal (``schemas``: the domain vocabulary's, ``context.vocab.schemas``)."""
    domains = goal_domain_order(goal, schemas)
    progress = {d: _progress(d, goal[d], schemas[d]) for d in domains}
    stack: list[Act] = [Act(ActType.BYE, "general", "", "")]
    for d in reversed(domains):
        p = progress[d]
        key = schemas[d].entity_key
        stack += [Act(ActType.BOOK, d, s, v) for s, v in reversed(p.book.items())]
        stack += [Act(ActType.REQUEST, d, s, "?") for s in reversed(p.reqt) if s not in ("name", key, "reference")]
        stack += [Act(ActType.INFORM, d, s, v) for s, v in reversed(p.info.items())]
    return AgendaState(seed=seed, patience=patience, domains=domains, progress=progress, stack=stack,
                       schemas=schemas)


def push(state: AgendaState, acts: list[Act]) -> None:
    """Put ``acts`` on top (``acts[0]`` is said first), replacing pending acts about the same slots."""
    keys = {(a.domain, a.slot) for a in acts if a.intent in ("inform", "book", "reqalts", "request")}
    state.stack = [a for a in state.stack if a.intent not in ("inform", "book", "reqalts", "request")
                   or (a.domain, a.slot) not in keys]
    state.stack.extend(reversed(acts))
    state.fresh += len(acts)


def _stale(state: AgendaState, act: Act) -> bool:
    p = state.progress.get(act.domain)
    if p is None:
        return False
    if is_done(p):
        return True
    if act.intent == "inform":
        return (p.entity is not None and p.needs_entity) or (act.domain == "taxi" and p.booking is not None)
    if act.intent == "request":
        return act.slot in p.received
    if act.intent == "book":
        return p.booking is not None
    return False


def _gated(state: AgendaState, act: Act) -> bool:
    p = state.progress.get(act.domain)
    if p is None or act.intent not in ("request", "book"):
        return False
    if act.domain == "taxi":
        return p.booking is None
    return p.needs_entity and p.entity is None


def _reask(state: AgendaState, domain: str, cap: int) -> list[Act]:
    """Acts for what is still missing in ``domain`` once its agenda has run out."""
    p = state.progress[domain]
    untold = [Act(ActType.INFORM, domain, s, v) for s, v in p.info.items() if s not in p.told]
    if (p.needs_entity and p.entity is None) or (domain == "taxi" and p.booking is None):
        return untold[:cap] or [Act(ActType.REQMORE, domain, "", "")]
    if p.needs_booking and p.booking is None:
        if state.claims_booked and p.book_asked:
            return [Act(ActType.REQUEST, domain, "reference", "?")]
        return [Act(ActType.BOOK, domain, s, v) for s, v in p.book.items()]
    missing = [s for s in p.reqt if s not in p.received]
    return [Act(ActType.REQUEST, domain, s, "?") for s in missing[:_MAX_REQUESTS]]


def next_acts(state: AgendaState, cap: int) -> list[Act]:
    """Pop the acts of the user's next turn: its reactions to the last reply, then agenda acts of the
    same domain and kind (at most ``cap`` constraints, all booking slots together); re-asks for what
    is missing when the agenda has nothing the user can say yet."""
    acts = [state.stack.pop() for _ in range(min(state.fresh, len(state.stack)))]
    state.fresh = 0
    current = state.current()
    if current is None:
        return acts
    domain = acts[0].domain if acts else current
    group = _GROUP.get(acts[0].intent) if acts else None
    popped = {"inform": 0, "request": 0, "book": 0}
    limits = {"inform": cap, "request": _MAX_REQUESTS, "book": 99}  # booking slots go together
    while state.stack:
        top = state.stack[-1]
        if _stale(state, top):
            state.stack.pop()
            continue
        kind = _GROUP.get(top.intent)
        if kind is None or top.domain != domain or _gated(state, top) or (group or kind) != kind:
            break
        if popped[kind] >= limits[kind]:
            break
        group = kind
        popped[kind] += 1
        acts.append(state.stack.pop())
    return acts or _reask(state, current, cap)


def mark_said(state: AgendaState, acts: list[Act]) -> None:
    """Record what the user has now told the agent."""
    for intent, domain, slot, _value in acts:
        p = state.progress.get(domain)
        if p is None:
            continue
        if intent in ("inform", "reqalts", "book") and slot not in p.told:
            p.told.append(slot)
        if intent == "book" or (intent == "reqalts" and slot in p.schema.book):
            p.book_asked = True
