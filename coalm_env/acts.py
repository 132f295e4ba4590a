"""The act-level interface of the task-oriented envs (``interface="acts"``): dialogue acts in, acts out.

The classic dialogue-policy setting (ConvLab-2's loop): no text on either side. The agent receives the
user's dialogue acts plus the results of its tool calls, and answers with system acts plus tool calls.

**An act** is ``[intent, domain, slot, value]`` (MultiWOZ/ConvLab style), e.g.
``["Inform", "restaurant", "food", "italian"]`` or ``["Request", "hotel", "phone", "?"]``. Names are read
case-insensitively; domains and slots are the domain's schema names (``restaurant``, ``leaveAt``,
``trainID``, ``car type``, ``entrance fee``, ...), ConvLab's short slot names are accepted too (``Addr``,
``Post``, ``Ref``, ``Fee``, ``Depart``, ``Dest``, ``Leave``, ``Arrive``, ``Id``, ``Car``; ``Price`` is
``price`` for trains, ``pricerange`` elsewhere). ``slot`` and ``value`` may be left out (``""``).

**System intents** (:data:`SYSTEM_INTENTS`): ``Inform`` (a slot's value; ``name``/``trainID`` offers the
entity), ``Recommend`` and ``Select`` (offer entities), ``Request`` (ask the user for a slot), ``NoOffer``
(nothing matches), ``OfferBook`` (propose a booking; slots give its details), ``Book`` / ``OfferBooked``
(a booking was made: slot ``reference`` carries the reference), ``NoBook`` (the booking failed),
``Reqmore``, ``Welcome``, ``Greet``, ``Bye`` (domain ``general``).

**User intents** (what the observation carries): ``Inform``, ``Book`` (a booking slot), ``Reqalts`` (a changed
constraint), ``Request`` (value ``?``), ``Reqmore``, ``Negate`` (slot ``name``: that entity does not fit;
``reference``: a wrong booking; ``booking``: wrong booking details; ``result``: a disputed no-match),
``Affirm``, ``Thank``, ``Bye`` (slot ``gave_up`` when the user runs out of patience).

**An action** is a dict ``{"acts": [[...], ...], "calls": [{"name": ..., "arguments": {...}}, ...], "end": false}``
(or its JSON text, or an :class:`ActAction`). Calls run first, in order, on the episode's backend (the
domain's ``find_<domain>``/``book_<domain>`` APIs); then, when ``acts`` is not empty, the acts go to the
user, whose acts come back. An action with calls only gets the results back and the agent acts again.
``end: true`` ends the conversation (``agent_ended``) after the acts.

A malformed action (unknown intent, domain or slot, wrong arity, a non-string name, too many acts, too
long a value, too large a structure) is an error observation (``error`` set, counted as a parse error),
never an exception. Caps: :data:`MAX_ACTS` acts per action, :data:`MAX_VALUE_CHARS` characters per act
field, the structured caps of :mod:`coalm_env.limits` for the whole action.

This module imports only the standard library, gymnasium spaces and the project's light modules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env import limits
from coalm_env.types import ToolCall

__all__ = ["SYSTEM_INTENTS", "USER_INTENTS", "MAX_ACTS", "MAX_VALUE_CHARS", "ActAction", "ActVocabulary",
           "parse_act_action", "observation_space", "user_acts"]

#: the ``Act level`` section of the task-oriented envs' manuals (:mod:`coalm_env.manual`)
MANUAL_SECTION = """``gym.make(ID, interface="acts")`` (CLI ``--env-option interface=acts``): dialogue acts on both sides,
no text (ConvLab-2's setting for dialogue-policy RL). Needs the ``agenda`` user.

- Action: ``{"acts": [[intent, domain, slot, value], ...], "calls": [{"name": ..., "arguments": {...}}], "end": false}``
  (dict, JSON text or ``coalm_env.acts.ActAction``). Calls run first; acts go to the user; calls alone return
  their results and the agent acts again; ``end: true`` ends the conversation. System intents: Inform,
  Recommend, Select, Request, NoOffer, OfferBook, OfferBooked, Book (slot ``reference``), NoBook, Reqmore,
  Welcome, Greet, Bye (domain ``general``). Slots: the domain's schema names (ConvLab's short names accepted).
- Observation (``coalm_env.acts.observation_space()``): ``user_acts`` (4-tuples: Inform, Book, Reqalts,
  Request, Reqmore, Negate, Affirm, Thank, Bye), ``tool_results`` (``name``, ``content`` of the last step's
  calls), ``error`` (why the last action was refused: unknown intent/domain/slot, arity, a value too long,
  more than 32 acts; never an exception).
- Reward and metrics: the text level's task metrics read from the acts and calls
  (``coalm_env.domains.tod.act_scoring``): an entity is offered by an act naming its ``name``/``trainID``, a
  requested value given by an act carrying it, bookings read from the calls. MultiWOZ: entity ``inform``/
  ``success``, ``book_rate``, ``book``, ``requests``, ``task_success``; no ``mwz_*``, ``inform_f1`` or ``jga``.
- Policies: ``rule_acts`` (``policies.rule_acts``) and ``oracle`` play it."""

#: acts in one agent action (a ConvLab system turn has at most a dozen)
MAX_ACTS = 32
#: characters of one act field (names, addresses and references are far shorter)
MAX_VALUE_CHARS = limits.MAX_NAME_CHARS
#: acts kept of one user turn in the observation
MAX_USER_ACTS = 64
#: characters of the error text in an observation
MAX_ERROR_CHARS = 2000

SYSTEM_INTENTS = ("Inform", "Recommend", "Select", "Request", "NoOffer", "OfferBook", "OfferBooked", "Book",
                  "NoBook", "Reqmore", "Welcome", "Greet", "Bye")
USER_INTENTS = ("Inform", "Book", "Reqalts", "Request", "Reqmore", "Negate", "Affirm", "Thank", "Bye")
_NEEDS_SLOT = frozenset({"Inform", "Request"})
_GENERAL_ONLY = frozenset({"Welcome", "Greet", "Bye"})
_ANY_DOMAIN = frozenset({"Reqmore"})
_EXTRA_SLOTS = ("reference", "choice", "none")
_SHORT = {"addr": "address", "post": "postcode", "ref": "reference", "fee": "entrance fee", "depart": "departure",
          "dest": "destination", "leave": "leaveAt", "arrive": "arriveBy", "id": "trainID", "car": "car type"}
_SYSTEM = {i.lower(): i for i in SYSTEM_INTENTS}


@dataclass
class ActAction:
    """The structured form of an act-level action: ``acts`` (4-item lists), ``calls``, ``end``."""

    acts: list[list[str]] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    end: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"acts": [list(a) for a in self.acts], "calls": [c.to_dict() for c in self.calls], "end": self.end}


@dataclass
class ParsedActs:
    """What :func:`parse_act_action` read: canonical acts, checked calls, ``end``, or an ``error``."""

    acts: list[list[str]] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    end: bool = False
    error: str | None = None
    oversize: bool = False


class ActVocabulary:
    """The domains and slots acts may name in one env (built from the domain vocabulary's schemas)."""

    def __init__(self, schemas: Mapping[str, Any]):
        self.domains = tuple(schemas)
        self._domain = {d.lower(): d for d in schemas}
        self._domain["general"] = "general"
        self._slots: dict[str, dict[str, str]] = {}
        for d, sch in schemas.items():
            names = dict.fromkeys((*sch.informable, *sch.requestable, *sch.book, *_EXTRA_SLOTS))
            table = {s.lower(): s for s in names}
            for short, full in _SHORT.items():
                if full in names:
                    table.setdefault(short, full)
            table.setdefault("price", "price" if "price" in names else "pricerange")
            self._slots[d] = table

    def domain(self, name: str) -> str | None:
        return self._domain.get(name.strip().lower())

    def slot(self, domain: str, name: str) -> str | None:
        if not name:
            return ""
        return self._slots.get(domain, {}).get(name.strip().lower())

    def slots(self, domain: str) -> list[str]:
        return sorted(set(self._slots.get(domain, {}).values()))


def _field(value: Any, what: str, i: int) -> str:
    if isinstance(value, bool) or value is None:
        raise _ActError(f"act {i}: {what} must be text, got {type(value).__name__}")
    if isinstance(value, (int, float)):
        problem = limits.number_problem(value, f"act {i} {what}")
        if problem:
            raise _ActError(problem)
        value = str(value)
    if not isinstance(value, str):
        raise _ActError(f"act {i}: {what} must be text, got {type(value).__name__}")
    if len(value) > MAX_VALUE_CHARS:
        raise _ActError(f"act {i}: {what} is {len(value)} characters long; at most {MAX_VALUE_CHARS}")
    return value


class _ActError(ValueError):
    pass


def _one_act(raw: Any, i: int, vocab: ActVocabulary) -> list[str]:
    """:func:`_read_act`, kept per vocabulary for acts of 2-4 short plain strings (policies send the same acts
    again and again); an act that is refused is read again each time (its message names its index)."""
    if type(raw) in (list, tuple) and 2 <= len(raw) <= 4 and all(type(x) is str and len(x) <= 200 for x in raw):
        key = tuple(raw)
        memo = vocab.__dict__.setdefault("_act_memo", {})
        hit = memo.get(key)
        if hit is None:
            hit = tuple(_read_act(raw, i, vocab))  # raises for a bad act: nothing kept
            if len(memo) >= 4096:
                memo.clear()
            memo[key] = hit
        return list(hit)
    return _read_act(raw, i, vocab)


def _read_act(raw: Any, i: int, vocab: ActVocabulary) -> list[str]:
    if isinstance(raw, Mapping):  # {"intent": ..., "domain": ..., "slot": ..., "value": ...}
        raw = [raw.get("intent"), raw.get("domain"), raw.get("slot", ""), raw.get("value", "")]
    if not isinstance(raw, (list, tuple)):
        raise _ActError(f"act {i} must be a list [intent, domain, slot, value], got {type(raw).__name__}")
    if not 2 <= len(raw) <= 4:
        raise _ActError(f"act {i} has {len(raw)} items; an act is [intent, domain] + optional slot and value")
    intent_raw, domain_raw = _field(raw[0], "intent", i), _field(raw[1], "domain", i)
    slot_raw = _field(raw[2], "slot", i) if len(raw) > 2 else ""
    value = _field(raw[3], "value", i).strip() if len(raw) > 3 else ""
    intent = _SYSTEM.get(intent_raw.strip().lower())
    if intent is None:
        raise _ActError(f"act {i}: unknown intent {intent_raw[:40]!r}; system intents: {', '.join(SYSTEM_INTENTS)}")
    domain = vocab.domain(domain_raw)
    if domain is None:
        raise _ActError(f"act {i}: unknown domain {domain_raw[:40]!r}; domains: {', '.join(vocab.domains)}, general")
    if domain == "general" and intent not in _GENERAL_ONLY | _ANY_DOMAIN:
        raise _ActError(f"act {i}: {intent} needs a task domain ({', '.join(vocab.domains)}), not general")
    if intent in _GENERAL_ONLY and domain != "general":
        domain = "general"  # ConvLab writes general-bye; a domain given here is harmless
    slot = vocab.slot(domain, slot_raw) if domain != "general" else ("" if not slot_raw else None)
    if slot is None:
        where = f"slots of {domain}: {', '.join(vocab.slots(domain))}" if domain != "general" else "general acts take no slot"
        raise _ActError(f"act {i}: unknown slot {slot_raw[:40]!r} for {domain}; {where}")
    if intent in _NEEDS_SLOT and not slot:
        raise _ActError(f"act {i}: {intent} needs a slot")
    if intent == "Inform" and not value:
        raise _ActError(f"act {i}: Inform {domain} {slot} needs a value")
    if intent == "Request":
        value = "?"
    return [intent, domain, slot, value]


def parse_act_action(action: Any, vocab: ActVocabulary, max_calls: int) -> ParsedActs:
    """Read an act-level action (see the module docstring); never raises."""
    try:
        return _parse(action, vocab, max_calls)
    except _ActError as exc:
        return ParsedActs(error=str(exc))
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        return ParsedActs(error=f"malformed act action: {type(exc).__name__}")


def _parse(action: Any, vocab: ActVocabulary, max_calls: int) -> ParsedActs:
    if isinstance(action, str):
        if len(action) > limits.MAX_ACTION_CHARS:
            return ParsedActs(error=f"the action is {len(action)} characters long; at most {limits.MAX_ACTION_CHARS}",
                              oversize=True)
        try:
            action = json.loads(action)
        except json.JSONDecodeError as exc:
            return ParsedActs(error=f"an act action is JSON {{\"acts\": [...], \"calls\": [...]}}; {exc.msg} at char {exc.pos}")
    if isinstance(action, ActAction):
        action = {"acts": action.acts, "calls": action.calls, "end": action.end}
    elif isinstance(action, (list, tuple)):  # a bare list of acts
        action = {"acts": action}
    if not isinstance(action, Mapping):
        return ParsedActs(error=f"an act action is a dict {{\"acts\": [...], \"calls\": [...]}}, got {type(action).__name__}")
    flat = _flat(action, max_calls)
    if flat is None:  # small flat actions are bounded by construction: no walk needed
        problem = limits.structure_problem(action)
        if problem:
            return ParsedActs(error=problem, oversize=True)
    unknown = sorted(str(k)[:40] for k in action if k not in ("acts", "calls", "end"))
    if unknown:
        return ParsedActs(error=f"unknown keys {unknown}; an act action has 'acts', 'calls' and 'end'")
    raw_acts, raw_calls, end = action.get("acts") or [], action.get("calls") or [], action.get("end", False)
    if not isinstance(raw_acts, (list, tuple)) or not isinstance(raw_calls, (list, tuple)):
        return ParsedActs(error="'acts' and 'calls' must be lists")
    if not isinstance(end, bool):
        return ParsedActs(error=f"'end' must be true or false, got {type(end).__name__}")
    if len(raw_acts) > MAX_ACTS:
        return ParsedActs(error=f"{len(raw_acts)} acts in one action; at most {MAX_ACTS}", oversize=True)
    if len(raw_calls) > max_calls:
        return ParsedActs(error=f"{len(raw_calls)} tool calls in one action; at most {max_calls} are allowed")
    if not raw_acts and not raw_calls and not end:
        return ParsedActs(error="an empty action: send acts, calls or end")
    acts = [_one_act(a, i, vocab) for i, a in enumerate(raw_acts)]
    calls: list[ToolCall] = []
    plain = flat if flat is not None else _plain_calls(raw_calls)
    if plain is not None:
        return ParsedActs(acts=acts, calls=plain, end=end)
    if raw_calls:
        from coalm_env.parsing import parse_action

        parsed = parse_action(list(raw_calls), max_calls=max_calls)
        if parsed.ends or any(c.name == "end_conversation" for c in parsed.calls):
            return ParsedActs(error="end the conversation with \"end\": true at act level, not end_conversation")
        if parsed.error:
            return ParsedActs(error=parsed.error)
        calls = parsed.calls
    return ParsedActs(acts=acts, calls=calls, end=end)


def _short_str(x: Any, limit: int = MAX_VALUE_CHARS) -> bool:
    return type(x) is str and len(x) <= limit


def _flat(action: Mapping, max_calls: int) -> list[ToolCall] | None:
    """Its calls (:func:`_plain_calls`; ``[]`` for none) when ``action`` is a small flat act action: at most
    :data:`MAX_ACTS` acts of at most 4 short strings, at most ``max_calls`` calls ``{"name": str, "arguments":
    {str: short str}}`` (so the structure walk of :func:`coalm_env.limits.structure_problem` can only accept
    it); else ``None``."""
    if len(action) > 3:
        return None
    acts, calls = action.get("acts", ()), action.get("calls", ())
    if type(acts) not in (list, tuple) or type(calls) not in (list, tuple) or len(acts) > MAX_ACTS \
            or len(calls) > max_calls:
        return None
    limit = MAX_VALUE_CHARS
    for act in acts:
        if type(act) not in (list, tuple) or len(act) > 4:
            return None
        for x in act:
            if type(x) is not str or len(x) > limit:
                return None
    return _plain_calls(calls) if calls else []


def _plain_calls(calls: Any) -> list[ToolCall] | None:
    """The calls as :class:`ToolCall` s when every one is ``{"name": short ASCII str, "arguments": {short ASCII str:
    short ASCII str}}`` (what :func:`coalm_env.parsing.parse_action` would make of them: nothing to check or make
    safe), else ``None`` (they go through the parser)."""
    out = []
    for c in calls:
        if type(c) is not dict or not c.keys() <= {"name", "arguments"}:
            return None
        name, args = c.get("name"), c.get("arguments", {})
        if not _short_str(name) or not name.strip() or not name.isascii() or type(args) is not dict \
                or name.strip() == "end_conversation":
            return None
        for k, v in args.items():
            if not (_short_str(k) and _short_str(v) and k.isascii() and v.isascii()):
                return None
        out.append(ToolCall(name=name.strip(), arguments=dict(args)))
    return out


def user_acts(acts: Any) -> tuple[tuple[str, str, str, str], ...]:
    """A user turn's acts in the observation's form: at most :data:`MAX_USER_ACTS` 4-tuples of strings,
    intents title-cased, every field bounded (a user simulator's odd acts are dropped, not raised)."""
    out = []
    for act in (acts if isinstance(acts, (list, tuple)) else ())[:MAX_USER_ACTS]:
        if not isinstance(act, (list, tuple)) or not 2 <= len(act) <= 4:
            continue
        fields = [x if type(x) is str else _text(x) for x in act]  # plain text as it is (what _text gives it)
        fields += [""] * (4 - len(fields))
        intent = fields[0].strip()
        intent = intent[:1].upper() + intent[1:]
        out.append((intent[:64], fields[1][:64], fields[2][:64], fields[3][:MAX_VALUE_CHARS]))
    return tuple(out)


def _text(x: Any) -> str:
    """One act field of a user turn as text (an enum's value; numbers bounded; anything else empty)."""
    if isinstance(x, str):
        return str(getattr(x, "value", x))
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return ""
    if isinstance(x, int) and limits.int_too_long(x):
        return limits.int_placeholder(x)
    return str(x)


def observation_space() -> Any:
    """``user_acts``: the user's last acts (4-tuples of text); ``tool_results``: the results of the last
    step's calls (``name``, ``content`` as the text level shows them, bounded); ``error``: why the last action
    was refused, else empty."""
    from gymnasium import spaces as gspaces

    from coalm_env.spaces import UnicodeText

    act = gspaces.Tuple((UnicodeText(64), UnicodeText(64), UnicodeText(64), UnicodeText(MAX_VALUE_CHARS)))
    result = gspaces.Dict({"name": UnicodeText(limits.MAX_NAME_CHARS),
                           "content": UnicodeText(limits.MAX_STEP_RESULT_CHARS + 1000)})
    return gspaces.Dict({
        "user_acts": gspaces.Sequence(act, stack=False),
        "tool_results": gspaces.Sequence(result, stack=False),
        "error": UnicodeText(MAX_ERROR_CHARS),
    })


#: ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` without building an encoder per call
_ACT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def act_json(acts: Sequence[Sequence[str]]) -> str:
    """Acts as compact JSON text (what the trajectory's messages keep at act level)."""
    acts = acts if type(acts) is list or type(acts) is tuple else list(acts)
    if all(type(a) is tuple or type(a) is list for a in acts):  # the encoder writes tuples as arrays itself
        return _ACT_ENCODER.encode(acts)
    return _ACT_ENCODER.encode([list(a) for a in acts])
