"""Scoring act-level episodes (``interface="acts"``) with the text level's definitions, read from the acts.

The event stream is the text level's :class:`~coalm_env.domains.tod.scoring.Episode`: each reply step becomes an
:class:`~coalm_env.domains.tod.scoring.ActReply` (its system acts), each successful ``book_<domain>`` call a
``Booking``, in the order the agent made them. The same readers then score it:

- **offered** (:func:`~coalm_env.domains.tod.scoring.offered`): the entity of the agent's last booking, else the
  ``name``/``trainID`` of the last reply whose acts put one forward (``Inform``, ``Recommend``, ``Select``,
  ``OfferBook``, ``OfferBooked``, ``Book``; a ``Recommend`` first);
- a **requested value** is given when an act of that slot carries it (its database spelling, case, spaces and
  punctuation free: the text understanding is not loaded at act level); a reference when an act carries it;
- **task metrics** (``inform``, ``requests``, ``book``, ``success``; MultiWOZ: ``task_success``):
  :func:`~coalm_env.domains.tod.scoring.score_goal` on that stream, unchanged.
- **MultiWOZ**: the project's entity ``inform``/``success`` (:func:`coalm_env.domains.multiwoz.scoring.mwz_inform_success`'s
  rules: offered venues a subset of the goal's venues, mwzeval's exceptions, requestables phone/address/postcode
  provided when an act gives some database entity's value, reference when an act gives a booking's reference,
  trainID when a train is offered) and ConvLab's ``book_rate`` (bookings only, as at the text level).
  Not computed at act level: ``mwz_inform``/``mwz_success`` (they need a delexicalised text or belief-state
  turn), ConvLab's ``inform_f1`` and ``jga`` (no belief state is reported through acts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.tod.scoring import ActReply, Booking, Episode, offered, score_goal
from coalm_env.text import alnum_key
from coalm_env.types import Scenario, Trajectory

__all__ = ["act_episode_events", "score_acts"]


def act_episode_events(trajectory: Trajectory) -> Episode:
    """The act-level episode: per step, its successful bookings, then its acts (calls run before acts)."""
    out = Episode()
    events = out.events
    for step in trajectory.steps:
        for call, result in zip(step.calls, step.results):
            if result.ok and call.name.startswith("book_") and isinstance(result.value, dict):
                domain = call.name[5:]
                key = SCHEMAS[domain].entity_key if domain in SCHEMAS and domain != "taxi" else "reference"
                events.append(Booking(domain, str(result.value.get(key, "")), result.value))
        acts = step.extra.get("acts") if step.extra else None
        if acts:
            events.append(ActReply("", tuple(map(tuple, acts))))
    return out


def score_acts(domain: Any, trajectory: Trajectory, scenario: Scenario, backend: Any) -> dict[str, float]:
    """The metrics of an act-level episode (module docstring) for the travel and MultiWOZ domains."""
    episode = act_episode_events(trajectory)
    database = getattr(domain, "database", None)
    names = database.names if database is not None else domain.names
    strict = score_goal(trajectory, scenario, _ActState(backend.state), names, episode)
    if database is None:  # travel: the task metrics are its metrics
        return strict
    from coalm_env.domains.multiwoz import scoring as mwz

    metrics = _entity_inform_success(scenario, episode, _values(domain), domain.goal_venues(scenario))
    book_rate = mwz.convlab_book_rate(scenario.goal, episode, database.entity)
    if book_rate is not None:
        metrics["book_rate"] = book_rate
    metrics.update({k: strict[k] for k in ("book", "requests", "goal_met") if k in strict})
    metrics["task_success"] = strict["success"]
    return metrics


class _NoUnderstanding:
    """The domain vocabulary without its text understanding: acts carry values, not text to read (and loading the
    understanding costs seconds per process)."""

    understanding = None

    def __init__(self, vocab: Any):
        self._vocab = vocab

    def __getattr__(self, name: str) -> Any:
        return getattr(self._vocab, name)


class _ActState:
    """The episode's backend state as the text scorer reads it (``view``, ``vocab``), with :class:`_NoUnderstanding`."""

    def __init__(self, state: Any):
        self.view, self.vocab = state.view, _NoUnderstanding(state.vocab)


_VALUES: dict[int, tuple[Any, dict]] = {}


def _values(domain: Any) -> dict[str, dict[str, set[str]]]:
    """``{domain: {slot: {alnum keys}}}`` of the database's phone/address/postcode values, trainIDs under
    ``train/trainID`` (built once per domain object)."""
    hit = _VALUES.get(id(domain))
    if hit is None or hit[0] is not domain:
        tables = domain.database.tables
        values = {d: {s: {alnum_key(r[s]) for r in rows if r.get(s) and r[s] not in ("?", "unknown")}
                      for s in ("phone", "address", "postcode")} for d, rows in tables.items()}
        values.setdefault("train", {})["trainID"] = {r["trainID"].upper() for r in tables.get("train", ())}
        hit = _VALUES[id(domain)] = (domain, values)
    return hit[1]


def _acts(episode: Episode) -> list[tuple]:
    return [a for e in episode.events if isinstance(e, ActReply) for a in e.acts]


def _offered_venues(d: str, episode: Episode, acts: list[tuple], train_ids: set[str]) -> list[str]:
    if d == "train":  # a booked train is offered only if an act showed its trainID (the user never learns it else)
        shown = {str(a[3]).upper() for a in acts if a[2] == "trainID"} & train_ids
        episode = Episode([e for e in episode.events if not (isinstance(e, Booking) and e.domain == "train"
                                                               and e.key.upper() not in shown)])
    return offered(d, episode, lambda _text: [])


def _provided(d: str, episode: Episode, acts: list[tuple], values: Mapping[str, Mapping[str, set[str]]]) -> set[str]:
    found: set[str] = set()
    if d == "taxi":
        phones = {alnum_key(b.get("phone", "")) for b in episode.bookings("taxi")} - {""}
        return {"phone"} if any(a[2] == "phone" and alnum_key(a[3]) in phones for a in acts) else set()
    refs = {alnum_key(b.get("reference", "")) for b in episode.bookings(d)} - {""}
    mine = values.get(d, {})
    for _intent, _dom, slot, value in acts:
        key = alnum_key(value)
        if slot in ("phone", "address", "postcode") and key in mine.get(slot, ()):
            found.add(slot)
        elif slot == "reference" and key in refs:
            found.add("reference")
        elif slot == "trainID" and d == "train" and str(value).upper() in mine.get("trainID", ()):
            found.add("trainID")
    return found


def _entity_inform_success(scenario: Scenario, episode: Episode, values: Mapping[str, Any],
                           goal_venues: Mapping[str, set[str]]) -> dict[str, float]:
    from coalm_env.domains.multiwoz.scoring import domain_verdicts

    train_ids = values.get("train", {}).get("trainID", set())
    acts = _acts(episode)  # the episode's acts in order (every domain reads them)
    match, success = domain_verdicts(scenario, goal_venues, lambda d: _offered_venues(d, episode, acts, train_ids),
                                     lambda d: _provided(d, episode, acts, values))
    inform = all(match.values())
    return {"inform": float(inform), "success": float(inform and all(success.values()))}
