"""Backend fault injection: API calls that fail at seeded rates before they execute.

``faults={"transient": 0.05, "timeout": 0.02, "rate_limit": 0.01}`` (an env option; the CLI writes
``--faults transient=0.05,timeout=0.02,rate_limit=0.01``) wraps the episode's
:class:`~coalm_env.backend.graph.BackendSession` in a :class:`FaultyBackend`. Each call draws once
from the episode's fault generator; with the configured probability it fails *before* executing (the
state is unchanged) with a structured error the agent sees like any other tool error:
``transient_error``, ``timeout`` or ``rate_limited``, each with ``details.retry_after`` (seconds).

A faulted call never reaches the inner session, so it is not in ``backend.history``: graph credit,
the oracles' progress and the API-Bank/BFCL scorers see only calls that executed, and the trajectory
still shows the faulted call and its error (the step's ``results``). :func:`is_fault` tells an
injected error apart by its type (no domain raises these types). A fault counts as **recovered** when
the agent later makes the same call (same name, same arguments) and the backend executes it — whatever
the API then returns, the fault itself is gone (:func:`fault_metrics`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.types import StepRecord, ToolCall, ToolResult

__all__ = ["FAULT_KINDS", "FAULT_TYPES", "FaultyBackend", "parse_faults", "is_fault", "fault_metrics", "fault_seed"]

#: fault kind (the option key) -> the error type the agent sees
FAULT_KINDS = {"transient": "transient_error", "timeout": "timeout", "rate_limit": "rate_limited"}
FAULT_TYPES = frozenset(FAULT_KINDS.values())
_MESSAGES = {
    "transient_error": "{name}: the service is temporarily unavailable (503); nothing was changed. Try again.",
    "timeout": "{name}: the request timed out; nothing was changed. Try again.",
    "rate_limited": "{name}: too many requests (429); nothing was changed. Retry after {after} s.",
}
_SEED_KEY = 0xFA17


def parse_faults(faults: Mapping[str, Any] | str | None) -> dict[str, float]:
    """``"transient=0.05,timeout=0.02"`` or a dict -> ``{"transient": 0.05, "timeout": 0.02}``, checked:
    known kinds (did-you-mean), rates in [0, 1] summing to at most 1. ``None``/empty: no faults."""
    if faults is None or faults == "" or faults == {}:
        return {}
    if isinstance(faults, str):
        items = [p.partition("=") for p in faults.split(",") if p.strip()]
        if any(not eq for _k, eq, _v in items):
            raise ConfigError(f"bad faults {faults!r}", hint="write KIND=RATE,..., e.g. transient=0.05,timeout=0.02")
        faults = {k.strip(): v.strip() for k, _eq, v in items}
    if not isinstance(faults, Mapping):
        raise ConfigError(f"faults must be a dict of rates or a KIND=RATE,... string, got {type(faults).__name__}")
    out: dict[str, float] = {}
    for kind, rate in faults.items():
        if kind not in FAULT_KINDS:
            raise UnknownNameError("fault kind", str(kind), FAULT_KINDS)
        try:
            value = float(rate)
        except (TypeError, ValueError):
            raise ConfigError(f"fault rate {kind}={rate!r} is not a number") from None
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"fault rate {kind}={value} must be in [0, 1]")
        out[str(kind)] = value
    if sum(out.values()) > 1.0 + 1e-9:
        raise ConfigError(f"fault rates sum to {sum(out.values()):.3f} > 1")
    return {k: out[k] for k in FAULT_KINDS if k in out}  # a stable order: the draw depends on it


def fault_seed(backend_seed: int) -> int:
    """The fault generator's seed of an episode, derived from its backend seed (no other stream moves)."""
    return int(np.random.SeedSequence(int(backend_seed), spawn_key=(_SEED_KEY,)).generate_state(1)[0])


def is_fault(result: ToolResult) -> bool:
    """Whether ``result`` is an injected fault (the call did not execute)."""
    return not result.ok and (result.error or {}).get("type") in FAULT_TYPES


class FaultyBackend:
    """A :class:`~coalm_env.backend.graph.BackendSession` whose calls fail at seeded ``rates``.

    Everything but :meth:`call` is the inner session's (state, history, visible tools, hashes).
    ``injected`` lists ``(call, result)`` for every fault, in order.
    """

    def __init__(self, inner: Any, rates: Mapping[str, float], rng: np.random.Generator):
        object.__setattr__(self, "inner", inner)
        object.__setattr__(self, "rates", dict(rates))
        object.__setattr__(self, "rng", rng)
        object.__setattr__(self, "injected", [])

    def __getattr__(self, attr: str) -> Any:
        if attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        setattr(self.inner, attr, value)  # e.g. a domain resetting ``visible``: the session owns it

    def call(self, call: ToolCall) -> ToolResult:
        kind = self._draw()
        if kind is None:
            return self.inner.call(call)
        error_type = FAULT_KINDS[kind]
        after = int(self.rng.integers(1, 6))
        result = ToolResult.failure(error_type, _MESSAGES[error_type].format(name=call.name, after=after),
                                    retry_after=after)
        self.injected.append((call, result))
        return result

    def _draw(self) -> str | None:
        u = float(self.rng.random())  # one draw per call, whatever the rates: streams stay aligned
        edge = 0.0
        for kind, rate in self.rates.items():
            edge += rate
            if u < edge:
                return kind
        return None


def fault_metrics(steps: Sequence[StepRecord]) -> dict[str, float]:
    """``faults_injected``, ``faults_recovered`` (a later identical call executed) and, when any fault
    was injected, ``fault_recovery`` (their ratio), over an episode's steps."""
    calls = [(c, r) for s in steps for c, r in zip(s.calls, s.results)]
    keys = [(c.name, json.dumps(c.arguments, sort_keys=True, default=str)) for c, _r in calls]
    injected = recovered = 0
    for i, (_call, result) in enumerate(calls):
        if not is_fault(result):
            continue
        injected += 1
        if any(keys[j] == keys[i] and not is_fault(calls[j][1]) for j in range(i + 1, len(calls))):
            recovered += 1
    out = {"faults_injected": float(injected), "faults_recovered": float(recovered)}
    if injected:
        out["fault_recovery"] = recovered / injected
    return out
