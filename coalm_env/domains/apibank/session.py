"""An API-Bank episode backend, and running calls on fresh copies of a state (for scoring).

:class:`APIBankSession` is a :class:`~coalm_env.backend.graph.BackendSession` that makes the APIs a
``ToolSearcher`` call retrieves callable (levels 2 and 3 start with ``ToolSearcher`` alone).
"""

from __future__ import annotations

from typing import Any

from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.backend.store import Store, StoreView
from coalm_env.domains.apibank.retriever import retrieved_names
from coalm_env.types import ToolCall, ToolResult

__all__ = ["APIBankSession", "fork", "outcome", "run_on_copy"]


class APIBankSession(BackendSession):
    """A backend session whose ``ToolSearcher`` results reveal the APIs they name."""

    def __init__(self, graph: ApiGraph, state: StoreView, store: Store, visible: list[str] | None = None):
        super().__init__(graph, state, visible)
        self.store = store

    def call(self, call: ToolCall) -> ToolResult:
        result = super().call(call)
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


def run_on_copy(graph: ApiGraph, store: Store, view: StoreView, call: ToolCall) -> dict[str, Any]:
    """Execute ``call`` (every API visible) on a copy of ``view``; returns its :func:`outcome`."""
    session = BackendSession(graph, fork(store, view))
    return outcome(call, session.call(ToolCall(name=call.name, arguments=dict(call.arguments))))
