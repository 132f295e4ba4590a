"""The rule policy: a hand-written task-oriented agent that works only from what an agent sees.

On every call it brings its dialogue state up to date with the observation's messages (a
:class:`policies.rule_state.Tracker` per episode, keyed on ``info["episode_id"]``, reads only the new
messages; without an episode id, :func:`policies.rule_state.track` reads them all: the same state), then
either calls an API or replies:

- search (``find_<domain>``) once a domain has a constraint and was not searched with those constraints;
- book (``book_<domain>``) when the user wants a booking, an entity is on offer and every booking slot
  is known, unless that exact booking was already tried; a taxi when its places and a time are known;
- otherwise reply from templates: offer the first result with the attributes the user asked for, say
  there is no match and ask to change a constraint, ask for missing booking slots, report a failed
  booking and ask for another time or day, give the reference, answer requests, close politely.

It never reads ``info["scenario"]`` or oracle hints (``privileged = False``); the slot schemas of the
domain (entity keys, requestable and informable slots) come from the domain's vocabulary, which the env
hands every policy as ``info["vocab"]`` (without one, no task-oriented domain is known and it only
replies). Limits: lexicon-driven
understanding (see :mod:`policies.rule_nlu`) misses paraphrases of values it cannot spot, and one
action holds one tool call.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from coalm_env.types import ToolCall
from policies import rule_nlg as nlg
from policies.rule_state import Attempt, DialogueState, Tracker, track
from policies.rule_values import understanding_of

__all__ = ["RulePolicy", "decide"]

#: slots a train search must know before a train is offered or booked
_TRAIN_KEYS = ("departure", "destination", "day")


class RulePolicy:
    """Rule-based agent for the task-oriented domains (travel, MultiWOZ). Its only memory across calls is
    a cache of dialogue states per live episode (at most ``max_episodes``, least recently used dropped):
    the actions are those of rebuilding the state from all messages on every call."""

    name = "rule"
    privileged = False

    def __init__(self, max_episodes: int = 4096):
        self.max_episodes = max_episodes
        self._trackers: OrderedDict[Any, Tracker] = OrderedDict()

    @staticmethod
    def can_play(tool_names: Sequence[str]) -> str | None:
        """Why this policy cannot play an env offering ``tool_names`` (``None``: it can): it searches and
        books through ``find_<domain>`` / ``book_<domain>`` tools (the runners refuse such a pairing)."""
        if any(n.startswith("find_") for n in tool_names):
            return None
        return ("the rule policy plays task-oriented domains (Travel, MultiWOZ): it searches with find_<domain> "
                "tools and books with book_<domain>, and this env has none")

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]] | None = None) -> list:
        """One action per observation: a list with one :class:`ToolCall`, or a reply text."""
        infos = list(infos) if infos is not None else [{}] * len(observations)
        return [_decide_clean(self._state(obs, info)) for obs, info in zip(observations, infos)]

    def _state(self, obs: dict[str, Any], info: Any) -> DialogueState:
        schemas, understanding = _schemas(info), understanding_of(info)
        key = info.get("episode_id") if isinstance(info, dict) else None
        if key is None:
            return track(obs, schemas, understanding)
        tracker = self._trackers.get(key)
        if tracker is None or not tracker.follows(obs, schemas, understanding):
            tracker = Tracker(obs, schemas, understanding)
        self._trackers[key] = tracker
        self._trackers.move_to_end(key)
        while len(self._trackers) > self.max_episodes:
            self._trackers.popitem(last=False)
        return tracker.advance(obs)


def _decide_clean(st: DialogueState) -> list[ToolCall] | str:
    """:func:`decide`, leaving ``st`` as it found it: deciding only reads the state, but looking a domain
    up (``st.dom``) adds an empty entry, which a state rebuilt for the next call would not have."""
    domains = set(st.domains)
    try:
        return decide(st)
    finally:
        for d in [d for d in st.domains if d not in domains]:
            del st.domains[d]


def _schemas(info: Any) -> Any:
    """The slot schemas of the episode's vocabulary (``info["vocab"].schemas``), or ``{}``."""
    vocab = info.get("vocab") if info else None
    return getattr(vocab, "schemas", None) or {}


def decide(st: DialogueState) -> list[ToolCall] | str:
    """The next action for a dialogue state."""
    if st.last_role not in ("user", "tool"):
        return nlg.ANYTHING_ELSE
    retry = _retry(st)
    if retry is not None:
        return [retry]
    call = next_call(st)
    return [call] if call is not None else reply(st)


#: how many times in a row a call that hit an injected fault (coalm_env.backend.faults) is made again
MAX_RETRIES = 2
_FAULT_TYPES = ("transient_error", "timeout", "rate_limited")


def _retry(st: DialogueState) -> ToolCall | None:
    """The same call again when the last result was a transient fault (503, timeout, 429: nothing was
    changed), at most :data:`MAX_RETRIES` times in a row; then the failure is reported as before."""
    if st.last_role != "tool" or not st.events:
        return None
    last = st.events[-1][1]
    if (last.error or {}).get("type") not in _FAULT_TYPES:
        return None
    tries = 0
    for _d, a in reversed(st.events):
        if a.call.name != last.call.name or a.call.arguments != last.call.arguments or a.ok:
            break
        tries += (a.error or {}).get("type") in _FAULT_TYPES
    return ToolCall(last.call.name, dict(last.call.arguments)) if tries <= MAX_RETRIES else None


# -- tool calls ------------------------------------------------------------------------------------
def next_call(st: DialogueState) -> ToolCall | None:
    """The first pending search or booking, domains in order of mention."""
    for d in st.order:
        call = _taxi_call(st) if d == "taxi" else (_search_call(st, d) or _book_call(st, d))
        if call is not None:
            return call
    return None


def search_args(st: DialogueState, d: str, soft: bool = True) -> dict[str, str]:
    """The search's arguments: the user's constraints (and, with ``soft``, guesses such as a "hotel"
    type when the user said "hotel") that the API accepts; ``dontcare`` only for enum slots."""
    api = st.onto.api("find", d)
    ds = st.dom(d)
    args = {}
    wanted = {**{k: v for k, v in ds.soft.items() if soft}, **ds.info}
    for slot, value in wanted.items():
        if value == "dontcare" and not st.onto.accepts(api, slot, value):
            continue
        if st.onto.accepts(api, slot, value) or slot in ("leaveAt", "arriveBy", "name", "trainID"):
            args[slot] = value
    if args.get("name", "dontcare") != "dontcare" and d != "train":
        return {"name": args["name"]}  # a venue the user names: its other constraints say nothing more
    return args


def _search_call(st: DialogueState, d: str) -> ToolCall | None:
    api = st.onto.api("find", d)
    if api is None:
        return None
    args = search_args(st, d)
    if not args and st.onto.arg_names(api) and d != "hospital":
        return None
    done = {json.dumps(s.call.arguments, sort_keys=True): s for s in st.dom(d).searches}
    first = done.get(json.dumps(args, sort_keys=True))
    if first is None:
        return ToolCall(api, args)
    hard = search_args(st, d, soft=False)
    if hard != args and st.entity(d) is None and json.dumps(hard, sort_keys=True) not in done:
        return ToolCall(api, hard)  # the guess found nothing usable: search without it
    return None


def _train_missing(st: DialogueState) -> list[str]:
    """Train keys still to ask for; none once the user, already asked for the missing ones, answers with
    a booking request and no train constraint ("Book that for me please" after "where will you be
    departing from?": the best match)."""
    ds = st.dom("train")
    missing = [s for s in _TRAIN_KEYS if s not in ds.info]
    said = (st.last_act.informs.get("train", {}) if st.last_act else {}).keys() - {"people"}
    asks = bool(st.last_act and st.last_act.book.get("train"))  # this turn asks for the booking
    if missing and asks and not said and all(("train", s) in st.asked_before for s in missing):
        return []
    return missing


def book_args(st: DialogueState, d: str) -> dict[str, str] | None:
    """The booking call's arguments, or ``None`` while an entity or a slot is missing."""
    entity = st.entity(d)
    slots = st.onto.book_slots(d)
    ds = st.dom(d)
    if entity is None or any(ds.book.get(s) in (None, "dontcare") for s in slots):
        return None
    if d == "train" and _train_missing(st):
        return None
    key = st.onto.schemas[d].entity_key
    return {key: str(entity[key]), **{s: ds.book[s] for s in slots}}


def _book_call(st: DialogueState, d: str) -> ToolCall | None:
    api = st.onto.api("book", d)
    if api is None or not st.dom(d).wants_book:
        return None
    args = book_args(st, d)
    if args is None or any(b.call.arguments == args for b in st.dom(d).bookings):
        return None
    return ToolCall(api, args)


def taxi_args(st: DialogueState) -> dict[str, str]:
    info = st.dom("taxi").info
    slots = ("departure", "destination", "leaveAt", "arriveBy")
    return {s: info[s] for s in slots if info.get(s, "dontcare") != "dontcare"}


def _taxi_missing(st: DialogueState) -> list[str]:
    args = taxi_args(st)
    missing = [s for s in ("departure", "destination") if s not in args]
    return missing + ([] if "leaveAt" in args or "arriveBy" in args else ["time"])


def _taxi_call(st: DialogueState) -> ToolCall | None:
    if st.onto.api("book", "taxi") is None or _taxi_missing(st):
        return None
    args = taxi_args(st)
    if any(b.call.arguments == args for b in st.dom("taxi").bookings):
        return None
    return ToolCall("book_taxi", args)


# -- replies ---------------------------------------------------------------------------------------
def reply(st: DialogueState) -> str:
    """A reply covering what happened since the user's last turn and what the user asked."""
    parts: list[str] = []
    reported: set[str] = set()
    for d in dict.fromkeys(d for d, _a in st.events):
        text = _report(st, d, [a for dd, a in st.events if dd == d])
        if text:
            parts.append(text)
            reported.add(d)
    act = st.last_act
    for d in (act.domains if act else []):
        if d not in reported:
            text = _follow_up(st, d)
            if text:
                parts.append(text)
    if parts:
        return " ".join(parts)
    if act is not None and (act.bye or act.thanks):
        return nlg.CLOSING
    return nlg.ANYTHING_ELSE


def _report(st: DialogueState, d: str, attempts: list[Attempt]) -> str:
    last_search = next((a for a in reversed(attempts) if a.call.name.startswith("find_")), None)
    last_book = next((a for a in reversed(attempts) if not a.call.name.startswith("find_")), None)
    if d == "taxi":
        return _taxi_report(st, last_book) if last_book else ""
    if last_book is not None:
        return _book_report(st, d, last_book)
    return _search_report(st, d, last_search) if last_search else ""


def _search_report(st: DialogueState, d: str, search: Attempt) -> str:
    if not search.ok:
        return f"I'm sorry, I could not search for that: {search.error.get('message', '')}"
    count = int((search.value or {}).get("count", 0))
    if count == 0:
        return nlg.no_match(d, search.call.arguments)
    return _offer_or_ask(st, d, count)


def _offer_or_ask(st: DialogueState, d: str, count: int) -> str:
    if d == "train" and _train_missing(st):
        return nlg.ask_train(_train_missing(st), count)
    entity = st.entity(d)
    if entity is None:
        return ""
    text = nlg.offer(d, count, entity, st.dom(d).requested)
    missing = _booking_missing(st, d)
    return f"{text} {nlg.ask_booking(d, missing)}" if missing else text


def _booking_missing(st: DialogueState, d: str) -> list[str]:
    ds = st.dom(d)
    if not ds.wants_book or st.onto.api("book", d) is None:
        return []
    return [s for s in st.onto.book_slots(d) if ds.book.get(s) in (None, "dontcare")]


def _book_report(st: DialogueState, d: str, attempt: Attempt) -> str:
    if attempt.ok:
        return nlg.booked(d, attempt.value, st.entity(d), st.dom(d).requested)
    if (attempt.error or {}).get("type") == "booking_failed":
        return nlg.book_failed(d, attempt.call.arguments)
    return f"I'm sorry, I could not make that booking: {(attempt.error or {}).get('message', '')}"


def _taxi_report(st: DialogueState, attempt: Attempt) -> str:
    if attempt.ok:
        return nlg.taxi_booked(attempt.value)
    message = (attempt.error or {}).get("message", "")
    return f"I'm sorry, I could not book the taxi: {message}. {nlg.ask_taxi(['departure', 'destination'])}"


def _follow_up(st: DialogueState, d: str) -> str:
    """What to say about a domain the user spoke of when no call was made for it this turn."""
    if d == "taxi":
        missing = _taxi_missing(st)
        booked = st.dom("taxi").booked()
        if missing:
            return nlg.ask_taxi(missing)
        return _answer(st, d, booked) if booked else ""
    ds = st.dom(d)
    if not ds.searches:
        return nlg.ask_constraints(d)
    last = ds.searches[-1]
    if last.ok and not (last.value or {}).get("count"):
        return nlg.no_match(d, last.call.arguments)
    if d == "train" and _train_missing(st):
        return nlg.ask_train(_train_missing(st), int((last.value or {}).get("count", 0)))
    entity = st.entity(d)
    act = st.last_act
    if entity is None:
        return nlg.no_other(d) if act is not None and d in act.rejected else ""
    if act is not None and (d in act.rejected or act.reqmore):
        return nlg.describe(d, entity, ds.requested)
    answer = _answer(st, d, entity)
    missing = _booking_missing(st, d)
    if missing:
        answer = f"{answer} {nlg.ask_booking(d, missing)}".strip()
    if not answer and st.last_act is not None and d in st.last_act.chosen:
        answer = nlg.describe(d, entity, ds.requested)
    return answer


def _answer(st: DialogueState, d: str, entity: dict[str, Any]) -> str:
    wanted = (st.last_act.requests.get(d, []) if st.last_act else [])
    if not wanted:
        return ""
    booked = st.dom(d).booked() or {}
    source = {**entity, **({"reference": booked["reference"]} if booked.get("reference") else {})}
    have = [s for s in wanted if s in source]
    name = entity.get("name") or entity.get("trainID") or entity.get("reference")
    text = f"For {name}: {nlg.facts(d, source, have, skip_intro=False)}" if have else ""
    lacking = [s for s in wanted if s not in source]
    if lacking:
        text += f" I'm sorry, I don't have the {' or '.join(nlg.LABELS.get(s, s) for s in lacking)}."
    return text.strip()
