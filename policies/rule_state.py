"""Dialogue state of the rule policy, built from an observation's messages.

Walking the conversation in order: user turns are understood (:func:`policies.rule_nlu.parse_user`)
and merged into per-domain constraints, booking slots, requests and intents; the agent's own tool
calls and their results give the searches, bookings and the entity names it has seen; the agent's
last reply tells which slots it asked for. The same messages give the same state: :func:`track` reads
them all; a :class:`Tracker` (what :class:`policies.rule.RulePolicy` keeps per episode) reads only the
messages added since its last call, O(1) per new message instead of O(n) per call, with the same result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coalm_env.render import messages_from_observation
from coalm_env.types import Message, ToolCall
from policies.rule_lexicon import Ontology
from policies.rule_nlu import UserAct, keyword_domains, parse_user
from policies.rule_places import ENT_RE, mask_names

__all__ = ["Attempt", "DomainState", "DialogueState", "Tracker", "track", "ASK_PATTERNS"]

#: how the policy's own questions read, slot -> pattern (the tracker reads them back)
ASK_PATTERNS = {
    "people": r"how many (people|tickets|guests)", "stay": r"how many nights", "day": r"what day|which day",
    "time": r"what time", "area": r"which area|what area|area", "pricerange": r"price range",
    "food": r"type of food|what food", "type": r"what type of (attraction|place)|guesthouse or a hotel",
    "departure": r"depart|pick you up", "destination": r"where (are you|is it) going|destination",
    "stars": r"how many stars",
}


_ASK_RES = {slot: re.compile(pattern) for slot, pattern in ASK_PATTERNS.items()}


@dataclass
class Attempt:
    """One call the agent made and what came back (``value`` when ok, else ``error``)."""

    call: ToolCall
    value: Any = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class DomainState:
    """What the user wants in one domain, and what the agent did about it."""

    info: dict[str, str] = field(default_factory=dict)
    book: dict[str, str] = field(default_factory=dict)
    wants_book: bool | None = None
    requested: list[str] = field(default_factory=list)
    chosen: str | None = None
    soft: dict[str, str] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    searches: list[Attempt] = field(default_factory=list)
    bookings: list[Attempt] = field(default_factory=list)

    def results(self) -> list[dict[str, Any]]:
        """Results of the last successful search."""
        for s in reversed(self.searches):
            if s.ok and isinstance(s.value, dict):
                return list(s.value.get("results") or [])
        return []

    def booked(self) -> dict[str, Any] | None:
        last = self.bookings[-1] if self.bookings else None
        return last.value if last is not None and last.ok and isinstance(last.value, dict) else None


@dataclass
class DialogueState:
    """The whole conversation as the rule policy understands it."""

    onto: Ontology
    domains: dict[str, DomainState] = field(default_factory=dict)
    focus: str | None = None
    order: list[str] = field(default_factory=list)  # domains by last mention, most recent last
    known: dict[str, str] = field(default_factory=dict)  # entity name -> domain
    last_act: UserAct | None = None
    events: list[tuple[str, Attempt]] = field(default_factory=list)  # (domain, attempt) since the last user turn
    asked: list[tuple[str, str]] = field(default_factory=list)
    asked_before: set[tuple[str, str]] = field(default_factory=set)  # every (domain, slot) the agent asked for
    offered: dict[str, str] = field(default_factory=dict)  # per domain, the first known name of the last reply
    last_role: str = ""

    def dom(self, d: str) -> DomainState:
        return self.domains.setdefault(d, DomainState())

    def entity(self, d: str) -> dict[str, Any] | None:
        """The entity on offer in ``d``: the one the user chose if it was found, else the first result."""
        ds = self.dom(d)
        key = self.onto.schemas[d].entity_key
        if ds.chosen:
            for s in reversed(ds.searches):
                for r in (s.value or {}).get("results", []) if s.ok and isinstance(s.value, dict) else []:
                    if str(r.get(key, "")).lower() == ds.chosen.lower():
                        return r
        rejected = {n.lower() for n in ds.rejected}
        return next((r for r in ds.results() if str(r.get(key, "")).lower() not in rejected), None)

    def slot_values(self) -> dict[str, dict[str, str]]:
        """Per domain, the values the dialogue holds: the offered entity's area and price range, then the
        user's constraints (not dontcare) and booking slots ("the same area as the restaurant")."""
        out = {}
        for d, ds in self.domains.items():
            if d not in self.onto.schemas:
                continue
            ent = ds.booked() if d != "train" else None
            ent = self.entity(d) or {} if not isinstance(ent, dict) or "area" not in ent else ent
            vals = {s: str(ent[s]) for s in ("area", "pricerange") if ent.get(s)}
            vals.update({s: v for s, v in ds.info.items() if v != "dontcare"})
            vals.update({s: v for s, v in ds.book.items() if v != "dontcare"})
            out[d] = vals
        return out

    def refs(self) -> dict[str, str]:
        out = {}
        for d in ("restaurant", "hotel", "attraction"):
            booked = self.dom(d).booked() if d in self.domains else None
            ent = booked or (self.entity(d) if d in self.domains else None)
            if ent and ent.get("name"):
                out[d] = str(ent["name"])
            elif d in self.domains and self.dom(d).chosen:
                out[d] = self.dom(d).chosen  # named or accepted, not searched yet
        return out


def _domain_of(st: DialogueState, api: str) -> str | None:
    kind, _, d = api.partition("_")
    return d if kind in ("find", "book") and d in st.onto.schemas else None


def _tool_result(st: DialogueState, call: ToolCall, content: str) -> None:
    d = _domain_of(st, call.name)
    if d is None:
        return
    try:
        payload = json.loads(content)
    except json.JSONDecodeError:
        payload = {"error": {"type": "unreadable", "message": content[:200]}}
    err = payload.get("error") if isinstance(payload, dict) and "error" in payload else None
    attempt = Attempt(call, None if err else payload, err if err is None or isinstance(err, dict) else {"message": err})
    ds = st.dom(d)
    (ds.searches if call.name.startswith("find_") else ds.bookings).append(attempt)
    st.events.append((d, attempt))
    st.focus = d
    key = st.onto.schemas[d].entity_key
    for r in (payload.get("results", []) if attempt.ok and isinstance(payload, dict) else []):
        if isinstance(r, dict) and r.get(key):
            st.known[str(r[key])] = d


def _merge(st: DialogueState, act: UserAct) -> None:
    for d, slots in act.informs.items():
        ds = st.dom(d)
        find_params = st.onto.arg_names(st.onto.api("find", d)) if d != "taxi" else list(slots)
        for slot, value in slots.items():
            if slot in find_params:
                if ds.info.get(slot) != value and slot != "people":
                    ds.chosen = None
                ds.info[slot] = value
            else:
                ds.book[slot] = value
    if act.places:
        taxi = st.dom("taxi").info
        for place in act.places:
            if place in taxi.values():  # "between the two places" after "leave the hotel"
                continue
            role = next((r for r in ("departure", "destination") if r not in taxi), "destination")
            taxi[role] = place
    for d, slots in act.requests.items():
        ds = st.dom(d)
        ds.requested.extend(s for s in slots if s not in ds.requested)
    for d, want in act.book.items():
        st.dom(d).wants_book = want
    for d, name in act.chosen.items():
        st.dom(d).chosen = name
    for d, soft in act.soft.items():
        st.dom(d).soft.update(soft)
    for d, names in act.rejected.items():
        _reject(st, d, names)
    for d in act.domains:
        st.dom(d)
        if d in st.order:
            st.order.remove(d)
        st.order.append(d)
    if act.domains:
        st.focus = act.domains[-1]


def _reject(st: DialogueState, d: str, names: list[str]) -> None:
    ds = st.dom(d)
    key = st.onto.schemas[d].entity_key
    for name in names:
        current = st.entity(d) if not name else None
        name = name or (str(current[key]) if current else "")
        if name and name not in ds.rejected:
            ds.rejected.append(name)
        if ds.chosen and ds.chosen.lower() == name.lower():
            ds.chosen = None


#: a user taking what was offered: "That sounds great", "yes please book it", "I'll go with that one"
_ACCEPTS = re.compile(r"\b(sounds?|seems?) (good|great|nice|perfect|fine|lovely|wonderful|terrific|alright|ok|okay|"
                      r"excellent|ideal|like|just|fantastic|interesting|delicious|fun)|\b(that|this|it) (one )?(works|will"
                      r" work|would work|will do|is fine|is perfect|is great)|\bthat's (perfect|great|fine|good)|"
                      r"\b(perfect|great|excellent|wonderful)\b|\bi'll take|\bi will take|\bgo with\b|"
                      r"\b(book|reserve) (it|that|them|this|one|me)\b|^\s*(yes|yeah|sure|ok|okay)\b")


def _offered(st: DialogueState, text: str) -> dict[str, str]:
    """Per venue domain, the first known entity name in an agent reply (what it offers)."""
    venues = [n for n, d in st.known.items() if d in ("restaurant", "hotel", "attraction")]
    masked, names = mask_names(text, venues)
    out: dict[str, str] = {}
    for i in ENT_RE.findall(masked):
        out.setdefault(st.known[names[int(i)]], names[int(i)])
    return out


def _accept(st: DialogueState, act: UserAct, text: str) -> None:
    """Implicit acceptance: a reply to an offer that takes it up (an accepting phrase, a question about
    it, a booking request) without naming, refusing or changing anything chooses the offered entity."""
    low = text.lower()
    for d, name in st.offered.items():
        if d in act.chosen or d in act.rejected or d in act.soft or (act.domains and d not in act.domains):
            continue
        find = st.onto.arg_names(st.onto.api("find", d))
        if any(s in find and s != "people" for s in act.informs.get(d, {})):
            continue
        if act.requests.get(d) or act.book.get(d) or _ACCEPTS.search(low):
            st.dom(d).chosen = name


def _asked(st: DialogueState, text: str) -> list[tuple[str, str]]:
    out = []
    for sentence in re.split(r"(?<=[.?!])\s+", text):
        if "?" not in sentence:
            continue
        low = sentence.lower()
        keyed = keyword_domains(low, st.onto)
        d = keyed[0] if keyed else st.focus
        out += [(d, s) for s, pat in _ASK_RES.items() if d and pat.search(low)]
    return out


def track(observation: dict[str, Any], schemas: Mapping[str, Any] | None = None,
          understanding: Any = None) -> DialogueState:
    """The dialogue state behind an observation (``messages`` and ``tools``), read with the slot schemas
    of the env's vocabulary (``info["vocab"].schemas``) and its value understanding
    (``info["vocab"].understanding``, optional)."""
    st = DialogueState(Ontology.from_tools(observation.get("tools") or "[]", schemas, understanding))
    calls: dict[str, ToolCall] = {}
    for msg in messages_from_observation(observation):
        _step(st, msg, calls)
    return st


def _message(m: Mapping[str, Any]) -> Message:
    """One observation message as a :class:`Message` (what ``messages_from_observation`` does per message)."""
    calls = json.loads(m["tool_calls"]) if m["tool_calls"] else []
    return Message.from_dict({**m, "tool_calls": calls, "tool_call_id": m["tool_call_id"] or None,
                              "name": m["name"] or None})


class Tracker:
    """:func:`track` made incremental: :meth:`advance` feeds the state only the messages added since the
    previous call. It holds while the observation extends the one it last read (same tools, same
    schemas and understanding, the message it read last still in its place); :meth:`follows` says whether
    it does, and a caller starts a new tracker when not (a new episode)."""

    def __init__(self, observation: Mapping[str, Any], schemas: Mapping[str, Any] | None = None,
                 understanding: Any = None):
        self.tools = observation.get("tools") or "[]"
        self.schemas, self.understanding = schemas, understanding
        self.state = DialogueState(Ontology.from_tools(self.tools, schemas, understanding))
        self.calls: dict[str, ToolCall] = {}
        self.seen = 0
        self.last: dict[str, Any] | None = None

    def follows(self, observation: Mapping[str, Any], schemas: Any, understanding: Any) -> bool:
        msgs = observation["messages"]
        return ((observation.get("tools") or "[]") == self.tools and schemas is self.schemas
                and understanding is self.understanding and len(msgs) >= self.seen
                and (self.seen == 0 or dict(msgs[self.seen - 1]) == self.last))

    def advance(self, observation: Mapping[str, Any]) -> DialogueState:
        msgs = observation["messages"]
        for m in msgs[self.seen:]:
            _step(self.state, _message(m), self.calls)
        if len(msgs) > self.seen:
            self.seen, self.last = len(msgs), dict(msgs[-1])
        return self.state


def _step(st: DialogueState, msg: Message, calls: dict[str, ToolCall]) -> None:
    st.last_role = msg.role
    if msg.role == "assistant" and msg.tool_calls:
        for c in msg.tool_calls:
            calls[c.id] = c
    elif msg.role == "tool" and msg.tool_call_id in calls:
        _tool_result(st, calls[msg.tool_call_id], msg.content)
    elif msg.role == "assistant":
        st.asked = _asked(st, msg.content)
        st.asked_before.update(st.asked)
        st.offered = _offered(st, msg.content)
    elif msg.role == "user":
        act = parse_user(msg.content, st.onto, st.focus, st.asked, st.known, st.refs(), st.slot_values(),
                         st.order[::-1])
        _merge(st, act)
        _accept(st, act, msg.content)
        st.last_act = act
        st.events = []
        st.asked = []
