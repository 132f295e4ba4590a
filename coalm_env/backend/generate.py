"""Procedural scenarios from the API graph, domain-free.

A generated task is a path through the :class:`~coalm_env.backend.graph.ApiGraph`: a few calls where
outputs feed later arguments (the graph's edges). The pieces here know nothing about any domain:

1. :func:`sample_skeleton` draws a connected sub-plan: API names in call order plus the edges used
   (``step j``'s parameter ``p`` takes ``step i``'s output field ``f``), within a dependency-depth limit.
2. :func:`execute_skeleton` binds the free arguments with a domain *binder* (values that exist in the
   episode's initial state, so the plan executes), executes the plan on a fresh backend session,
   resolves each sourced argument from the real result (a concrete path such as ``results.2.name``),
   and returns the gold calls (:class:`~coalm_env.types.GoldCall` with ``sources``), the concrete calls,
   their results and the session (whose state is the expected end state).
3. :func:`split_of` puts a skeleton key in ``train``/``val``/``test`` by a stable hash, so splits are
   disjoint by plan skeleton; :func:`scenario_rng` makes every scenario reproducible from
   ``(generator version, options, seed, split, index, attempt)``.
4. :class:`LazyScenarios` is the env's scenario pool for a generated split: a :class:`Sequence` that
   builds scenario ``i`` on first access (``gym.make(..., split="train")`` never generates the split up
   front), so a split can be "endless" (``n`` in the millions) at no cost until played.

Domains supply the binder, the goal derived from the executed plan (what the user wants, which facts
the user knows, which results the user must be told) and the scorer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.types import GoldCall, ToolCall, ToolResult

__all__ = [
    "Edge",
    "Skeleton",
    "ExecutedPlan",
    "Binder",
    "sample_skeleton",
    "execute_skeleton",
    "concrete_fields",
    "split_of",
    "scenario_rng",
    "stable_hash",
    "content_key",
    "LazyScenarios",
    "SPLIT_FRACTIONS",
]

#: default share of skeleton-hash space per split (train/val/test)
SPLIT_FRACTIONS: Mapping[str, float] = {"train": 0.8, "val": 0.1, "test": 0.1}


@dataclass(frozen=True)
class Edge:
    """Step ``target``'s parameter ``param`` takes step ``source``'s output ``field`` (graph edge)."""

    source: int
    field: str
    target: int
    param: str


@dataclass(frozen=True)
class Skeleton:
    """A plan skeleton: API names in call order and the data edges between the steps."""

    calls: tuple[str, ...]
    edges: tuple[Edge, ...] = ()

    def key(self) -> str:
        """Canonical text of the skeleton (the unit of split disjointness)."""
        edges = ";".join(f"{e.source}.{e.field}>{e.target}.{e.param}" for e in sorted(
            self.edges, key=lambda e: (e.target, e.param, e.source, e.field)))
        return "|".join(self.calls) + "#" + edges

    def depth(self) -> int:
        """Longest chain of data dependencies (0: independent calls)."""
        depth = [0] * len(self.calls)
        for e in sorted(self.edges, key=lambda e: e.target):
            depth[e.target] = max(depth[e.target], depth[e.source] + 1)
        return max(depth, default=0)

    def sourced(self, step: int) -> dict[str, Edge]:
        """The edges feeding ``step``, by parameter."""
        return {e.param: e for e in self.edges if e.target == step}

    def to_dict(self) -> dict[str, Any]:
        return {"calls": list(self.calls), "edges": [[e.source, e.field, e.target, e.param] for e in self.edges]}


#: ``binder(step, api_name, free_params, rng, state, results_so_far) -> {param: value}`` or ``None``
#: when the step cannot be bound in this state (the attempt is abandoned)
Binder = Callable[[int, str, Sequence[str], np.random.Generator, Any, Sequence[ToolResult]], "dict[str, Any] | None"]


@dataclass
class ExecutedPlan:
    """A skeleton bound and executed on a fresh backend."""

    skeleton: Skeleton
    gold: list[GoldCall]
    calls: list[ToolCall]
    results: list[ToolResult]
    session: BackendSession
    free: list[dict[str, Any]] = field(default_factory=list)

    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def stable_hash(value: Any) -> int:
    """A 64-bit hash of a JSON-able value, the same in every process and Python version."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def split_of(key: str, fractions: Mapping[str, float] = SPLIT_FRACTIONS, salt: str = "") -> str:
    """The split a skeleton key belongs to: a stable hash of ``key`` mapped onto ``fractions``."""
    point = stable_hash(["split", salt, key]) / 2**64
    total = sum(fractions.values())
    acc = 0.0
    for name, share in fractions.items():
        acc += share / total
        if point < acc:
            return name
    return next(reversed(list(fractions)))


def scenario_rng(version: int, options: Mapping[str, Any], seed: int, split: str, index: int,
                 attempt: int = 0) -> np.random.Generator:
    """The generator of one scenario attempt: a pure function of its coordinates."""
    return np.random.default_rng(np.random.SeedSequence(
        [int(version), stable_hash(dict(options)), int(seed) & (2**63 - 1), stable_hash(split), int(index),
         int(attempt)]))


def content_key(calls: Iterable[ToolCall]) -> str:
    """Canonical text of concrete calls (name and arguments): two tasks with the same key are the same."""
    return json.dumps([[c.name, c.arguments] for c in calls], sort_keys=True, default=str)


def _depths(n: int, edges: Sequence[Edge]) -> list[int]:
    depth = [0] * n
    for e in sorted(edges, key=lambda e: e.target):
        depth[e.target] = max(depth[e.target], depth[e.source] + 1)
    return depth


def sample_skeleton(graph: ApiGraph, rng: np.random.Generator, n_calls: int, max_depth: int | None = None,
                    allowed: Iterable[str] | None = None, start: Iterable[str] | None = None,
                    repeat: bool = False, feed_all: bool = True) -> Skeleton | None:
    """Draw a connected sub-plan of ``n_calls`` calls.

    Step 0 is drawn from ``start`` (default: every allowed API with an outgoing edge when
    ``n_calls > 1``). Each later step is an API fed by an earlier step along a graph edge whose source
    is at depth < ``max_depth``; with ``feed_all`` every parameter of the new step that some earlier
    step can feed takes one of those sources. ``max_depth=0`` draws independent calls (a multi-intent
    task, not connected). Returns ``None`` when no such plan exists from the drawn start.

    Args:
        graph: the API graph.
        rng: the scenario's generator.
        n_calls: number of calls.
        max_depth: longest allowed dependency chain (``None``: ``n_calls - 1``).
        allowed: the APIs a plan may use (default: all).
        start: the APIs step 0 may be.
        repeat: whether an API may appear twice.
        feed_all: source every feedable parameter (else one edge per new step).
    """
    if n_calls < 1:
        raise ValueError("n_calls must be >= 1")
    pool = list(graph.names if allowed is None else [n for n in allowed if n in graph])
    pool_set = set(pool)
    limit = n_calls - 1 if max_depth is None else int(max_depth)
    g = graph.graph
    if start is not None:
        firsts = [n for n in start if n in pool_set]
    elif n_calls > 1 and limit > 0:
        firsts = [n for n in pool if any(t in pool_set and t != n and g.edges[n, t].get("fields")
                                         for t in g.successors(n))]
    else:
        firsts = pool
    if not firsts:
        return None
    for first in rng.permutation(len(firsts)).tolist():  # a start that cannot grow: try the next one
        found = _grow(g, pool, pool_set, firsts[first], n_calls, limit, rng, repeat, feed_all)
        if found is not None:
            return found
    return None


def _grow(g: Any, pool: list[str], pool_set: set[str], first: str, n_calls: int, limit: int,
          rng: np.random.Generator, repeat: bool, feed_all: bool) -> Skeleton | None:
    calls = [first]
    edges: list[Edge] = []
    while len(calls) < n_calls:
        depth = _depths(len(calls), edges)
        used = set(calls)
        if limit <= 0:  # independent calls
            options = [n for n in pool if repeat or n not in used]
            if not options:
                return None
            calls.append(options[int(rng.integers(len(options)))])
            continue
        candidates: list[tuple[int, str]] = []
        for i, name in enumerate(calls):
            if depth[i] >= limit:
                continue
            for target in g.successors(name):
                if (target in pool_set and (repeat or target not in used) and target != name
                        and g.edges[name, target].get("fields")):
                    candidates.append((i, target))
        if not candidates:
            return None
        source, target = candidates[int(rng.integers(len(candidates)))]
        j = len(calls)
        calls.append(target)
        chosen: list[Edge] = []
        fields = g.edges[calls[source], target]["fields"]
        fld, param = fields[int(rng.integers(len(fields)))]
        chosen.append(Edge(source, fld, j, param))
        if feed_all:
            for i, name in enumerate(calls[:-1]):
                if depth[i] >= limit or not g.has_edge(name, target):
                    continue
                for fld, param in g.edges[name, target].get("fields", ()):
                    if all(e.param != param for e in chosen):
                        chosen.append(Edge(i, fld, j, param))
        edges.extend(chosen)
    return Skeleton(tuple(calls), tuple(edges))


def concrete_fields(value: Any, path: str) -> list[tuple[str, Any]]:
    """Every ``(concrete path, value)`` matching a field path where ``[]`` matches any list item:
    ``concrete_fields({"results": [{"n": 1}, {"n": 2}]}, "results[].n") == [("results.0.n", 1),
    ("results.1.n", 2)]``; the empty path is the whole value."""
    parts = [p for p in re.split(r"\.|(?=\[\])", path) if p]
    current: list[tuple[list[str], Any]] = [([], value)]
    for part in parts:
        nxt: list[tuple[list[str], Any]] = []
        for prefix, v in current:
            if part == "[]":
                if isinstance(v, list):
                    nxt.extend(([*prefix, str(k)], item) for k, item in enumerate(v))
            elif isinstance(v, dict) and part in v:
                nxt.append(([*prefix, part], v[part]))
            elif isinstance(v, list) and re.fullmatch(r"\d+", part) and int(part) < len(v):
                nxt.append(([*prefix, part], v[int(part)]))
        current = nxt
    return [(".".join(p), v) for p, v in current]


def execute_skeleton(skeleton: Skeleton, binder: Binder, new_session: Callable[[], BackendSession],
                     rng: np.random.Generator, accept_failure: Callable[[int, ToolResult], bool] | None = None,
                     ) -> ExecutedPlan | None:
    """Bind and execute ``skeleton`` on ``new_session()``; ``None`` when it cannot be bound or a call
    fails (unless ``accept_failure(step, result)`` says the failure is intended, e.g. an infeasible
    sub-goal).

    Each sourced argument takes one value found at its edge's field in the source step's real result
    (drawn by ``rng`` among list items); the concrete path is recorded in the gold call's ``sources``.
    """
    session = new_session()
    gold: list[GoldCall] = []
    calls: list[ToolCall] = []
    results: list[ToolResult] = []
    frees: list[dict[str, Any]] = []
    for step, name in enumerate(skeleton.calls):
        spec = session.graph.spec(name)
        params = list(spec.parameters.get("properties", {}))
        sources: dict[str, list[Any]] = {}
        sourced_values: dict[str, Any] = {}
        for param, edge in skeleton.sourced(step).items():
            source_result = results[edge.source]
            if not source_result.ok:
                return None
            found = concrete_fields(source_result.value, edge.field)
            if not found:
                return None
            path, value = found[int(rng.integers(len(found)))]
            sources[param] = [edge.source, path]
            sourced_values[param] = value
        free_params = [p for p in params if p not in sources]
        free = binder(step, name, free_params, rng, session.state, results)
        if free is None:
            return None
        free = {k: v for k, v in free.items() if k not in sources}
        call = ToolCall(name=name, arguments={**free, **sourced_values})
        result = session.call(call)
        if not result.ok and not (accept_failure is not None and accept_failure(step, result)):
            return None
        gold.append(GoldCall(name=name, arguments=dict(free), sources=sources))
        calls.append(call)
        results.append(result)
        frees.append(free)
    return ExecutedPlan(skeleton, gold, calls, results, session, frees)


class LazyScenarios(Sequence):
    """A split's scenarios built on first access: ``make(index)`` returns scenario ``index``.

    Behaves as a read-only sequence of length ``n`` (the env's pool draws an index, then reads that one
    scenario); built scenarios are kept (``cache``) so repeated reads return the same object. With
    ``max_cached``, only that many are kept (the oldest built is dropped first; it is rebuilt, equal,
    when read again), so a long training run over an endless split does not keep every scenario.
    """

    def __init__(self, n: int, make: Callable[[int], Any], max_cached: int | None = None):
        self._n = int(n)
        self._make = make
        self.max_cached = max_cached
        self.cache: dict[int, Any] = {}

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._n))]
        i = int(index)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(index)
        if i not in self.cache:
            self.cache[i] = self._make(i)
            if self.max_cached is not None:
                while len(self.cache) > max(int(self.max_cached), 1):
                    del self.cache[next(iter(self.cache))]
        return self.cache[i]

    def __iter__(self) -> Iterator[Any]:
        for i in range(self._n):
            yield self[i]
