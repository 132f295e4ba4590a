"""Inform / Success / Book for task-oriented goals (MultiWOZ definitions, on lexicalised agent text
and on the calls the agent made).

- An entity counts as **offered** in a domain when the agent booked it, or else when its name (its
  trainID for trains) is the last one of that domain mentioned in the agent's replies (whole words,
  case-insensitive, a leading "the" optional: the same rule the agenda user applies).
- **Inform** (per domain with a search API: restaurant, hotel, attraction, train): the offered entity
  satisfies the goal's final constraints (``info``) under the domain vocabulary's matching rules
  (``state.vocab``, :class:`~coalm_env.domains.tod.vocab.Vocabulary`); values compare by its ``same_value``.
- A **request** is answered when the offered entity's value for that slot appears in an agent reply;
  ``reference`` when a booking reference of that domain does; taxi ``car type``/``phone`` from the
  taxi booking.
- **Book** (per domain the goal books, taxi included): a successful booking of an entity satisfying
  ``info`` with the goal's final ``book`` values (taxi: the goal's places and time).
- **Success** = every inform, every request and every booking. (MultiWOZ's own Success leaves out
  booking; in an interactive task, a booking the user asked for is part of the job.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coalm_env.domains.tod import db
from coalm_env.domains.tod.apis import TodState, bookings
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.text import mention_index, mentions
from coalm_env.types import StopReason, Trajectory

__all__ = ["agent_text", "offered_entity", "score_goal", "INFORM_DOMAINS"]

INFORM_DOMAINS = ("restaurant", "hotel", "attraction", "train")


def agent_text(trajectory: Trajectory) -> list[str]:
    """The agent's replies to the user, in order."""
    return [m.content for m in trajectory.messages if m.role == "assistant" and not m.tool_calls and m.content]


def _bookings(state: TodState, domain: str) -> list[dict[str, Any]]:
    return bookings(state.view, domain)


def offered_entity(domain: str, replies: Sequence[str], state: TodState, names: Sequence[str],
                   prefer: Mapping[str, Any] | None = None) -> dict | None:
    """The entity the agent offered in ``domain`` (booked, else last mentioned), or ``None``. Where several
    entities share the name (MultiWOZ reuses some trainIDs), the one matching ``prefer`` is taken."""
    key = SCHEMAS[domain].entity_key
    booked = _bookings(state, domain)
    name = booked[-1][key] if booked else None
    if name is None:
        for text in reversed(replies):
            found = mention_index(names).find(text)
            if found:
                name = found[-1]
                break
    if name is None:
        return None
    rec = state.view.get(domain, name)
    if rec is None or prefer is not None:
        hits = db.query(state.view, domain, {key: name})
        hits.sort(key=lambda r: not (prefer is not None and state.vocab.matches(r, prefer)))
        rec = hits[0] if hits else rec
    return dict(rec) if rec is not None else None


def _requested(slot: str, domain: str, entity: dict | None, replies: Sequence[str], state: TodState) -> bool:
    text = "\n".join(replies)
    if slot == "reference" or domain == "taxi":
        bookings = _bookings(state, domain)
        field = "reference" if slot == "reference" else slot
        return any(b.get(field) and mentions(text, str(b[field])) for b in bookings)
    return entity is not None and slot in entity and mentions(text, str(entity[slot]))


def _booked(domain: str, sub: Mapping[str, Any], state: TodState) -> bool:
    if domain == "taxi":
        want = sub["info"]
        for b in _bookings(state, "taxi"):
            if all(state.vocab.same_value(s, b.get(s, ""), v) for s, v in want.items()):
                return True
        return False
    key = SCHEMAS[domain].entity_key
    for b in _bookings(state, domain):
        if not all(state.vocab.same_value(s, b.get(s, ""), v) for s, v in sub["book"].items()):
            continue
        # every entity with that key: MultiWOZ reuses some trainIDs on two routes
        if any(state.vocab.matches(rec, sub["info"]) for rec in db.query(state.view, domain, {key: b[key]})):
            return True
    return False


def score_goal(trajectory: Trajectory, goal: Mapping[str, Any], state: TodState,
               names: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """Inform, requests, Book and Success of one episode (see the module docstring)."""
    replies = agent_text(trajectory)
    informs, requests, books = [], [], []
    for d, sub in goal.items():
        if not isinstance(sub, dict) or not sub or d not in SCHEMAS:
            continue
        entity = offered_entity(d, replies, state, names.get(d, ()), sub["info"]) if d in INFORM_DOMAINS else None
        if d in INFORM_DOMAINS:
            informs.append(entity is not None and state.vocab.matches(entity, sub["info"]))
        requests += [_requested(s, d, entity, replies, state) for s in sub.get("reqt", [])]
        if sub.get("book") or d == "taxi":
            books.append(_booked(d, sub, state))
    out = {
        "inform": float(all(informs)),
        "requests": float(sum(requests) / len(requests)) if requests else 1.0,
        "goal_met": float(trajectory.stop_reason == StopReason.GOAL_MET),
    }
    if books:
        out["book"] = float(all(books))
    out["success"] = float(all(informs) and all(requests) and all(books))
    return out
