"""The oracle of task-oriented domains: the scenario's gold graph plan, played as calls and replies.

Each call of the gold plan is made with its sourced arguments taken from the results the backend
actually returned (along the graph's edges), then the user is told the outcome: the offer with every
requested attribute, the booking reference, the taxi. The goal's fail-over detours come first where it
has them (a search with ``fail_info`` reported as no match; a booking with ``fail_book`` reported as
failed). Then a summary and goodbye. Step ``k`` of the episode plays line ``k`` of the script.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, NamedTuple

from coalm_env.backend.faults import is_fault
from coalm_env.backend.graph import BackendSession
from coalm_env.backend.plan import get_path
from coalm_env.domains.tod.plan import gold_plan
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.parsing import format_calls
from coalm_env.types import GoldCall, ToolCall, Trajectory

__all__ = ["script", "oracle_action"]

class OpKind(str, enum.Enum):
    CALL = "call"  # make the payload's gold ``step`` (sourced from the ``plan``'s earlier results)
    REPLY = "reply"  # tell the user: the payload's ``kind`` (offer, booked, taxi, no_match, book_failed)


class Op(NamedTuple):
    """One line of the oracle's script."""

    kind: OpKind
    domain: str
    payload: dict[str, Any]


_API_DOMAIN = {api: d for d, sch in SCHEMAS.items() for api in (sch.find_api, sch.book_api) if api}


def script(goal: dict[str, Any], plan: Sequence[GoldCall]) -> list[Op]:
    """The oracle's lines: the gold ``plan`` (the graph plan of the scenario), each call followed by a
    reply to the user, with the goal's fail-over detours inserted (a search with ``fail_info`` before
    the real search, a booking with ``fail_book`` before the real booking)."""
    ops: list[Op] = []
    for step in plan:
        d = _API_DOMAIN.get(step.name, "taxi")
        sub = goal.get(d) or {}
        is_find = step.name == SCHEMAS[d].find_api
        if is_find and sub.get("fail_info"):
            ops += [Op(OpKind.CALL, d, {"step": GoldCall(step.name, dict(sub["fail_info"]))}),
                    Op(OpKind.REPLY, d, {"kind": "no_match", "constraints": dict(sub["fail_info"])})]
        if not is_find and d != "taxi" and sub.get("fail_book"):
            detour = GoldCall(step.name, {**step.arguments, **sub["fail_book"]}, dict(step.sources))
            ops += [Op(OpKind.CALL, d, {"step": detour, "plan": plan}), Op(OpKind.REPLY, d, {"kind": "book_failed"})]
        kind = "offer" if is_find else ("taxi" if d == "taxi" else "booked")
        ops += [Op(OpKind.CALL, d, {"step": step, "plan": plan}), Op(OpKind.REPLY, d, {"kind": kind})]
    return ops


def _last_ok(backend: BackendSession, name: str) -> Any:
    for call, result in reversed(backend.history):
        if call.name == name and result.ok:
            return result.value
    return None


def _entity(backend: BackendSession, domain: str) -> dict[str, Any] | None:
    found = _last_ok(backend, SCHEMAS[domain].find_api)
    return found["results"][0] if found and found.get("results") else None


def _describe(domain: str, entity: dict[str, Any], goal: dict[str, Any]) -> str:
    key = SCHEMAS[domain].entity_key
    wanted = [s for s in goal[domain].get("reqt", []) if s in entity and s != key]
    facts = "; ".join(f"its {s} is {entity[s]}" for s in wanted)
    if domain == "train":
        head = (f"{entity['trainID']} leaves {entity['departure']} at {entity['leaveAt']} on {entity['day']} and "
                f"arrives in {entity['destination']} at {entity['arriveBy']}")
    else:
        attrs = ", ".join(f"{entity[s]}" for s in goal[domain].get("info", {}) if s in entity and s != "name")
        head = f"{entity['name']} ({attrs})" if attrs else entity["name"]
    return f"{head}; {facts}" if facts else head


def _reply(op: Op, goal: dict[str, Any], backend: BackendSession) -> str:
    kind, d = op.payload["kind"], op.domain
    if kind == "no_match":
        wanted = ", ".join(str(v) for v in op.payload["constraints"].values())
        return f"I'm sorry, there is no {d} matching {wanted}. Would you like to change something?"
    if kind == "taxi":
        taxi = _last_ok(backend, "book_taxi") or {}
        return (f"I have booked a taxi from {taxi.get('departure')} to {taxi.get('destination')}: a "
                f"{taxi.get('car type')}, contact number {taxi.get('phone')}, reference {taxi.get('reference')}.")
    entity = _entity(backend, d)
    if entity is None:
        return f"I could not find a {d} for you, sorry."
    text = _describe(d, entity, goal)
    if kind == "offer":
        return f"I found {text}."
    if kind == "book_failed":
        return f"Unfortunately {text} has no availability for that booking. Shall I try another time or day?"
    booking = _last_ok(backend, SCHEMAS[d].book_api) or {}
    return f"Your booking at {text} is confirmed; the reference number is {booking.get('reference')}."


def _summary(goal: dict[str, Any], backend: BackendSession) -> str:
    parts = []
    for d in goal:
        if not isinstance(goal[d], dict) or not goal[d] or d == "taxi":
            continue
        entity = _entity(backend, d)
        if entity is not None:
            parts.append(_describe(d, entity, goal))
        booking = _last_ok(backend, SCHEMAS[d].book_api)
        if booking:
            parts.append(f"{d} reference {booking['reference']}")
    taxi = _last_ok(backend, "book_taxi")
    if taxi:
        parts.append(f"taxi {taxi['car type']}, {taxi['phone']}, reference {taxi['reference']}")
    body = "; ".join(parts)
    return f"To sum up: {body}. Is there anything else I can help with?" if body else "Anything else?"


def _call(op: Op, backend: BackendSession) -> ToolCall:
    """The gold step with each sourced argument read from the latest successful result of its source
    API (the graph edge), as :func:`~coalm_env.backend.plan.resolve_call` does for recorded plans."""
    step: GoldCall = op.payload["step"]
    args = dict(step.arguments)
    for param, (index, path) in step.sources.items():
        found = _last_ok(backend, op.payload["plan"][index].name)
        try:
            args[param] = get_path(found, path) if found is not None else ""
        except (KeyError, IndexError):
            args[param] = ""
    return ToolCall(step.name, args)


def script_line(trajectory: Trajectory, ops: Sequence[Op]) -> int:
    """The script line to play: steps whose calls hit an injected fault do not count (the line is
    played again: the oracle retries), and after a goal change the changed domain's lines are played
    again from its first call (when the script had reached it)."""
    counted = [not any(is_fault(r) for r in s.results) for s in trajectory.steps]
    k = sum(counted)
    changes = trajectory.extra.get("goal_changes") or []
    if not changes:
        return k
    at = sum(counted[: changes[-1]["step"]])
    domain = (changes[-1].get("change") or {}).get("domain")
    first = next((i for i, op in enumerate(ops) if op.kind is OpKind.CALL and op.domain == domain), None)
    return k if first is None or at <= first else first + (k - at)


def oracle_action(goal: dict[str, Any], backend: BackendSession, trajectory: Trajectory,
                  plan: Sequence[GoldCall] | None = None, fmt: str = "hermes") -> str:
    """The gold next action: line ``len(trajectory.steps)`` of :func:`script` (``plan``: the scenario's
    gold plan; by default planned from the backend's graph), then a summary."""
    if plan is None:
        plan = gold_plan(goal, backend.graph)
    ops = script(goal, plan)
    k = script_line(trajectory, ops)
    if k >= len(ops):
        return _summary(goal, backend) if k == len(ops) else "You're welcome. Have a great day, goodbye!"
    op = ops[k]
    if op.kind is OpKind.CALL:
        return format_calls([_call(op, backend)], fmt)
    return _reply(op, goal, backend)
