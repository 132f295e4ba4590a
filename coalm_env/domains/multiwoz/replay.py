"""Gold replay: the dataset's system side played as the agent, over this environment's APIs.

For gold turn *k* (the *k*-th user message of the episode) the agent first calls ``update_state`` with the
gold belief-state change of that turn (first alternative of 2.4's ``a|b`` values; ``""`` for removed slots)
and the booking APIs for the bookings the wizard made in that turn (entity from the dataset's ``booked``
record, slots from the gold state, else the goal). Then it replies with the gold system text,
relexicalised: the dataset's booking references (and taxi car and phone), in that turn or any later
one, replaced by what this environment's booking of that turn returned. Paired with a user that plays
``scenario.user_turns``, this is the offline gold-context protocol, and it must give JGA 100%.

With the reply, :func:`gold_replay_delex` gives the dataset's **delexicalised** turn (the turn's 2.1
``span_info`` spans as placeholders, :func:`~coalm_env.domains.multiwoz.mwzeval_def.delexicalise`): mwzeval's
input for the gold responses, which the gold-replay policy hands over as ``extra["delex"]`` so that
``mwz_inform``/``mwz_success`` read the turn as mwzeval does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from coalm_env.domains.multiwoz.dialogues import DST_SLOTS
from coalm_env.domains.multiwoz.values import alternatives, dst_value
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.parsing import format_calls
from coalm_env.text import alnum_key
from coalm_env.types import Message, Scenario, ToolCall

__all__ = ["gold_replay_action", "gold_replay_next", "gold_replay_delex", "turn_calls", "turn_bookings"]

_MOBILE = re.compile(r"(?<!\d)0[\s-]*7(?:[\s-]*\d){9}(?!\d)")
_BOOK_SLOTS = {"restaurant": ("people", "day", "time"), "hotel": ("people", "day", "stay"), "train": ("people",)}


def _first(value: str) -> str:
    options = alternatives(value)
    return options[0] if options else value


def _state_updates(before: Mapping[str, Mapping[str, str]], after: Mapping[str, Mapping[str, str]]) -> list[ToolCall]:
    calls = []
    for domain in DST_SLOTS:
        old, new = before.get(domain, {}), after.get(domain, {})
        changes = {s: _first(v) for s, v in new.items() if old.get(s) != v}
        changes.update({s: "" for s in old if s not in new})
        if changes:
            calls.append(ToolCall("update_state", {"domain": domain, "slot_values": changes}))
    return calls


def _unavailable(scenario: Scenario, domain: str, args: Mapping[str, str]) -> bool:
    """Whether the env would refuse this booking (it matches one of the scenario's ``unavailable`` slots)."""
    for entry in (scenario.initial_state.get("unavailable") or {}).get(domain, ()):
        if all(dst_value(s, args.get(s, "")) == dst_value(s, v) for s, v in entry.items()):
            return True
    return False


def _booking(domain: str, entry: Mapping[str, str], state: Mapping[str, Mapping[str, str]],
             goal: Mapping[str, Any], scenario: Scenario | None = None) -> ToolCall | None:
    slots = state.get(domain, {})
    if domain == "taxi":  # the wizard's booking turn often precedes the state's last taxi slot: fill from the goal
        want = (goal.get("taxi") or {}).get("info", {})
        slots = {**want, **slots}
        args = {p: dst_value(p, _first(slots[p])) for p in ("departure", "destination", "leaveAt", "arriveBy")
                if slots.get(p)}
        args = {p: v for p, v in args.items() if p not in ("leaveAt", "arriveBy") or re.fullmatch(r"\d\d:\d\d", v)}
        if args.get("departure") and args.get("departure") == args.get("destination"):
            # a stale state (MUL1066: both places 'all saints church'): the wizard booked the goal's ride
            for p in ("departure", "destination"):
                if want.get(p) and dst_value(p, want[p]) != args[p]:
                    args[p] = dst_value(p, want[p])
        ok = "departure" in args and "destination" in args and ("leaveAt" in args or "arriveBy" in args)
        ok = ok and args["departure"] != args["destination"]
        return ToolCall("book_taxi", args) if ok else None
    key = SCHEMAS[domain].entity_key
    entity = entry.get(key) or slots.get(key)
    if not entity or domain not in _BOOK_SLOTS:
        return None
    wanted = (goal.get(domain) or {}).get("book") or {}
    options: list[dict[str, str]] = []
    for slot in _BOOK_SLOTS[domain]:
        value = slots.get(slot) or wanted.get(slot)
        if not value:
            return None
        options.append({"first": dst_value(slot, _first(value)), "all": [dst_value(slot, v) for v in alternatives(value)],
                        "goal": dst_value(slot, wanted[slot]) if wanted.get(slot) else ""})
    first = {key: entity, **{s: o["first"] for s, o in zip(_BOOK_SLOTS[domain], options)}}
    if scenario is None or not _unavailable(scenario, domain, first):
        return ToolCall(SCHEMAS[domain].book_api, first)
    # the dataset says the wizard's booking went through, the env would refuse it: MUL1560 ('21:00>20:00',
    # the wizard booked the second choice), MUL0373 (the wizard booked the goal's fail_book): take another
    # acceptable value, else the goal's final booking values
    for pick in ("all", "goal"):
        for i, (slot, o) in enumerate(zip(_BOOK_SLOTS[domain], options)):
            for value in (o["all"] if pick == "all" else [o["goal"]]):
                trial = {**first, slot: value}
                if value and not _unavailable(scenario, domain, trial):
                    return ToolCall(SCHEMAS[domain].book_api, trial)
    goal_args = {key: entity, **{s: o["goal"] or o["first"] for s, o in zip(_BOOK_SLOTS[domain], options)}}
    return ToolCall(SCHEMAS[domain].book_api, goal_args)


#: a booking reference as the wizards write it: 8 capitals and digits ("BTMSNGCD", "RAQ4F5LX")
_CODE = re.compile(r"\b(?=[A-Z0-9]{8}\b)(?=[0-9]*[A-Z])[A-Z0-9]{8}\b")


def turn_bookings(scenario: Scenario, k: int) -> dict[str, list[dict[str, str]]]:
    """The wizard's bookings of gold turn ``k``: the dataset's new ``booked`` records, plus a rebooking the
    record misses (PMUL4343: "Yes, I already changed it for you. Your new reference number is BTMSNGCD"
    after the user moved the time): a reference code in the turn's text that no record has, in a turn
    where the booking slots of a domain booked before have changed since that booking."""
    books = scenario.meta["gold_bookings"]
    out = {d: list(v) for d, v in (books[k] if k < len(books) else {}).items()}
    text = scenario.meta["system_turns"][k] if k < len(scenario.meta["system_turns"]) else ""
    known = {alnum_key(str(e.get("reference", ""))) for turn in books for es in turn.values() for e in es}
    codes = [c for c in _CODE.findall(text) if alnum_key(c) not in known and not re.fullmatch(r"(?i)tr\d+", c)]
    if not codes or out:
        return out
    states = scenario.meta["gold_states"]
    for domain in _BOOK_SLOTS:
        last = max((j for j in range(k) if domain in books[j]), default=None)
        if last is None:
            continue
        now, then = states[k].get(domain, {}), states[last].get(domain, {})
        if any(now.get(s) != then.get(s) for s in _BOOK_SLOTS[domain]):
            entry = dict(books[last][domain][-1])
            out[domain] = [{**entry, "reference": codes[0]}]
            break
    return out


def turn_calls(scenario: Scenario, k: int) -> list[ToolCall]:
    """The calls of gold turn ``k``: state updates, then the turn's bookings."""
    states = scenario.meta["gold_states"]
    calls = _state_updates(states[k - 1] if k > 0 else {}, states[k])
    for domain, entries in turn_bookings(scenario, k).items():
        for entry in entries:
            call = _booking(domain, entry, states[k], scenario.goal, scenario)
            if call is not None:
                calls.append(call)
    return calls


def _results(messages: Sequence[Message]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for m in messages:
        if m.role == "tool" and (m.name or "").startswith("book_"):
            try:
                value = json.loads(m.content)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and "error" not in value:
                out.append((m.name.removeprefix("book_"), value))
    return out


def _substitutions(scenario: Scenario, messages: Sequence[Message]) -> list[tuple[str, str]]:
    """``(gold value, our value)`` pairs: each booking this episode made in gold turn *j*, paired in order
    with the wizard's bookings of turn *j* (references; for taxis also phone and car)."""
    users = [i for i, m in enumerate(messages) if m.role == "user"] + [len(messages)]
    pairs = []
    for j in range(len(users) - 1):
        gold = turn_bookings(scenario, j) if j < len(scenario.meta["gold_bookings"]) else {}
        used: dict[str, int] = {}
        for domain, value in _results(messages[users[j] + 1:users[j + 1]]):
            i = used[domain] = used.get(domain, -1) + 1
            entries = list(gold.get(domain, ()))
            if i >= len(entries):
                continue
            keys = [("reference", "reference")] + ([("phone", "phone"), ("type", "car type")] if domain == "taxi" else [])
            pairs += [(str(entries[i][g]), str(value[o])) for g, o in keys if entries[i].get(g) and value.get(o)]
    return pairs


#: characters the wizards typed for one another in codes (PMUL4343: record WOQ1OJ3G, text WOQ10J3G)
_LOOKALIKE = {"0": "0o", "o": "0o", "1": "1il", "i": "1il", "l": "1il"}


def _pattern(old: str) -> re.Pattern[str]:
    """``old`` as it may be written: a phone with spaces or hyphens between its digits ("076 - 2009 -
    8271"), a code with look-alike characters."""
    if old.isdigit():
        return re.compile(r"(?<!\d)" + r"[\s-]*".join(old) + r"(?!\d)")
    parts = [f"[{re.escape(_LOOKALIKE[c])}]" if c in _LOOKALIKE else re.escape(c) for c in old.lower()]
    return re.compile(r"(?<![A-Za-z0-9])" + "".join(parts) + r"(?![A-Za-z0-9])", re.IGNORECASE)


def _replace(text: str, old: str, new: str) -> str:
    if not old:
        return text
    return _pattern(old).sub(lambda m: new, text)


def gold_replay_action(scenario: Scenario, messages: Sequence[Message], fmt: str = "hermes") -> str:
    """The gold agent's next action given the conversation so far (calls first, then the reply), as
    text: :func:`gold_replay_next` with its calls written in ``fmt``."""
    action = gold_replay_next(scenario, messages)
    return format_calls(action, fmt) if isinstance(action, list) else action


def gold_replay_next(scenario: Scenario, messages: Sequence[Message]) -> list[ToolCall] | str:
    """The gold agent's next action given the conversation so far: the turn's calls (a non-empty list)
    when it has made none since the user's last message, else the relexicalised gold reply."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    k = len(users) - 1
    system = scenario.meta["system_turns"]
    if k < 0 or k >= len(system):
        return "Thank you, goodbye."
    since = messages[users[-1] + 1:]
    if not any(m.role == "assistant" and m.tool_calls for m in since):
        calls = turn_calls(scenario, k)
        if calls:
            return calls
    text = system[k]
    pairs = _substitutions(scenario, messages)
    for old, new in pairs:
        text = _replace(text, old, new)
    taxi = [v for d, v in _results(messages) if d == "taxi" and v.get("phone")]
    if taxi:  # the dataset sometimes gives another taxi number than its booking record: it is still a taxi's
        ours = {new for _old, new in pairs}
        text = _MOBILE.sub(lambda m: m.group(0) if re.sub(r"\D", "", m.group(0)) in ours else taxi[-1]["phone"], text)
    return text


def gold_replay_delex(scenario: Scenario, messages: Sequence[Message]) -> str | None:
    """The delexicalised form of the gold agent's next reply (the dataset's system turn with its
    ``span_info`` spans as slot placeholders, as mwzeval's gold input is written), or ``None`` when the next
    gold action is a list of calls or the dialogue has no such turn."""
    from coalm_env.domains.multiwoz.mwzeval_def import delexicalise

    users = [i for i, m in enumerate(messages) if m.role == "user"]
    k = len(users) - 1
    system = scenario.meta.get("system_turns") or []
    if k < 0 or k >= len(system) or not isinstance(gold_replay_next(scenario, messages), str):
        return None
    spans = scenario.meta.get("system_spans") or []
    return delexicalise(system[k], spans[k] if k < len(spans) else [])
