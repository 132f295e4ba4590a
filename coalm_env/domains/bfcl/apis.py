"""The BFCL backend functions as an :class:`~coalm_env.backend.graph.ApiGraph`.

Nodes: every function of the eight official backend classes, with its parameters converted from
BFCL's doc dialect to JSON schema (``dict`` -> ``object``, ``float`` -> ``number``, unknown keys
rejected). Each handler dispatches to the bound public method of the episode's backend instance,
looked up by the doc's own function name (never by text from the agent).

Edges, derived from the docs alone: function A feeds function B's parameter ``p`` when A's
``response`` schema has a field named exactly ``p`` (at the top level, inside an object, or in the
items of an array: ``results[].message``) whose JSON type matches ``p``'s (integer and number
count as one numeric type), and A and B are different functions. E.g. ``get_symbol_by_name``'s
``symbol`` feeds ``get_stock_info``'s and ``place_order``'s ``symbol``; ``book_flight``'s
``booking_id`` feeds ``cancel_booking``'s. The rule over-approximates: generic names such as
``status`` also link functions between which no data flows.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterable, Iterator
from typing import Any

from coalm_env.backend.graph import ApiGraph, ApiSpec, Dependency
from coalm_env.domains.bfcl.calls import result_text
from coalm_env.domains.bfcl.entries import load_func_docs
from coalm_env.errors import ApiError
from coalm_env.types import json_safe

__all__ = ["to_json_schema", "api_specs", "doc_dependencies", "full_graph", "functions_of", "graph_for", "owner_of"]

_TYPES = {"dict": "object", "float": "number", "tuple": "array", "list": "array"}
_KEEP = ("description", "enum", "default")
_LIMIT = 10_000
# Schema amendments, per class and parameter name:
# - where a doc's type contradicts the official data, the data wins: entry *_173 (every category) keys
#   its tickets by strings ("ticket_001") and its ground truth calls close_ticket(ticket_id='ticket_001'),
#   while the doc says integer; BFCL's harness checks no types, so both must pass here;
# - bounds that keep one call from running for minutes (10**9 ** 10**9, a billion-digit precision);
#   the ground truth stays far inside them (precision <= 10, small exponents).
_SCHEMA_FIXES = {
    "TicketAPI": {"ticket_id": {"type": ["integer", "string"]}},
    "MathAPI": {
        "exponent": {"minimum": -_LIMIT, "maximum": _LIMIT},
        "precision": {"minimum": 0, "maximum": _LIMIT},
    },
}


def to_json_schema(schema: dict[str, Any], top: bool = True) -> dict[str, Any]:
    """A BFCL parameter schema as JSON schema (the top level rejects unknown arguments)."""
    out: dict[str, Any] = {k: schema[k] for k in _KEEP if k in schema}
    kind = schema.get("type")
    if isinstance(kind, str) and kind != "any":
        out["type"] = _TYPES.get(kind, kind)
    if "properties" in schema:
        out["properties"] = {k: to_json_schema(v, top=False) for k, v in schema["properties"].items()}
    if "items" in schema and isinstance(schema["items"], dict):
        out["items"] = to_json_schema(schema["items"], top=False)
    if schema.get("required"):
        out["required"] = list(schema["required"])
    if top:
        out.setdefault("type", "object")
        out.setdefault("properties", {})
        out["additionalProperties"] = False
    return out


# -- per-call limits (issue 16): the official backends run any call to completion; a few calls can be
# made to run for minutes or fill memory. Each guard sees the instance and the arguments before the
# call and refuses it (error ``limit_exceeded``) when it would cross a bound; the ground truth stays
# far inside every bound (verdict parity: tests/test_bfcl_checker.py). The bfcl package is unchanged.
MAX_RESULT_BITS = 100_000  # MathAPI.power: about 30,000 digits
MAX_DECIMAL_PLACES = 10_000  # MathAPI.round_number: round(1, -10**7) builds a ten-million-digit integer
MAX_FS_ENTRIES = 10_000  # GorillaFileSystem: paths in the tree (cp of a directory shares its contents:
MAX_FS_CHARS = 20_000_000  # nested copies grow the paths du/find walk exponentially), characters of files


def _power(instance: Any, arguments: dict[str, Any]) -> str | None:
    base, exponent = arguments.get("base"), arguments.get("exponent")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (base, exponent))
    if numbers and abs(base) > 1 and exponent > 0 and exponent * math.log2(abs(base)) > MAX_RESULT_BITS:
        return f"power: the result would have more than {MAX_RESULT_BITS} bits"
    return None


def _round_number(instance: Any, arguments: dict[str, Any]) -> str | None:
    places = arguments.get("decimal_places", 0)
    if isinstance(places, (int, float)) and abs(places) > MAX_DECIMAL_PLACES:
        return f"round_number: decimal_places must be within +-{MAX_DECIMAL_PLACES}"
    return None


def _footprint(item: Any, memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(paths, characters) under a file-system item, counting each path a shared directory appears at;
    memoised by identity, so the cost is the number of distinct directories, not of paths."""
    contents = getattr(item, "contents", None)
    if not isinstance(contents, dict):
        content = getattr(item, "content", "")
        return 1, len(content) if isinstance(content, str) else 0
    key = id(item)
    if key not in memo:
        memo[key] = (1, 0)  # a cycle counts once
        paths, chars = 1, 0
        for child in list(contents.values()):
            p, c = _footprint(child, memo)
            paths, chars = paths + p, chars + c
        memo[key] = (paths, chars)
    return memo[key]


def _fs_full(instance: Any, extra: tuple[int, int] = (0, 0)) -> str | None:
    root = getattr(instance, "root", None)
    if root is None:
        return None
    try:
        paths, chars = _footprint(root, {})
    except RecursionError:
        return "the file system is nested too deeply"
    if paths + extra[0] > MAX_FS_ENTRIES or chars + extra[1] > MAX_FS_CHARS:
        return (f"no space left on the device: the file system holds at most {MAX_FS_ENTRIES} entries and "
                f"{MAX_FS_CHARS} characters")
    return None


def _cp(instance: Any, arguments: dict[str, Any]) -> str | None:
    current = getattr(instance, "_current_dir", None)
    item = getattr(current, "contents", {}).get(arguments.get("source")) if current is not None else None
    return _fs_full(instance, _footprint(item, {})) if item is not None else None


def _echo(instance: Any, arguments: dict[str, Any]) -> str | None:
    content = arguments.get("content")
    if arguments.get("file_name") is None or not isinstance(content, str):
        return None
    return _fs_full(instance, (1, len(content)))


def _walk(instance: Any, arguments: dict[str, Any]) -> str | None:
    return _fs_full(instance)


#: ``{(class, function): guard(instance, arguments) -> refusal message or None}``
GUARDS = {
    ("MathAPI", "power"): _power,
    ("MathAPI", "round_number"): _round_number,
    ("GorillaFileSystem", "cp"): _cp,
    ("GorillaFileSystem", "echo"): _echo,
    ("GorillaFileSystem", "du"): _walk,
    ("GorillaFileSystem", "find"): _walk,
}


def _dispatch(cls: str, method: str, state: Any, **arguments: Any) -> Any:
    guard = GUARDS.get((cls, method))
    if guard is not None:
        refusal = guard(state.instances[cls], arguments)
        if refusal:
            raise ApiError("limit_exceeded", refusal)
    bound = getattr(state.instances[cls], method)
    try:  # BFCL evaluates fresh literals per call; backends keep references to list/dict arguments
        value = bound(**copy.deepcopy(arguments))
        text = result_text(value)
        shown = json_safe(value) if state.shown else None  # detached: backends return live state
    except Exception as exc:  # the official harness returns any exception to the model as text
        raise ApiError("execution_error", str(exc), exception=type(exc).__name__) from None
    state.outputs.append(text)
    return shown


def _parameters(cls: str, doc: dict[str, Any]) -> dict[str, Any]:
    schema = to_json_schema(doc.get("parameters") or {})
    for param, fix in _SCHEMA_FIXES.get(cls, {}).items():
        if param in schema["properties"]:
            schema["properties"][param].update(fix)
    return schema


#: the functions of each backend class that change its state (files, the working directory, logins,
#: messages, posts, tickets, orders, bookings, the car); the others only read. A function of a class
#: missing here (a newer BFCL release) counts as writing: replays then keep its order.
WRITES: dict[str, frozenset[str]] = {
    "GorillaFileSystem": frozenset({"cd", "cp", "echo", "mkdir", "mv", "rm", "rmdir", "touch"}),
    "MathAPI": frozenset(),
    "MessageAPI": frozenset({"add_contact", "delete_message", "message_login", "send_message"}),
    "TwitterAPI": frozenset({"authenticate_twitter", "comment", "follow_user", "mention", "post_tweet", "retweet",
                             "unfollow_user"}),
    "TicketAPI": frozenset({"close_ticket", "create_ticket", "edit_ticket", "logout", "resolve_ticket",
                            "ticket_login"}),
    "TradingBot": frozenset({"add_to_watchlist", "cancel_order", "fund_account", "make_transaction", "place_order",
                             "remove_stock_from_watchlist", "trading_login", "trading_logout", "update_market_status",
                             "update_stock_price"}),
    "TravelAPI": frozenset({"authenticate_travel", "book_flight", "cancel_booking", "purchase_insurance",
                            "register_credit_card", "set_budget_limit"}),
    "VehicleControlAPI": frozenset({"activateParkingBrake", "adjustClimateControl", "fillFuelTank", "lockDoors",
                                    "pressBrakePedal", "releaseBrakePedal", "setCruiseControl", "setHeadlights",
                                    "set_navigation", "startEngine"}),
}


def writes(cls: str, name: str) -> bool:
    """Whether ``cls.name`` changes the backend's state (see :data:`WRITES`)."""
    return name in WRITES[cls] if cls in WRITES else True


def api_specs(cls: str) -> list[ApiSpec]:
    """The nodes of one backend class: one :class:`ApiSpec` per documented function."""
    return [
        ApiSpec(
            name=doc["name"],
            description=doc.get("description", ""),
            parameters=_parameters(cls, doc),
            handler=functools.partial(_dispatch, cls, doc["name"]),
            returns=to_json_schema(doc.get("response") or {}, top=False),
            writes=writes(cls, doc["name"]),
            tags=(cls,),
        )
        for doc in load_func_docs()[cls]
    ]


def _fields(schema: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str, str | None]]:
    """``(path, leaf name, JSON type)`` of every named response field."""
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        yield path, name, sub.get("type")
        if sub.get("type") == "array" and isinstance(sub.get("items"), dict):
            yield from _fields(sub["items"], f"{path}[].")
        elif sub.get("type") == "object":
            yield from _fields(sub, f"{path}.")


def _type_set(kind: Any) -> set[str]:
    kinds = set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()
    return {"number" if k == "integer" else k for k in kinds}


def _same_type(a: Any, b: Any) -> bool:
    return bool(_type_set(a) & _type_set(b))


def doc_dependencies(specs: list[ApiSpec]) -> list[Dependency]:
    """The edges of the module docstring's rule, over ``specs``."""
    params = {s.name: s.parameters.get("properties", {}) for s in specs}
    deps = []
    for source in specs:
        for path, leaf, kind in _fields(source.returns):
            for target, props in params.items():
                if target != source.name and leaf in props and _same_type(kind, props[leaf].get("type")):
                    deps.append(Dependency(source.name, path, target, leaf))
    return deps


@functools.cache
def full_graph() -> ApiGraph:
    """Every function of the eight classes and the doc-derived edges."""
    specs = [s for cls in load_func_docs() for s in api_specs(cls)]
    return ApiGraph(specs, doc_dependencies(specs))


def functions_of(classes: Iterable[str]) -> list[str]:
    """The functions of ``classes``, in doc order."""
    return list(_functions_of(frozenset(classes)))


@functools.cache
def _functions_of(wanted: frozenset[str]) -> tuple[str, ...]:  # every session asks (256 class sets at most)
    full = full_graph()
    return tuple(n for n in full.names if full.spec(n).tags[0] in wanted)


@functools.cache
def graph_for(classes: frozenset[str]) -> ApiGraph:
    """The subgraph of the functions of ``classes`` (the involved classes of an entry)."""
    return full_graph().subgraph(functions_of(classes))


def owner_of(name: str) -> str | None:
    """The backend class a function belongs to (``None`` for an unknown name)."""
    full = full_graph()
    return full.spec(name).tags[0] if name in full else None
