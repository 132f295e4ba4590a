"""Per-call accounting: who called which model, tokens, latency, cost, cache hits.

A policy or user appends one :class:`LedgerEntry` per generation to a :class:`Ledger` and stores
``ledger.to_list()`` in ``Trajectory.extra["ledger"]``; :func:`ledger_metrics` turns a trajectory's
entries into flat ``llm_*`` metrics (summable, per role), and :func:`sum_ledgers` totals many episodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from coalm_env.llm.base import Generation

__all__ = ["Price", "LedgerEntry", "Ledger", "ledger_metrics", "sum_ledgers", "ROLES"]

ROLES = ("agent", "user")
_TOTALS = ("calls", "prompt_tokens", "completion_tokens", "latency_s", "cost_usd", "cached", "errors")


@dataclass(frozen=True)
class Price:
    """US dollars per million prompt (input) and completion (output) tokens."""

    input_per_m: float = 0.0
    output_per_m: float = 0.0

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_m + completion_tokens * self.output_per_m) / 1e6


@dataclass
class LedgerEntry:
    """One generation call. A cached call costs nothing and its latency is the cache's."""

    role: str
    backend: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0
    cached: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Ledger:
    """The calls of one episode. ``prices`` maps a model name to its :class:`Price` (or a pair)."""

    prices: Mapping[str, Price | tuple[float, float]] = field(default_factory=dict)
    entries: list[LedgerEntry] = field(default_factory=list)

    def price(self, model: str) -> Price:
        p = self.prices.get(model, Price())
        return p if isinstance(p, Price) else Price(*p)

    def record(self, role: str, backend: str, model: str, gen: Generation) -> LedgerEntry:
        """Add the call that produced ``gen``; return its entry."""
        cost = 0.0 if gen.cached else self.price(model).cost(gen.prompt_tokens, gen.completion_tokens)
        entry = LedgerEntry(role, backend, model, gen.prompt_tokens, gen.completion_tokens, gen.latency_s,
                            cost, gen.cached, gen.error)
        self.entries.append(entry)
        return entry

    def to_list(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.entries]

    def metrics(self) -> dict[str, float]:
        return ledger_metrics(self.entries)


def ledger_metrics(entries: Iterable[LedgerEntry | Mapping[str, Any]]) -> dict[str, float]:
    """``llm_{role}_{total}`` and ``llm_{total}`` sums, e.g. ``llm_agent_prompt_tokens``, ``llm_cost_usd``.

    Every role in :data:`ROLES` gets its keys (zeros included), so means over episodes stay comparable.
    """
    out = {f"llm_{role}_{k}": 0.0 for role in ROLES for k in _TOTALS}
    out.update({f"llm_{k}": 0.0 for k in _TOTALS})
    for entry in entries:
        e = entry.to_dict() if isinstance(entry, LedgerEntry) else dict(entry)
        values = {"calls": 1, "cached": int(bool(e.get("cached"))), "errors": int(e.get("error") is not None),
                  **{k: e.get(k) or 0 for k in ("prompt_tokens", "completion_tokens", "latency_s", "cost_usd")}}
        for k, v in values.items():
            out[f"llm_{e['role']}_{k}"] = out.get(f"llm_{e['role']}_{k}", 0.0) + float(v)
            out[f"llm_{k}"] += float(v)
    return out


def sum_ledgers(ledgers: Iterable[Iterable[LedgerEntry | Mapping[str, Any]]]) -> dict[str, float]:
    """Totals over many episodes (e.g. each trajectory's ``extra["ledger"]``), for a run's summary."""
    total: dict[str, float] = {}
    for entries in ledgers:
        for k, v in ledger_metrics(entries).items():
            total[k] = total.get(k, 0.0) + v
    return total or ledger_metrics([])
