"""The task-oriented oracle at act level (``interface="acts"``): the text oracle's script, said in system acts.

Line ``k`` of :func:`coalm_env.domains.tod.oracle.script` is played at step ``k`` as at the text level: a gold call
(its sourced arguments read from the results the backend returned) as ``{"calls": [...]}``; a reply as acts:
``NoOffer`` with the ``fail_info`` constraints, ``Inform`` of the offered entity's key and of the goal's requested
slots, ``NoBook`` for the ``fail_book`` detour, ``Book`` with the ``reference`` (a taxi's ``car type`` and ``phone``
too); after the script, the entities and references once more, then ``Bye``.
"""

from __future__ import annotations

from typing import Any

from coalm_env.domains.tod.oracle import OpKind, _call, _entity, _last_ok, script, script_line
from coalm_env.domains.tod.schema import SCHEMAS

__all__ = ["oracle_act_action"]


def oracle_act_action(scenario: Any, backend: Any, trajectory: Any, domain: Any = None) -> dict[str, Any]:
    """The gold next act-level action (a dict of :mod:`coalm_env.acts`)."""
    goal = scenario.goal
    ops = script(goal, scenario.gold.calls)
    k = script_line(trajectory, ops)
    if k > len(ops):
        return {"acts": [["Bye", "general", "", ""]]}
    if k == len(ops):
        return {"acts": _summary(goal, backend) or [["Reqmore", "general", "", ""]]}
    op = ops[k]
    if op.kind is OpKind.CALL:
        call = _call(op, backend)
        return {"calls": [{"name": call.name, "arguments": dict(call.arguments)}]}
    return {"acts": _reply(op.payload["kind"], op.domain, op.payload, goal, backend)}


def _informs(d: str, entity: dict[str, Any], goal: dict[str, Any]) -> list[list[str]]:
    key = SCHEMAS[d].entity_key
    wanted = [s for s in (goal.get(d) or {}).get("reqt", []) if s in entity and s != key and entity[s] not in ("", None)]
    return [["Inform", d, key, str(entity[key])]] + [["Inform", d, s, str(entity[s])] for s in wanted]


def _reply(kind: str, d: str, payload: dict[str, Any], goal: dict[str, Any], backend: Any) -> list[list[str]]:
    if kind == "no_match":
        return [["NoOffer", d, s, str(v)] for s, v in payload["constraints"].items()] or [["NoOffer", d, "", ""]]
    if kind == "taxi":
        taxi = _last_ok(backend, "book_taxi") or {}
        return [["Book", "taxi", "reference", str(taxi.get("reference", ""))]] + [
            ["Inform", "taxi", s, str(taxi[s])] for s in ("car type", "phone") if taxi.get(s)]
    entity = _entity(backend, d)
    if entity is None:
        return [["NoOffer", d, "", ""]]
    if kind == "offer":
        return _informs(d, entity, goal)
    if kind == "book_failed":
        return [["NoBook", d, "", ""], ["Inform", d, SCHEMAS[d].entity_key, str(entity[SCHEMAS[d].entity_key])]]
    booking = _last_ok(backend, SCHEMAS[d].book_api) or {}
    return [["Book", d, "reference", str(booking.get("reference", ""))]] + _informs(d, entity, goal)


def _summary(goal: dict[str, Any], backend: Any) -> list[list[str]]:
    acts: list[list[str]] = []
    for d, sub in goal.items():
        if not isinstance(sub, dict) or not sub or d not in SCHEMAS or d == "taxi":
            continue
        entity = _entity(backend, d) if SCHEMAS[d].find_api else None
        if entity is not None:
            acts += _informs(d, entity, goal)
        booking = _last_ok(backend, SCHEMAS[d].book_api) if SCHEMAS[d].book_api else None
        if booking:
            acts.append(["Book", d, "reference", str(booking["reference"])])
    taxi = _last_ok(backend, "book_taxi")
    if taxi:
        acts += _reply("taxi", "taxi", {}, goal, backend)
    return acts[:32]
