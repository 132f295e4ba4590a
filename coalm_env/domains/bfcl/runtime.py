"""Episode backends: fresh official backend instances behind a :class:`BackendSession`.

Instances are built as BFCL's harness builds them: ``cls()`` then, for every stateful class,
``_load_scenario(deepcopy(initial_config[cls]), long_context=...)``. The classes come from the
``bfcl_eval`` wheel (``pip install --no-deps bfcl-eval==2025.8.6.2 mpmath``), imported on first use.
"""

from __future__ import annotations

import copy
import functools
import importlib
import importlib.util
import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.domains.bfcl.apis import full_graph, functions_of
from coalm_env.domains.bfcl.calls import CallSyntaxError
from coalm_env.domains.bfcl.entries import CLASS_STEMS, BFCLEntry
from coalm_env.errors import DependencyNotInstalled
from coalm_env.types import ToolCall, ToolResult

__all__ = [
    "BFCLState",
    "BFCLSession",
    "backend_class",
    "new_instances",
    "signatures",
    "open_session",
    "execute",
    "result_text_of",
    "call_key",
    "ERROR_PREFIX",
]

BFCL_EVAL_INSTALL = "pip install --no-deps bfcl-eval==2025.8.6.2 mpmath"
_MODULE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code."
# BFCL never calls _load_scenario on these (they hold no state)
_STATELESS = frozenset({"MathAPI"})
#: how BFCL's checker writes a failed call's result
ERROR_PREFIX = "Error during execution: "


@dataclass
class BFCLState:
    """The state a :class:`BackendSession` carries: the entry's backend instances by class name,
    the result text of every executed call (as BFCL's checker compares them) and the number of
    user turns applied so far (for miss_func reveals)."""

    entry: BFCLEntry
    instances: dict[str, Any]
    outputs: list[str] = field(default_factory=list)
    turns_seen: int = 0
    #: whether a call's :class:`ToolResult` carries the detached, JSON-safe copy of its return value (an
    #: agent's session); sessions that only read ``outputs`` (ground-truth runs, checker re-runs) skip it
    shown: bool = True


def _require_bfcl_eval() -> None:
    if importlib.util.find_spec("bfcl_eval") is None:
        err = DependencyNotInstalled("bfcl_eval", "bfcl")
        err.hint = f"{BFCL_EVAL_INSTALL} (never its declared dependencies)"
        raise err


@functools.cache
def backend_class(cls: str) -> type:
    """The official class named ``cls`` (one of the eight in :data:`CLASS_STEMS`)."""
    _require_bfcl_eval()
    module = importlib.import_module(_MODULE + CLASS_STEMS[cls])
    return getattr(module, cls)


def new_instances(entry: BFCLEntry) -> dict[str, Any]:
    """Fresh instances of the entry's classes, loaded with its initial config."""
    instances = {}
    for cls in entry.involved_classes:
        instance = backend_class(cls)()
        if cls not in _STATELESS:
            config = copy.deepcopy(entry.initial_config.get(cls, {}))
            instance._load_scenario(config, long_context=entry.long_context)
        instances[cls] = instance
    return instances


@functools.cache
def _class_signatures(cls: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for name, fn in inspect.getmembers(backend_class(cls), predicate=inspect.isfunction):
        if not name.startswith("_"):
            params = list(inspect.signature(fn).parameters.values())[1:]  # drop self
            out[name] = tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    return out


def signatures(classes: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Function name -> positional parameter names, for reading positional BFCL call strings."""
    out: dict[str, tuple[str, ...]] = {}
    for cls in classes:
        out.update(_class_signatures(cls))
    return out


def call_key(call: Any) -> tuple:
    """What executing ``call`` depends on: its name and arguments (their ``repr``: ``1``, ``1.0`` and
    ``True`` stay apart), or a parse error's text (:func:`~coalm_env.domains.bfcl.checker.turns_key`)."""
    if isinstance(call, ToolCall):
        return ("call", call.name, repr(call.arguments))
    if isinstance(call, CallSyntaxError):
        return ("error", str(call))
    return ("other", type(call).__name__, repr(call))


class BFCLSession(BackendSession):
    """A session whose tool list leaves out miss_func's held-out functions until their reveal turn.

    As in BFCL's harness, held-out functions are hidden from the agent's tool list only: every
    function of the entry's classes stays callable (BFCL's own ground truth calls a held-out
    function before its reveal in miss_func_49, and its checker executes such calls).

    An episode's session (``record=True``) also keeps, for the official verdict to reuse instead of
    running the episode's calls again (:func:`~coalm_env.domains.bfcl.checker.check_entry`):
    ``executed``, every call it ran as ``(call, call_key(call), user turns seen, result text)``, and
    ``turn_ends``, per finished user turn, what the checker reads of the state after it (written by
    :func:`~coalm_env.domains.bfcl.checker.record_turn_end`).
    """

    def __init__(self, graph: ApiGraph, state: BFCLState, visible: Iterable[str], hidden: Iterable[str] = (),
                 record: bool = False):
        super().__init__(graph, state, visible)
        self.hidden: set[str] = set(hidden)
        self.record = record
        self.executed: list[tuple[ToolCall, tuple | None, int, str]] = []
        self.turn_ends: dict[int, tuple[int, list[str] | None, Any]] = {}
        self.gold: tuple[Any] | None = None  # (the entry's gold record or None), once looked up

    def reveal(self, names: Iterable[str]) -> list[str]:
        """Show held-out functions in the tool list; returns those newly shown."""
        shown = [n for n in names if n in self.hidden]
        self.hidden.difference_update(shown)
        return shown

    def tool_schemas(self) -> list[dict[str, Any]]:
        return list(self.tools_view())  # the view's dicts, built once per tool list (as before)

    def _tools_mark(self) -> Any:
        return tuple(self.visible), frozenset(self.hidden)

    def _listed_schemas(self) -> list[dict[str, Any]]:
        return self.graph.tool_schemas(n for n in self.visible if n not in self.hidden)

    def call(self, call: ToolCall) -> ToolResult:
        result = super().call(call)
        if self.record:
            try:
                done = (call, call_key(call), self.state.turns_seen, result_text_of(self, result))
            except Exception:  # e.g. an argument whose repr fails: never read back (the verdict runs the calls again)
                done = (call, None, self.state.turns_seen, "")
            self.executed.append(done)
        return result


def open_session(entry: BFCLEntry, record: bool = False, shown: bool = True) -> BFCLSession:
    """A session over fresh instances of the entry's classes, held-out functions not listed yet
    (``record``: an episode's session, which keeps what it ran: :class:`BFCLSession`; ``shown=False``: its
    results' values are ``None``, for a caller that reads only the result texts, :func:`execute`).

    It runs on the shared graph of all eight classes with only the entry's functions callable
    (building a subgraph per entry would re-check every schema).
    """
    state = BFCLState(entry=entry, instances=new_instances(entry), shown=shown)
    return BFCLSession(full_graph(), state, functions_of(entry.involved_classes), entry.held_out(), record=record)


def result_text_of(session: BackendSession, result: ToolResult) -> str:
    """The result text of the call ``session`` just ran (``result``), as BFCL's checker compares it."""
    if result.ok:
        return session.state.outputs[-1]
    return f"{ERROR_PREFIX}{(result.error or {}).get('message', '')}"


def execute(session: BackendSession, call: ToolCall | CallSyntaxError) -> str:
    """Run one call; returns its result text as BFCL's checker compares it."""
    if isinstance(call, CallSyntaxError):
        return f"{ERROR_PREFIX}{call}"
    return result_text_of(session, session.call(call))
