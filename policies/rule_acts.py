"""The rule system policy at act level (``interface="acts"``): ConvLab's rule system, on this project's APIs.

It plays the act-level mode of the task-oriented envs (:mod:`coalm_env.acts_env`): it reads the user's dialogue
acts and its own calls' results, keeps a small dialogue state per episode (keyed on ``info["episode_id"]``) and
answers with tool calls or system acts. The decisions are those of the text rule policy (:mod:`policies.rule`),
with no understanding or templates:

- search (``find_<domain>``) once a domain has a constraint and was not searched with those constraints (a name
  the user gives is searched alone); trains once departure, destination and day are known (else ``Request``);
- book (``book_<domain>``) when the user has given booking slots (``Book`` acts, or yes to an offer), an entity
  is on offer and that exact booking was not tried; a taxi once its places and a time are known;
- a call that hit an injected fault (503, timeout, 429) is made again, at most :data:`MAX_RETRIES` times;
- otherwise system acts: ``Inform`` the first result not rejected (``name``/``trainID``, ``choice`` = the count)
  with the slots the user requested, ``NoOffer`` with the constraints searched, ``Request`` missing booking slots,
  ``Book`` with the ``reference`` (a taxi's ``car type`` and ``phone`` too), ``NoBook`` for a failed booking,
  ``Reqmore`` when nothing is pending, ``Bye`` after thanks.

Not privileged: it never reads the scenario or oracle hints; slot schemas come from ``info["vocab"]``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RuleActsPolicy"]

_TRAIN_KEYS = ("departure", "destination", "day")
#: how many times a call that hit an injected fault (coalm_env.backend.faults) is made again, as the text rule policy
MAX_RETRIES = 2
_FAULT_TYPES = ("transient_error", "timeout", "rate_limited")
_TAXI_PLACES = ("departure", "destination")


@dataclass
class _Domain:
    info: dict[str, str] = field(default_factory=dict)
    book: dict[str, str] = field(default_factory=dict)
    wants_book: bool = False
    requested: list[str] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)
    searched: list[tuple[dict, Any]] = field(default_factory=list)  # (args, value or None on error)
    tried: list[dict] = field(default_factory=list)  # booking args tried
    entity: dict[str, Any] | None = None
    count: int = 0
    booked: dict[str, Any] | None = None


@dataclass
class _State:
    schemas: Any
    order: list[str] = field(default_factory=list)
    doms: dict[str, _Domain] = field(default_factory=dict)
    pending: list[dict] = field(default_factory=list)  # calls made, results awaited
    events: list[tuple[str, str, dict, Any, Any]] = field(default_factory=list)  # (domain, kind, args, value, error)
    reqmore: set[str] = field(default_factory=set)
    active: list[str] = field(default_factory=list)  # domains of the user's last acts
    bye: bool = False
    seen_turn: Any = None
    retries: dict[tuple, int] = field(default_factory=dict)  # (api, arguments) -> faults retried

    def dom(self, d: str) -> _Domain:
        ds = self.doms.get(d)
        if ds is None:
            ds = self.doms[d] = _Domain()
            self.order.append(d)
        return ds


class RuleActsPolicy:
    """Rule-based act-level system policy for the task-oriented domains (module docstring)."""

    name = "rule_acts"
    privileged = False
    interface = "acts"

    def __init__(self, max_episodes: int = 4096):
        self.max_episodes = max_episodes
        self._states: OrderedDict[Any, _State] = OrderedDict()

    @staticmethod
    def can_play(tool_names: Sequence[str]) -> str | None:
        if any(n.startswith("find_") for n in tool_names):
            return None
        return "the act-level rule policy plays the task-oriented domains (Travel, MultiWOZ) at interface=acts"

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]] | None = None) -> list:
        infos = list(infos) if infos is not None else [{}] * len(observations)
        return [self._one(obs, info or {}) for obs, info in zip(observations, infos)]

    def _one(self, obs: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
        key = (info.get("episode_id"), info.get("scenario_id"))
        st = self._states.get(key)
        if st is None or info.get("step", 0) == 0:
            st = _State(getattr(info.get("vocab"), "schemas", None) or {})
            self._states[key] = st
            while len(self._states) > self.max_episodes:
                self._states.popitem(last=False)
        if st.pending and obs.get("tool_results"):
            _read_results(st, obs["tool_results"])
        elif not st.pending:
            st.events.clear()
            _read_user(st, obs.get("user_acts") or ())
        st.pending = []
        if obs.get("error"):  # our own action was refused: say nothing more this turn
            return {"acts": [["Reqmore", "general", "", ""]]}
        call = _next_call(st)
        if call is not None:
            st.pending = [call]
            return {"calls": [call]}
        return {"acts": _reply(st)}


# -- reading ----------------------------------------------------------------------------------------
def _read_user(st: _State, acts: Sequence[Sequence[str]]) -> None:
    st.reqmore.clear()
    st.retries.clear()  # faulted calls get their retries again on each user turn
    st.active = list(dict.fromkeys(a[1] for a in acts if a[1] in st.schemas))
    for d in st.active:  # a search that failed (an error, not an empty result) is tried again when the user speaks
        ds = st.doms.get(d)
        if ds is not None:
            ds.searched = [(a, v) for a, v in ds.searched if v is not None]
    for intent, d, slot, value in acts:
        if d == "general" or d not in st.schemas:
            st.bye = st.bye or intent in ("Thank", "Bye")
            continue
        ds, sch = st.dom(d), st.schemas[d]
        if intent == "Inform" and slot:
            ds.info[slot] = value
        elif intent == "Book" and slot:
            ds.book[slot] = value
            ds.wants_book = True
        elif intent == "Reqalts" and slot:
            (ds.book if slot in sch.book else ds.info)[slot] = value
            if slot in sch.book:
                ds.wants_book = True
            else:  # other constraints now: an entity rejected under the old ones may fit
                ds.rejected.clear()
        elif intent == "Request" and slot and slot not in ds.requested:
            ds.requested.append(slot)
        elif intent == "Negate" and slot == "name":
            ds.rejected.add(value)
            if ds.entity is not None and ds.entity.get(sch.entity_key) == value:
                ds.entity = None
        elif intent == "Affirm" and slot == "booking":
            ds.wants_book = True
        elif intent == "Reqmore":
            st.reqmore.add(d)


def _read_results(st: _State, results: Sequence[dict[str, Any]]) -> None:
    for call, shown in zip(st.pending, results):
        try:
            payload = json.loads(shown.get("content", "null"))
        except (ValueError, TypeError):
            payload = None
        error = payload.get("error") if isinstance(payload, dict) and "error" in payload else None
        value = None if error is not None else payload
        name = call["name"]
        key = (name, json.dumps(call["arguments"], sort_keys=True))
        if isinstance(error, dict) and error.get("type") in _FAULT_TYPES and st.retries.get(key, 0) < MAX_RETRIES:
            st.retries[key] = st.retries.get(key, 0) + 1  # a transient fault: nothing changed, the call is made again
            continue
        kind, d = name.split("_", 1)
        ds = st.dom(d)
        if kind == "find":
            ds.searched.append((call["arguments"], value))
            if value is not None:
                key = st.schemas[d].entity_key
                results_ = [r for r in value.get("results") or [] if r.get(key) not in ds.rejected]
                ds.entity, ds.count = (results_[0] if results_ else None), int(value.get("count", 0))
        else:
            ds.tried.append(call["arguments"])
            if value is not None:
                ds.booked = value
        st.events.append((d, kind, call["arguments"], value, error))


# -- calls ------------------------------------------------------------------------------------------
def _search_args(st: _State, d: str) -> dict[str, str]:
    ds, sch = st.dom(d), st.schemas[d]
    args = {s: v for s, v in ds.info.items() if s in sch.informable and v and v != "dontcare"}
    if "name" in args and d != "train":
        return {"name": args["name"]}
    return args


def _next_call(st: _State) -> dict | None:
    for d in st.order:
        sch, ds = st.schemas[d], st.doms[d]
        if d == "taxi":
            args = {s: v for s, v in ds.info.items() if s in sch.informable and v != "dontcare"}
            if all(s in args for s in _TAXI_PLACES) and ("leaveAt" in args or "arriveBy" in args) \
                    and args not in ds.tried and sch.book_api:
                return {"name": sch.book_api, "arguments": args}
            continue
        if sch.find_api:
            args = _search_args(st, d)
            if d == "train" and any(s not in args for s in _TRAIN_KEYS):
                args = {}
            if args and not any(a == args for a, _v in ds.searched):
                return {"name": sch.find_api, "arguments": args}
        if sch.book_api and ds.wants_book and ds.entity is not None and all(ds.book.get(s) for s in sch.book):
            args = {sch.entity_key: str(ds.entity[sch.entity_key]), **{s: ds.book[s] for s in sch.book}}
            if args not in ds.tried:
                return {"name": sch.book_api, "arguments": args}
    return None


# -- replies ----------------------------------------------------------------------------------------
def _reply(st: _State) -> list[list[str]]:
    acts: list[list[str]] = []
    reported: set[str] = set()
    for d, kind, args, value, error in st.events:
        reported.add(d)
        sch, ds = st.schemas[d], st.doms[d]
        if kind == "find":
            if error is not None or not value or not value.get("count"):
                acts += [["NoOffer", d, s, str(v)] for s, v in args.items()] or [["NoOffer", d, "", ""]]
            elif ds.entity is not None:
                acts += _offer(st, d)
        elif value is not None:
            acts.append(["Book", d, "reference", str(value.get("reference", ""))])
            if d == "taxi":
                acts += [["Inform", d, s, str(value[s])] for s in ("car type", "phone") if value.get(s)]
            acts += _answers(st, d)
        else:
            acts += [["NoBook", d, s, str(v)] for s, v in args.items() if s in sch.book] or [["NoBook", d, "", ""]]
    for d in st.active:
        if d not in reported:
            acts += _follow_up(st, d)
    if not acts:
        acts = [["Bye", "general", "", ""]] if st.bye else [["Reqmore", "general", "", ""]]
    return acts


def _offer(st: _State, d: str) -> list[list[str]]:
    sch, ds = st.schemas[d], st.doms[d]
    acts = [["Inform", d, sch.entity_key, str(ds.entity[sch.entity_key])], ["Inform", d, "choice", str(ds.count)]]
    acts += _answers(st, d)
    if ds.wants_book and sch.book_api:
        acts += [["Request", d, s, "?"] for s in sch.book if not ds.book.get(s)]
    return acts


def _answers(st: _State, d: str) -> list[list[str]]:
    ds = st.doms[d]
    source = dict(ds.entity or {})
    if ds.booked:
        source.update({k: v for k, v in ds.booked.items() if k in ("reference", "car type", "phone")} if d == "taxi"
                      else {"reference": ds.booked.get("reference", "")})
    return [["Inform", d, s, str(source[s])] for s in ds.requested if source.get(s) not in (None, "")]


def _follow_up(st: _State, d: str) -> list[list[str]]:
    sch, ds = st.schemas[d], st.doms[d]
    if d == "taxi":
        have = {s for s, v in ds.info.items() if v != "dontcare"}
        missing = [s for s in _TAXI_PLACES if s not in have]
        if "leaveAt" not in have and "arriveBy" not in have:
            missing.append("leaveAt")
        if missing and ds.booked is None:
            return [["Request", d, s, "?"] for s in missing]
        return _answers(st, d)
    if d == "train" and any(s not in ds.info for s in _TRAIN_KEYS):
        return [["Request", d, s, "?"] for s in _TRAIN_KEYS if s not in ds.info]
    if sch.find_api and not ds.searched:
        return [["Request", d, s, "?"] for s in sch.informable[:1]]
    if ds.searched and ds.entity is None:
        last = ds.searched[-1][0]
        return [["NoOffer", d, s, str(v)] for s, v in last.items()] or [["NoOffer", d, "", ""]]
    if ds.entity is not None and (d in st.reqmore or not ds.requested and not ds.wants_book):
        return _offer(st, d)
    acts = _answers(st, d)
    if ds.wants_book and sch.book_api and ds.booked is None:
        acts += [["Request", d, s, "?"] for s in sch.book if not ds.book.get(s)]
    return acts
