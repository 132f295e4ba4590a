"""MultiWOZ's API graph: the task-oriented find/book APIs over the real databases, plus ``update_state``.

The find/book APIs are :func:`coalm_env.domains.tod.apis.build_api_graph`'s, with two MultiWOZ touches:
searches match with :meth:`MultiWOZDatabase.query` (canonical values, name variants, ``?`` = unknown);
names (searches, bookings, taxi places) resolve through the episode's
:class:`~coalm_env.domains.multiwoz.vocab.MultiWOZVocabulary` (``TodState.vocab``).
``update_state(domain, slot_values)`` is the CoALM DST-as-API call: the agent reports the user's
constraints, and the tracked state is written into the episode state (table ``dialogue_state``), where
the JGA scorer reads it. A value ``""`` (or ``null``) removes a slot.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from coalm_env.backend.graph import ApiGraph, ApiSpec
from coalm_env.domains.multiwoz.database import DOMAINS, MultiWOZDatabase
from coalm_env.domains.multiwoz.dialogues import DST_SLOTS
from coalm_env.domains.tod import apis as tod_apis
from coalm_env.domains.tod.apis import TodState
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.errors import ApiError

__all__ = ["build_graph", "STATE_TABLE", "UPDATE_STATE", "tracked_state"]

STATE_TABLE = "dialogue_state"
UPDATE_STATE = "update_state"

_UPDATE_PARAMS = {
    "type": "object",
    "properties": {
        "domain": {"type": "string", "enum": list(DST_SLOTS), "description": "the domain the user talks about"},
        "slot_values": {
            "type": "object",
            "description": "slot -> value the user asked for (\"dontcare\" if any value is fine; \"\" to remove "
                           "a slot). Slots: " + "; ".join(f"{d}: {', '.join(s)}" for d, s in DST_SLOTS.items()),
            "additionalProperties": {"type": ["string", "null"]},
        },
    },
    "required": ["domain", "slot_values"],
    "additionalProperties": False,
}


def _update_state(state: TodState, domain: str, slot_values: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(slot_values) - set(DST_SLOTS[domain]))
    if unknown:
        raise ApiError("invalid_arguments", f"update_state: {domain} has no slot {unknown[0]!r}; its slots are "
                       f"{', '.join(DST_SLOTS[domain])}", slots=list(DST_SLOTS[domain]))
    current = dict(state.view.get(STATE_TABLE, domain) or {})
    for slot, value in slot_values.items():
        if value is None or str(value).strip() == "":
            current.pop(slot, None)
        else:
            current[slot] = str(value).strip()
    state.view.put(STATE_TABLE, domain, current)
    return {"domain": domain, "state": current}


def tracked_state(state: TodState) -> dict[str, dict[str, str]]:
    """The dialogue state the agent reported so far (``{domain: {slot: value}}``)."""
    return {d: dict(rec) for d, rec in state.view.scan(STATE_TABLE) if rec}


def _find(database: MultiWOZDatabase, domain: str):
    def handler(state: TodState, **constraints: Any) -> dict[str, Any]:
        key = SCHEMAS[domain].entity_key
        if key in constraints and domain != "hospital":
            constraints[key] = state.vocab.resolve_name(domain, constraints[key]) or constraints[key]
        count, head = database.query_head(state.view, domain, constraints, tod_apis.MAX_RESULTS)
        return {"count": count, "results": [tod_apis.public(h) for h in head]}

    return handler


def build_graph(database: MultiWOZDatabase, lexicon=None, domains=DOMAINS) -> ApiGraph:
    """The find/book APIs of ``domains`` with their edges, and ``update_state``; ``lexicon`` gives the
    values the find APIs accept (default: the database's)."""
    graph = tod_apis.build_api_graph(domains, lexicon if lexicon is not None else database.lexicon)
    for name in graph.names:
        spec = graph.spec(name)
        domain = spec.tags[0] if spec.tags else ""
        if name == SCHEMAS.get(domain, SCHEMAS["taxi"]).find_api:
            graph.graph.nodes[name]["spec"] = replace(spec, handler=_find(database, domain))
    graph.add(ApiSpec(UPDATE_STATE, "Record the dialogue state: the constraints and booking details the user has "
                      "given for one domain (call it after each user turn that changes them).", _UPDATE_PARAMS,
                      _update_state, returns={"state": "the domain's tracked slots"}, writes=True, tags=("dst",)))
    return graph
