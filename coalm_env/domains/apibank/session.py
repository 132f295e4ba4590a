"""An API-Bank episode backend, and running calls on fresh copies of a state (for scoring).

:class:`APIBankSession` is a :class:`~coalm_env.backend.graph.BackendSession` that makes the APIs a
``ToolSearcher`` call retrieves callable (levels 2 and 3 start with ``ToolSearcher`` alone).

Every value is a string in the benchmark's own call format, so a number given for a ``string``
parameter (``appointment_id=78901234``) is taken as its text (:func:`official_values`), in episodes
and when calls are re-run for scoring alike.
"""

from __future__ import annotations

from typing import Any

from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.backend.store import Store, StoreView
from coalm_env.domains.apibank.retriever import retrieved_names
from coalm_env.types import ToolCall, ToolResult

__all__ = ["APIBankSession", "fork", "outcome", "run_on_copy", "official_values"]


def official_values(graph: ApiGraph, call: ToolCall) -> ToolCall:
    """``call`` with numbers given for ``string`` parameters as their text (booleans, lists and every
    other value unchanged); the call itself when nothing changes or the API is unknown."""
    if call.name not in graph:
        return call
    props = graph.spec(call.name).parameters.get("properties", {})
    changed = {k: str(v) for k, v in call.arguments.items() if isinstance(v, (int, float))
               and not isinstance(v, bool) and props.get(k, {}).get("type") == "string"}
    if not changed:
        return call
    return ToolCall(name=call.name, arguments={**call.arguments, **changed}, id=call.id)


class APIBankSession(BackendSession):
    """A backend session whose ``ToolSearcher`` results reveal the APIs they name."""

    def __init__(self, graph: ApiGraph, state: StoreView, store: Store, visible: list[str] | None = None):
        super().__init__(graph, state, visible)
        self.store = store

    def call(self, call: ToolCall) -> ToolResult:
        result = super().call(official_values(self.graph, call))
        if call.name == "ToolSearcher" and result.ok:
            self.reveal(retrieved_names(result.value))
        return result


def fork(store: Store, view: StoreView) -> StoreView:
    """A fresh copy of ``view`` (its changes replayed on a new view: cost grows with the changes only)."""
    copy = store.view()
    for table, rows in view.diff().items():
        for key, record in rows.items():
            if record is None:
                copy.delete(table, key)
            else:
                copy.put(table, key, record)
    return copy


def outcome(call: ToolCall, result: ToolResult) -> dict[str, Any]:
    """The benchmark's view of a call: ``{api_name, input, output, exception}``."""
    return {
        "api_name": call.name,
        "input": dict(call.arguments),
        "output": result.value if result.ok else None,
        "exception": None if result.ok else (result.error or {}).get("message", "error"),
    }


def run_on_copy(graph: ApiGraph, store: Store, view: StoreView, call: ToolCall,
                memo: dict[tuple[str, str], ToolResult] | None = None) -> dict[str, Any]:
    """Execute ``call`` (every API visible) on a copy of ``view``; returns its :func:`outcome`.

    ``memo``: results of calls already run on copies of this same ``view`` (unchanged since), by name and
    ``repr`` of the arguments as executed; a call equal to one of them is not run again (the APIs are
    deterministic: the same call on the same state gives the same result)."""
    copied = official_values(graph, ToolCall(name=call.name, arguments=dict(call.arguments)))
    key = (copied.name, repr(copied.arguments)) if memo is not None else None
    result = memo.get(key) if memo is not None else None
    if result is None:
        result = BackendSession(graph, fork(store, view)).call(copied)
        if memo is not None:
            memo[key] = result
    return outcome(call, result)
