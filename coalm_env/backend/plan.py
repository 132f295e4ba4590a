"""Gold plans over the API graph: resolving sourced arguments, and matching an agent's calls.

A gold plan is a list of :class:`~coalm_env.types.GoldCall`; a parameter listed in ``sources`` takes
its value from an earlier step's result (``[step, "results.0.name"]``), i.e. along a graph edge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from coalm_env.limits import safe_float
from coalm_env.types import GoldCall, ToolCall, ToolResult

__all__ = ["get_path", "values_at", "resolve_call", "argument_key", "matched_steps"]

_MISSING = object()


def get_path(value: Any, path: str) -> Any:
    """``get_path({"results": [{"name": "x"}]}, "results.0.name") == "x"``; raises KeyError when absent."""
    for part in filter(None, path.split(".")):
        if isinstance(value, list) and re.fullmatch(r"-?\d+", part):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise KeyError(path)
    return value


def values_at(value: Any, path: str) -> list[Any]:
    """Every value at ``path`` where ``[]`` or a number matches any list item (``results[].name``)."""
    parts = [p for p in re.split(r"\.|(?=\[\])", path) if p]
    current = [value]
    for part in parts:
        nxt: list[Any] = []
        for v in current:
            if part == "[]" or re.fullmatch(r"\d+", part):
                nxt.extend(v if isinstance(v, list) else [])
            elif isinstance(v, dict) and part in v:
                nxt.append(v[part])
        current = nxt
    return current


def resolve_call(step: GoldCall, results: Sequence[Any]) -> ToolCall:
    """The concrete call for a gold step, given the values returned by the earlier steps."""
    args = dict(step.arguments)
    for param, (index, path) in step.sources.items():
        args[param] = get_path(results[index], path)
    return ToolCall(name=step.name, arguments=args)


def argument_key(value: Any) -> Any:
    """Case-, space- and type-tolerant comparison key for argument values (numbers compare as floats;
    an integer beyond float range keeps its exact value; nothing here raises on hostile values)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        number = safe_float(value)
        return value if number is None else number
    if isinstance(value, str):
        text = " ".join(value.lower().split())
        number = safe_float(text) if len(text) <= 400 else None
        return text if number is None else number
    if isinstance(value, (list, tuple)):
        return tuple(argument_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), argument_key(v)) for k, v in value.items()))
    return value


def _wildcard(path: str) -> str:
    return re.sub(r"(^|\.)\d+(?=\.|$)", r"\1[]", path)


def _sourced(value: Any, source_api: str, path: str, earlier: Sequence[tuple[ToolCall, ToolResult]]) -> bool:
    target = argument_key(value)
    for call, result in earlier:
        if call.name == source_api and result.ok:
            if any(argument_key(v) == target for v in values_at(result.value, _wildcard(path))):
                return True
    return False


def matched_steps(gold: Sequence[GoldCall], history: Sequence[tuple[ToolCall, ToolResult]]) -> list[bool]:
    """For each gold step: did the agent make that call with the gold constants and with each sourced
    argument taken from an earlier successful result of the source API (the graph edge)?"""
    out = []
    for step in gold:
        hit = False
        for i, (call, _result) in enumerate(history):
            if call.name != step.name:
                continue
            if any(argument_key(call.arguments.get(k, _MISSING)) != argument_key(v) for k, v in step.arguments.items()):
                continue
            if all(
                param in call.arguments and _sourced(call.arguments[param], gold[idx].name, path, history[:i])
                for param, (idx, path) in step.sources.items()
            ):
                hit = True
                break
        out.append(hit)
    return out
