"""Mock API backends modeled as a graph.

Nodes are APIs (:class:`ApiSpec`: name, description, JSON-schema parameters and returns, handler,
whether it writes state). Edges are data dependencies: an output field of one API feeds a
parameter of another (``find_hotel`` ``results[].name`` -> ``book_hotel`` ``name``). The graph
drives scenario generation, oracle plans, dense credit and diagnostics; a :class:`BackendSession`
executes calls for one episode against that episode's state.
"""

from __future__ import annotations

import difflib
import json
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from coalm_env.errors import ApiError, BackendError
from coalm_env.types import ToolCall, ToolResult

__all__ = ["ApiSpec", "Dependency", "ApiGraph", "BackendSession"]


@dataclass
class ApiSpec:
    """One API. ``handler(state, **arguments)`` returns a JSON-able value or raises
    :class:`~coalm_env.errors.ApiError` for expected failures."""

    name: str
    description: str
    parameters: dict[str, Any]
    handler: Callable[..., Any]
    returns: dict[str, Any] = field(default_factory=dict)
    writes: bool = False
    tags: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        """The OpenAI / chat-template tool schema."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def signature(self) -> str:
        """CoALM-IT style: ``FindBus(from_location, to_location, leaving_date)``."""
        props = self.parameters.get("properties", {})
        return f"{self.name}({', '.join(props)})"


@dataclass(frozen=True)
class Dependency:
    """``source`` output ``field`` (a dotted path, ``[]`` marks list items) feeds ``target`` ``param``."""

    source: str
    field: str
    target: str
    param: str


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(error: ValidationError, api: str) -> str:
    where = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required":
        return f"{api}: missing required argument {error.message.split(chr(39))[1]!r}"
    if error.validator == "additionalProperties":
        return f"{api}: {error.message}"
    if error.validator == "enum":
        return f"{api}: argument {where!r} must be one of {error.validator_value}, got {_short(error.instance)}"
    if error.validator == "type":
        got = type(error.instance).__name__
        return f"{api}: argument {where!r} must be of type {error.validator_value}, got {got} {_short(error.instance)}"
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"{api}: argument {where!r}: {message}" if where else f"{api}: {message}"


#: keywords whose meaning is the same in draft 7 (what fastjsonschema compiles) and draft 2020-12 (what
#: jsonschema checks here) for text values; a schema using any other keyword gets no compiled check
_FAST_KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
    "minProperties", "maxProperties", "anyOf", "oneOf", "allOf", "not", "format",
    "description", "title", "default", "examples",  # annotations: no effect on validity
})
_FAST_CACHE: dict[str, Any] = {}


def _fast_keywords_only(schema: Any, depth: int = 0) -> bool:
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or depth > 32 or not set(schema) <= _FAST_KEYWORDS:
        return False
    subs: list[Any] = list(schema.get("properties", {}).values()) if isinstance(schema.get("properties"), dict) else []
    for k in ("items", "additionalProperties", "not"):
        if k in schema and not isinstance(schema[k], (bool, dict)):
            return False
        if isinstance(schema.get(k), dict):
            subs.append(schema[k])
    for k in ("anyOf", "oneOf", "allOf"):
        subs.extend(schema.get(k, []))
    return all(_fast_keywords_only(s, depth + 1) for s in subs)


def fast_validator(schema: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool] | None:
    """A compiled check of ``schema`` (fastjsonschema) for arguments whose keys and values are all text:
    ``check(arguments)`` is ``True`` only when they are valid (``False`` on any doubt: the caller then asks
    jsonschema, which also words the errors). ``None`` where the schema uses a keyword outside
    :data:`_FAST_KEYWORDS` or does not compile. Compiled once per schema per process."""
    try:
        text = json.dumps(schema, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    if text in _FAST_CACHE:
        return _FAST_CACHE[text]
    check = None
    if _fast_keywords_only(schema):
        try:
            import fastjsonschema

            compiled = fastjsonschema.compile(json.loads(text), use_default=False)
        except Exception:  # a schema fastjsonschema cannot compile: jsonschema alone
            compiled = None
        if compiled is not None:
            def check(arguments: Mapping[str, Any], _v: Any = compiled) -> bool:
                try:
                    _v(dict(arguments))
                except Exception:  # invalid, or any doubt: the caller asks jsonschema
                    return False
                return True
    if len(_FAST_CACHE) >= 4096:
        _FAST_CACHE.clear()
    _FAST_CACHE[text] = check
    return check


class ApiGraph:
    """A set of APIs and their data dependencies, over a :class:`networkx.DiGraph`.

    Each node carries ``spec`` (its :class:`ApiSpec`); each edge carries ``fields``, the list of
    ``(output field, parameter)`` pairs through which the source feeds the target.
    """

    def __init__(self, apis: Iterable[ApiSpec] = (), dependencies: Iterable[Dependency] = ()):
        self.graph = nx.DiGraph()
        self._validators: dict[str, Draft202012Validator] = {}
        for spec in apis:
            self.add(spec)
        for dep in dependencies:
            self.add_dependency(dep)

    # -- building ---------------------------------------------------------------
    def add(self, spec: ApiSpec) -> None:
        if spec.name in self.graph:
            raise BackendError(f"API {spec.name!r} is defined twice")
        Draft202012Validator.check_schema(spec.parameters)
        self.graph.add_node(spec.name, spec=spec)
        self._validators[spec.name] = Draft202012Validator(spec.parameters)
        self.__dict__.pop("_fast", None)
        self.__dict__.pop("_check_memo", None)  # a re-added API: verdicts of the old schema go

    def add_dependency(self, dep: Dependency) -> None:
        for name in (dep.source, dep.target):
            if name not in self.graph:
                raise BackendError(f"dependency {dep} names unknown API {name!r}")
        params = self.spec(dep.target).parameters.get("properties", {})
        if dep.param not in params:
            raise BackendError(f"dependency {dep}: {dep.target} has no parameter {dep.param!r}")
        if self.graph.has_edge(dep.source, dep.target):
            self.graph.edges[dep.source, dep.target]["fields"].append((dep.field, dep.param))
        else:
            self.graph.add_edge(dep.source, dep.target, fields=[(dep.field, dep.param)])

    # -- reading ----------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.graph.nodes)

    def __contains__(self, name: object) -> bool:
        return name in self.graph

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    def spec(self, name: str) -> ApiSpec:
        return self.graph.nodes[name]["spec"]

    def dependencies(self) -> list[Dependency]:
        return [
            Dependency(u, f, v, p) for u, v, data in self.graph.edges(data=True) for f, p in data["fields"]
        ]

    def feeds(self, target: str) -> dict[str, list[tuple[str, str]]]:
        """For each parameter of ``target``: the ``(source API, output field)`` pairs that feed it."""
        out: dict[str, list[tuple[str, str]]] = {}
        for source in self.graph.predecessors(target):
            for fld, param in self.graph.edges[source, target]["fields"]:
                out.setdefault(param, []).append((source, fld))
        return out

    def prerequisites(self, name: str) -> list[str]:
        """Every API whose output (transitively) feeds ``name``, in a valid call order."""
        before = nx.ancestors(self.graph, name)
        return [n for n in nx.topological_sort(self.graph.subgraph(before))]

    def tool_schemas(self, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
        chosen = self.names if names is None else [n for n in names if n in self.graph]
        return [self.spec(n).schema() for n in chosen]

    def check_arguments(self, name: str, arguments: Mapping[str, Any]) -> list[str]:
        """Every schema violation of ``arguments``, one precise message each ([] when valid). Verdicts are
        memoised per API and arguments (their items when all are text, else their JSON text; bounded):
        episodes repeat the same calls, and schema validation costs 100x the key."""
        key: Any = None
        try:
            if all(type(k) is str and type(v) is str for k, v in arguments.items()):  # text values: a cheap key
                key, size = (name, tuple(sorted(arguments.items()))), sum(len(k) + len(v) for k, v in arguments.items())
            else:
                text = json.dumps(arguments, sort_keys=True, allow_nan=False)
                key, size = (name, text), len(text)
        except (TypeError, ValueError, RecursionError):  # not plain JSON: validated every time
            key, size = None, 0
        memo = self.__dict__.setdefault("_check_memo", {})
        if key is not None and key in memo:
            return list(memo[key])
        if key is not None and type(key[1]) is tuple:  # text values only: the compiled check, when it passes
            fast = self.__dict__.setdefault("_fast", {})
            if name not in fast:
                fast[name] = fast_validator(self.spec(name).parameters)
            if fast[name] is not None and fast[name](arguments):
                if size <= 4096:
                    if len(memo) >= 8192:
                        memo.clear()
                    memo[key] = ()
                return []
        errors = sorted(self._validators[name].iter_errors(dict(arguments)), key=lambda e: list(e.absolute_path))
        problems = [_describe(e, name) for e in errors]
        if key is not None and size <= 4096:
            if len(memo) >= 8192:
                memo.clear()
            memo[key] = tuple(problems)
        return problems

    def session(self, state: Any, visible: Iterable[str] | None = None) -> BackendSession:
        return BackendSession(self, state, visible)

    def subgraph(self, names: Iterable[str]) -> ApiGraph:
        keep = set(names)
        sub = ApiGraph(self.spec(n) for n in self.names if n in keep)
        for dep in self.dependencies():
            if dep.source in keep and dep.target in keep:
                sub.add_dependency(dep)
        return sub


class BackendSession:
    """One episode's backend: executes :class:`ToolCall`s on ``state`` and keeps the history.

    Never raises for a bad call: unknown tools, invalid arguments and handler failures come back
    as error :class:`ToolResult`s. A handler crash (our bug) is also recorded in ``internal_errors``.
    """

    def __init__(self, graph: ApiGraph, state: Any, visible: Iterable[str] | None = None):
        self.graph = graph
        self.state = state
        self.visible: list[str] = list(graph.names if visible is None else visible)
        self.history: list[tuple[ToolCall, ToolResult]] = []
        self.internal_errors: list[dict[str, Any]] = []

    def reveal(self, names: Iterable[str]) -> list[str]:
        """Make more APIs callable (API-Bank's ToolSearcher, BFCL's held-out functions)."""
        added = [n for n in names if n in self.graph and n not in self.visible]
        self.visible.extend(added)
        return added

    def tool_schemas(self) -> list[dict[str, Any]]:
        return self._listed_schemas()

    def tools_view(self) -> tuple[dict[str, Any], ...]:
        """The tool schemas as the env's observation reads them, read-only: the very same tuple while the tool
        list is unchanged (:meth:`_tools_mark`), so the observation reuses the tools' JSON and text without
        looking at them again. :meth:`tool_schemas` hands out fresh dicts for callers to keep."""
        mark = self._tools_mark()
        view = self.__dict__.get("_view")
        if view is None or view[0] != mark:
            view = self._view = (mark, tuple(self._listed_schemas()))
        return view[1]

    def _tools_mark(self) -> Any:
        """What the tool list depends on (the graph's specs are fixed once the session exists)."""
        return tuple(self.visible)

    def _listed_schemas(self) -> list[dict[str, Any]]:
        """The schemas of the listed tools, fresh dicts (a session that hides some names lists fewer)."""
        return self.graph.tool_schemas(self.visible)

    def writes(self, name: str) -> bool:
        """Whether API ``name`` changes state (its :attr:`ApiSpec.writes`; unknown names: ``False``)."""
        return name in self.graph and self.graph.spec(name).writes

    def state_hash(self) -> str | None:
        """A hash of the episode's state changes, when the state offers one: a ``state_hash()`` of its
        own, or a :class:`~coalm_env.backend.store.StoreView` as ``state.view``; else ``None``. Equal
        hashes over the same base data mean equal end states (the env records it for replays)."""
        for holder in (self.state, getattr(self.state, "view", None)):
            method = getattr(holder, "state_hash", None)
            if callable(method):
                return str(method())
        return None

    def call(self, call: ToolCall) -> ToolResult:
        result = self._execute(call)
        self.history.append((call, result))
        return result

    def _execute(self, call: ToolCall) -> ToolResult:
        if call.name not in self.visible:
            close = difflib.get_close_matches(call.name, self.visible, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            return ToolResult.failure(
                "unknown_tool", f"No tool named {call.name!r} is available.{hint}", available=list(self.visible)
            )
        if not isinstance(call.arguments, dict):
            return ToolResult.failure("invalid_arguments", f"{call.name}: arguments must be an object")
        problems = self.graph.check_arguments(call.name, call.arguments)
        if problems:
            return ToolResult.failure("invalid_arguments", "; ".join(problems), errors=problems)
        spec = self.graph.spec(call.name)
        try:
            return ToolResult.success(spec.handler(self.state, **call.arguments))
        except ApiError as exc:
            return ToolResult.failure(exc.type, str(exc), **exc.details)
        except Exception as exc:  # a handler bug: report, never propagate out of step()
            self.internal_errors.append(
                {"where": f"api:{call.name}", "error": repr(exc), "traceback": traceback.format_exc()}
            )
            return ToolResult.failure("internal_error", f"{call.name} failed inside the mock backend")
