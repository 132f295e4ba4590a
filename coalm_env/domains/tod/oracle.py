"""The oracle of task-oriented domains: the gold plan played as a script of calls and replies.

For each goal domain in order: search with the ``fail_info`` constraints and report no match (when
the goal has them), search with the final constraints and offer the first result with every requested
attribute, try the ``fail_book`` slot and report the failure, book and give the reference; then the
taxi, whose places come from the searches (the graph's edges); then a summary and goodbye. Step ``k``
of the episode plays line ``k`` of the script, filled with the values the backend actually returned.
"""

from __future__ import annotations

from typing import Any

from coalm_env.backend.graph import BackendSession
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.parsing import format_calls
from coalm_env.types import ToolCall, Trajectory

__all__ = ["script", "oracle_action"]

Op = tuple[str, str, dict[str, Any]]  # (kind, domain, payload)


def script(goal: dict[str, Any]) -> list[Op]:
    """The oracle's lines for ``goal``: ``("call", domain, {"name", "arguments"})`` or ``("reply", domain,
    {"kind"})`` items."""
    ops: list[Op] = []
    for d, sub in goal.items():
        if not isinstance(sub, dict) or not sub or d == "taxi":
            continue
        schema = SCHEMAS[d]
        if sub.get("fail_info"):
            ops += [("call", d, {"name": schema.find_api, "arguments": dict(sub["fail_info"])}),
                    ("reply", d, {"kind": "no_match", "constraints": dict(sub["fail_info"])})]
        ops += [("call", d, {"name": schema.find_api, "arguments": dict(sub["info"])}),
                ("reply", d, {"kind": "offer"})]
        if sub.get("book"):
            if sub.get("fail_book"):
                ops += [("call", d, {"name": schema.book_api, "book": {**sub["book"], **sub["fail_book"]}}),
                        ("reply", d, {"kind": "book_failed"})]
            ops += [("call", d, {"name": schema.book_api, "book": dict(sub["book"])}), ("reply", d, {"kind": "booked"})]
    if goal.get("taxi"):
        ops += [("call", "taxi", {"name": "book_taxi", "arguments": dict(goal["taxi"]["info"])}),
                ("reply", "taxi", {"kind": "taxi"})]
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
    kind, d = op[2]["kind"], op[1]
    if kind == "no_match":
        wanted = ", ".join(str(v) for v in op[2]["constraints"].values())
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
    payload, d = op[2], op[1]
    if "book" in payload:
        key = SCHEMAS[d].entity_key
        entity = _entity(backend, d) or {}
        return ToolCall(payload["name"], {key: entity.get(key, ""), **payload["book"]})
    return ToolCall(payload["name"], dict(payload["arguments"]))


def oracle_action(goal: dict[str, Any], backend: BackendSession, trajectory: Trajectory, fmt: str = "hermes") -> str:
    """The gold next action: line ``len(trajectory.steps)`` of :func:`script`, then a summary."""
    ops = script(goal)
    k = len(trajectory.steps)
    if k >= len(ops):
        return _summary(goal, backend) if k == len(ops) else "You're welcome. Have a great day, goodbye!"
    op = ops[k]
    if op[0] == "call":
        return format_calls([_call(op, backend)], fmt)
    return _reply(op, goal, backend)
