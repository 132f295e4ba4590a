"""Inform / Success / Book for task-oriented goals (MultiWOZ definitions, on lexicalised agent text
and on the calls the agent made).

- The scorers read one event stream, :class:`Episode` (:func:`episode_events`): the agent's replies and
  its successful bookings (the results of its ``book_<domain>`` calls), in order. Bookings are read
  only from there (:meth:`Episode.bookings`).
- An entity counts as **offered** in a domain when the agent booked it, or else when its name (its
  trainID for trains) is the last one of that domain mentioned in the agent's replies (whole words,
  case-insensitive, a leading "the" optional: the same rule the agenda user applies): :func:`offered`
  with ``booked_first=True``, whose first key is taken.
- **Inform** (per domain with a search API: restaurant, hotel, attraction, train): the offered entity
  satisfies the goal's final constraints (``info``) under the domain vocabulary's matching rules
  (``state.vocab``, :class:`~coalm_env.domains.tod.vocab.Vocabulary`); values compare by its ``same_value``.
- A **request** (a slot of the domain in ``scenario.gold.requested``, which the domains fill with the
  goal's ``reqt``) is answered when the offered entity's value for that slot appears in an agent reply;
  ``reference`` when a booking reference of that domain does; taxi ``car type``/``phone`` from the
  taxi booking.
- **Book** (per domain the goal books, taxi included): a successful booking of an entity satisfying
  ``info`` with the goal's final ``book`` values (taxi: the goal's places and time).
- **Success** = every inform, every request and every booking. (MultiWOZ's own Success leaves out
  booking; in an interactive task, a booking the user asked for is part of the job.)
"""

from __future__ import annotations

import functools
import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.domains.tod import db
from coalm_env.domains.tod.apis import TodState
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.text import alnum_key, mention_index, mentions
from coalm_env.types import Scenario, StopReason, Trajectory

__all__ = ["Episode", "Reply", "ActReply", "Booking", "episode_events", "offered", "offered_entity", "score_goal",
           "INFORM_DOMAINS"]

INFORM_DOMAINS = ("restaurant", "hotel", "attraction", "train")


@dataclass(frozen=True)
class Reply:
    """An agent reply to the user."""

    text: str


#: system intents that put an entity forward at act level (:mod:`coalm_env.acts`)
OFFER_INTENTS = frozenset({"Inform", "Recommend", "Select", "OfferBook", "OfferBooked", "Book"})


@dataclass(frozen=True)
class ActReply(Reply):
    """An agent reply at act level (``interface="acts"``): its system acts ``[intent, domain, slot, value]``;
    ``text`` is empty. The readers below take offers and values from the acts instead of the text."""

    acts: tuple = ()

    def named(self, domain: str) -> list[str]:
        """Entity keys of ``domain`` this reply puts forward (``name``/``trainID`` of an offering act), a
        ``Recommend`` last (so that :func:`offered` puts it first, as the text readers do)."""
        return list(self._named.get(domain, ()))

    @functools.cached_property
    def _named(self) -> dict[str, tuple[str, ...]]:
        """:meth:`named` for every domain, read from the acts in one pass (the scorers ask for each domain)."""
        plain: dict[str, list[str]] = {}
        rec: dict[str, list[str]] = {}
        for intent, d, slot, value in self.acts:
            if slot in ("name", "trainID") and value and intent in OFFER_INTENTS:
                (rec if intent == "Recommend" else plain).setdefault(d, []).append(value)
        return {d: tuple(dict.fromkeys(plain.get(d, []) + rec.get(d, []))) for d in {**plain, **rec}}

    def gives(self, slot: str, value: str, understanding: Any = None) -> bool:
        """Whether an ``Inform`` (or booking) act of this reply gives ``value`` of ``slot``."""
        want = alnum_key(value)
        for intent, _d, s, v in self.acts:
            if s == slot and intent in OFFER_INTENTS and v:
                if alnum_key(v) == want:
                    return True
                if understanding is not None and understanding.key(slot, v) == understanding.key(slot, value):
                    return True
        return False


@dataclass(frozen=True)
class Booking:
    """A successful ``book_<domain>`` call: the booked entity's key (``reference`` for taxis) and the record."""

    domain: str
    key: str
    record: dict[str, Any]


@dataclass
class Episode:
    """The agent side of an episode in order: :class:`Reply` and :class:`Booking` events."""

    events: list[Reply | Booking] = field(default_factory=list)

    @property
    def replies(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, Reply)]

    def bookings(self, domain: str) -> list[dict[str, Any]]:
        """The successful bookings of ``domain``, oldest first (the one bookings reader of the scorers)."""
        return [e.record for e in self.events if isinstance(e, Booking) and e.domain == domain]


def _call_key(call: Any) -> tuple[Any, str, str]:
    return call.id, call.name, json.dumps(call.arguments, sort_keys=True, default=str)


def episode_events(trajectory: Trajectory) -> Episode:
    """Replies and successful bookings (``book_<domain>``, ``book_taxi``) in the order the agent made them:
    the assistant messages in order, each call's result read from the steps (an unparseable action,
    answered by a ``parse_error`` tool message, is no reply: the user never sees it)."""
    results: dict[tuple, deque] = {}
    for step in trajectory.steps:
        for call, result in zip(step.calls, step.results):
            results.setdefault(_call_key(call), deque()).append(result)
    out = Episode()
    messages = trajectory.messages
    for i, m in enumerate(messages):
        if m.role != "assistant":
            continue
        if not m.tool_calls:
            after = messages[i + 1] if i + 1 < len(messages) else None
            if m.content and not (after is not None and after.role == "tool" and after.name == "parse_error"):
                out.events.append(Reply(m.content))
            continue
        for call in m.tool_calls:
            queue = results.get(_call_key(call))
            result = queue.popleft() if queue else None
            if result is not None and result.ok and call.name.startswith("book_") and isinstance(result.value, dict):
                domain = call.name.removeprefix("book_")
                key = SCHEMAS[domain].entity_key if domain in SCHEMAS and domain != "taxi" else "reference"
                out.events.append(Booking(domain, str(result.value.get(key, "")), result.value))
    return out


def offered(domain: str, episode: Episode, named: Callable[[str], Sequence[str]],
            booked_first: bool = False) -> list[str]:
    """Entity keys of ``domain`` the agent offered, last first: those ``named(text)`` finds in its last
    reply that names any, or the entity of its last booking, whichever came later. ``booked_first``: a
    booking wins over any naming (the entity the agent committed to)."""
    if booked_first:
        booked = [b.key for b in episode.events if isinstance(b, Booking) and b.domain == domain and b.key]
        if booked:
            return [booked[-1]]
    out: list[str] = []
    for event in episode.events:
        if isinstance(event, Reply):
            found = event.named(domain) if isinstance(event, ActReply) else list(named(event.text))
            if found:
                out = found[::-1]
        elif not booked_first and event.domain == domain and event.key:
            out = [event.key]
    return out


def offered_entity(domain: str, episode: Episode, state: TodState, names: Sequence[str],
                   prefer: Mapping[str, Any] | None = None) -> dict | None:
    """The entity the agent offered in ``domain`` (booked, else last mentioned), or ``None``. Where several
    entities share the name (MultiWOZ reuses some trainIDs), the one matching ``prefer`` is taken."""
    key = SCHEMAS[domain].entity_key
    keys = offered(domain, episode, _offer_reader(domain, names, getattr(state.vocab, "understanding", None)),
                   booked_first=True)
    if not keys:
        return None
    name = keys[0]
    rec = state.view.get(domain, name)
    if rec is None or prefer is not None:
        hits = db.query(state.view, domain, {key: name})
        hits.sort(key=lambda r: not (prefer is not None and state.vocab.matches(r, prefer)))
        rec = hits[0] if hits else rec
    return dict(rec) if rec is not None else None


@functools.lru_cache(maxsize=4096)
def _reading(understanding: Any, text: str) -> Any:
    from coalm_env.domains.tod.understanding import read_agent_turn

    return read_agent_turn(text, understanding=understanding)


def _offer_reader(domain: str, names: Sequence[str], understanding: Any) -> Callable[[str], list[str]]:
    """``named(text)`` for :func:`offered`: of the names of ``domain`` a reply mentions (whole words), only
    those the understanding reads as offered (the recommended one last, so that :func:`offered` puts it
    first: "...including X and Y. I'd suggest Z"; none for "X is fully booked"); all of them where the
    understanding does not see them."""
    built: list = []

    def find(text: str) -> list[str]:  # the index is built on the first text read (act-level replies read none)
        if not built:
            built.append(mention_index(names))
        return built[0].find(text)

    if understanding is None:
        return find

    def named(text: str) -> list[str]:
        exact = find(text)
        if not exact:
            return exact
        reading = _reading(understanding, text)
        offers = [n for n in reading.offers.get(domain, ()) if n in exact]
        if offers:
            return list(reversed(offers))
        if set(exact) & set(reading.mentioned.get(domain, ())):
            return []  # named, but only as unavailable / failed
        return exact

    return named


def _gives(slot: str, value: str, episode: Episode, understanding: Any) -> bool:
    """Whether a reply gives ``value`` of ``slot``: its database spelling, or (with the domain's
    understanding) any form of it ("7:30 pm", "£5", "01223 351880", "four-star", "free Wi-Fi"); at act level, an
    act of that slot with that value (:meth:`ActReply.gives`)."""
    if any(isinstance(e, ActReply) and e.gives(slot, value, understanding) for e in episode.events):
        return True
    if mentions("\n".join(episode.replies), value):
        return True
    return understanding is not None and any(understanding.gives_value(text, slot, value) for text in episode.replies)


def _requested(slot: str, domain: str, entity: dict | None, episode: Episode, understanding: Any = None) -> bool:
    if slot == "reference" or domain == "taxi":
        bookings = episode.bookings(domain)
        field = "reference" if slot == "reference" else slot
        return any(b.get(field) and _gives(field, str(b[field]), episode, understanding) for b in bookings)
    return entity is not None and slot in entity and _gives(slot, str(entity[slot]), episode, understanding)


def _booked(domain: str, sub: Mapping[str, Any], episode: Episode, state: TodState) -> bool:
    if domain == "taxi":
        want = sub["info"]
        for b in episode.bookings("taxi"):
            if all(state.vocab.same_value(s, b.get(s, ""), v) for s, v in want.items()):
                return True
        return False
    key = SCHEMAS[domain].entity_key
    for b in episode.bookings(domain):
        if not all(state.vocab.same_value(s, b.get(s, ""), v) for s, v in sub["book"].items()):
            continue
        # every entity with that key: MultiWOZ reuses some trainIDs on two routes
        if any(state.vocab.matches(rec, sub["info"]) for rec in db.query(state.view, domain, {key: b[key]})):
            return True
    return False


def score_goal(trajectory: Trajectory, scenario: Scenario, state: TodState,
               names: Mapping[str, Sequence[str]], episode: Episode | None = None) -> dict[str, float]:
    """Inform, requests, Book and Success of one episode (see the module docstring) against
    ``scenario.goal``, the requested slots read from ``scenario.gold.requested``; ``episode``: the
    trajectory's :func:`episode_events` when the caller has them already."""
    episode = episode if episode is not None else episode_events(trajectory)
    understanding = getattr(state.vocab, "understanding", None)
    requested = scenario.gold.requested
    informs, requests, books = [], [], []
    for d, sub in scenario.goal.items():
        if not isinstance(sub, dict) or not sub or d not in SCHEMAS:
            continue
        entity = offered_entity(d, episode, state, names.get(d, ()), sub["info"]) if d in INFORM_DOMAINS else None
        if d in INFORM_DOMAINS:
            informs.append(entity is not None and state.vocab.matches(entity, sub["info"]))
        requests += [_requested(s, d, entity, episode, understanding) for s in requested.get(d, ())]
        if sub.get("book") or d == "taxi":
            books.append(_booked(d, sub, episode, state))
    out = {
        "inform": float(all(informs)),
        "requests": float(sum(requests) / len(requests)) if requests else 1.0,
        "goal_met": float(trajectory.stop_reason == StopReason.GOAL_MET),
    }
    if books:
        out["book"] = float(all(books))
    out["success"] = float(all(informs) and all(requests) and all(books))
    return out
