"""Gold plans over the API graph: resolving sourced arguments, and matching an agent's calls.

A gold plan is a list of :class:`~coalm_env.types.GoldCall`; a parameter listed in ``sources`` takes
its value from an earlier step's result (``[step, "results.0.name"]``), i.e. along a graph edge.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from coalm_env.limits import safe_float
from coalm_env.types import GoldCall, ToolCall, ToolResult

__all__ = ["get_path", "values_at", "resolve_call", "argument_key", "matched_steps", "PlanMatcher"]

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
    current = [value]
    for part, any_item in _path_parts(path):
        nxt: list[Any] = []
        for v in current:
            if any_item:
                nxt.extend(v if isinstance(v, list) else [])
            elif isinstance(v, dict) and part in v:
                nxt.append(v[part])
        current = nxt
    return current


@functools.lru_cache(maxsize=4096)
def _path_parts(path: str) -> tuple[tuple[str, bool], ...]:
    """A path's parts, each with whether it matches any list item (``[]`` or a number), split once per path."""
    return tuple((p, p == "[]" or re.fullmatch(r"\d+", p) is not None) for p in re.split(r"\.|(?=\[\])", path) if p)


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
    if type(value) is str and len(value) <= 256:  # short text: the same values come back every episode
        key = _text_key(value)
        return key if key == key else _text_key.__wrapped__(value)  # a NaN: a fresh one, as before (no identity)
    if isinstance(value, str):
        return _text_key.__wrapped__(value)
    if isinstance(value, (list, tuple)):
        return tuple(argument_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), argument_key(v)) for k, v in value.items()))
    return value


@functools.lru_cache(maxsize=1 << 14)
def _text_key(value: str) -> Any:
    """:func:`argument_key` of a text (kept per short text)."""
    text = " ".join(value.lower().split())
    number = safe_float(text) if len(text) <= 400 else None
    return text if number is None else number


@functools.lru_cache(maxsize=4096)
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


def _is_nan(key: Any) -> bool:
    return isinstance(key, float) and key != key


class _Pool:
    """The argument keys of the values found at one (source API, wildcard path) in the results so far.

    ``key in pool`` is ``any(k == key for k in keys)``, as :func:`_sourced` compares: a set for the
    hashable keys, a list for the rest; a NaN key equals nothing (a set would find the same object)."""

    __slots__ = ("hashed", "unhashed")

    def __init__(self) -> None:
        self.hashed: set[Any] = set()
        self.unhashed: list[Any] = []

    def add(self, key: Any) -> None:
        if _is_nan(key):
            return
        try:
            self.hashed.add(key)
        except TypeError:
            self.unhashed.append(key)

    def __contains__(self, key: Any) -> bool:
        if _is_nan(key):
            return False
        try:
            if key in self.hashed:
                return True
        except TypeError:  # an unhashable key: compare with every key
            if any(k == key for k in self.hashed):
                return True
        return any(k == key for k in self.unhashed)


class PlanMatcher:
    """:func:`matched_steps` for one episode, incrementally: :meth:`update` with the history as it grows
    looks only at the calls added since the last update, so its cost per step does not grow with the
    dialogue (the from-scratch function re-matches the whole history every time).

    Same answer as ``matched_steps(gold, history)`` for an append-only history whose results are not
    changed after they were returned (tests/test_plan_credit.py checks it against the function). A
    history that is not the one seen before (another list, or shorter) is matched again from the start.
    """

    def __init__(self, gold: Sequence[GoldCall]):
        self.gold = list(gold)
        self.hits = [False] * len(self.gold)
        self._history: Any = None
        self._seen = 0
        # a source index outside the plan fails inside matched_steps: leave such plans to it
        self._fallback = any(not -len(self.gold) <= idx < len(self.gold)
                             for step in self.gold for idx, _ in step.sources.values())
        self._pools: dict[tuple[str, str], _Pool] = {}
        self._paths: dict[str, list[tuple[str, _Pool]]] = {}  # source API -> its (wildcard path, pool)s
        self._constants: list[list[tuple[str, Any]]] = []
        self._sourced: list[list[tuple[str, _Pool]]] = []  # per step: (sourced parameter, its source's pool)
        if not self._fallback:
            for step in self.gold:
                sourced = []
                for param, (_idx, path) in step.sources.items():
                    key = (self.gold[_idx].name, _wildcard(path))
                    if key not in self._pools:
                        self._pools[key] = _Pool()
                        self._paths.setdefault(key[0], []).append((key[1], self._pools[key]))
                    sourced.append((param, self._pools[key]))
                self._sourced.append(sourced)
                self._constants.append([(k, argument_key(v)) for k, v in step.arguments.items()])
        self._open: dict[str, list[int]] = {}  # gold step name -> indices of the steps not hit yet
        for n, step in enumerate(self.gold):
            self._open.setdefault(step.name, []).append(n)

    def _hit(self, n: int, call: ToolCall) -> bool:
        args = call.arguments
        for k, key in self._constants[n]:
            if argument_key(args.get(k, _MISSING)) != key:
                return False
        for param, pool in self._sourced[n]:
            if param not in args or argument_key(args[param]) not in pool:
                return False
        return True

    def update(self, history: Sequence[tuple[ToolCall, ToolResult]]) -> list[bool]:
        """The matched gold steps for ``history`` (the episode's calls so far, in order)."""
        if self._fallback:
            self.hits = matched_steps(self.gold, history)
            return list(self.hits)
        if history is not self._history or len(history) < self._seen:
            if self._history is not None or self._seen:  # a fresh matcher needs no reset on its first history
                self.__init__(self.gold)  # type: ignore[misc]
            self._history = history
        for i in range(self._seen, len(history)):
            call, result = history[i]
            waiting = self._open.get(call.name)
            if waiting:
                for n in [n for n in waiting if self._hit(n, call)]:
                    self.hits[n] = True
                    waiting.remove(n)
            if result.ok:  # later calls may take their sourced arguments from this result
                for path, pool in self._paths.get(call.name, ()):
                    for v in values_at(result.value, path):
                        pool.add(argument_key(v))
            self._seen = i + 1
        return list(self.hits)
