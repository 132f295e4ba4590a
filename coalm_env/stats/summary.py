"""Statistics of cells of episode records: what ``coalm-env stats`` and ``coalm-env sweep`` print.

A *cell* is one (env, options, split, policy, user) combination; its episodes are scenarios times
repetitions (seeds x trials). Errored episodes (``stop_reason == "errored"``: an LLM backend failed) say
nothing about the agent, so success statistics leave them out by default and count them; the variant
"errored as failures" is reported beside. Episodes with a flagged user fault are kept, and the success
without them is reported too.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from coalm_env.stats.estimators import (
    N_RESAMPLES,
    bootstrap_mean,
    paired_compare,
    pairwise_flip_rate,
    pass_hat_curve,
)
from coalm_env.stats.records import EpisodeRecord

__all__ = ["group_by_cell", "cell_stats", "breakdown", "compare_cells", "ledger_totals", "scenario_counts",
           "BREAKDOWNS"]

#: record attributes a breakdown can group by
BREAKDOWNS = ("domain", "persona", "stop_reason")


def group_by_cell(records: Iterable[EpisodeRecord]) -> dict[str, list[EpisodeRecord]]:
    """Records per cell label, cells in first-seen order."""
    cells: dict[str, list[EpisodeRecord]] = {}
    for rec in records:
        cells.setdefault(rec.cell, []).append(rec)
    return cells


def scenario_counts(records: Iterable[EpisodeRecord]) -> list[tuple[int, int]]:
    """``(trials, successes)`` per scenario, the input of pass^k and the flip rate."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for rec in records:
        counts[rec.scenario_id][0] += 1
        counts[rec.scenario_id][1] += int(rec.success > 0.5)
    return [(n, c) for n, c in counts.values()]


def _canonical(records: Iterable[EpisodeRecord]) -> list[EpisodeRecord]:
    """Records in a fixed order (cell, scenario, repetition): a seeded bootstrap then gives the same
    interval whatever order a process pool wrote the results in."""
    return sorted(records, key=lambda r: (r.cell, r.scenario_id, r.rep))


def ledger_totals(records: Iterable[EpisodeRecord]) -> dict[str, Any]:
    """Sums of every numeric ledger field present (``prompt_tokens``, ``completion_tokens``,
    ``latency_s``, ``cost_usd`` or ``cost``; flags such as ``cached`` count), overall and per role."""
    total: Counter[str] = Counter()
    by_role: dict[str, Counter[str]] = defaultdict(Counter)
    entries = 0
    for rec in records:
        for entry in rec.ledger:
            entries += 1
            for key, value in entry.items():
                if isinstance(value, (int, float)):  # bools count as 0/1
                    total[key] += value
                    by_role[str(entry.get("role", "?"))][key] += value
    return {"entries": entries, **dict(total), "by_role": {r: dict(c) for r, c in sorted(by_role.items())}}


def _metric_intervals(records: Sequence[EpisodeRecord], seed: int, n_resamples: int) -> dict[str, dict[str, Any]]:
    names = sorted({k for r in records for k in r.metrics})
    return {
        name: bootstrap_mean([r.metrics[name] for r in records if name in r.metrics], seed=seed,
                             n_resamples=n_resamples).to_dict()
        for name in names
    }


def cell_stats(
    records: Sequence[EpisodeRecord], *, include_errored: bool = False, seed: int = 0,
    n_resamples: int = N_RESAMPLES,
) -> dict[str, Any]:
    """Every statistic of one cell's records.

    Returns a dict with ``episodes``, ``errored``, ``user_faults``, ``scored`` (episodes in the success
    statistics), ``success`` (mean and 95% bootstrap CI), ``success_without_user_faults``,
    ``success_errored_as_failure``, ``metrics`` (each metric's mean and CI), ``pass_hat_k``
    (``{k: value}`` for k = 1..trials), ``flip_rate`` (the noise floor), ``scenarios``,
    ``stop_reasons`` and ``ledger`` totals.
    """
    records = _canonical(records)
    scored = [r for r in records if include_errored or not r.errored]
    clean = [r for r in scored if not r.user_fault]
    counts = scenario_counts(scored)

    def ci(recs: Sequence[EpisodeRecord], value: Callable[[EpisodeRecord], float] = lambda r: r.success):
        return bootstrap_mean([value(r) for r in recs], seed=seed, n_resamples=n_resamples).to_dict()

    return {
        "episodes": len(records),
        "errored": sum(r.errored for r in records),
        "user_faults": sum(r.user_fault for r in records),
        "scored": len(scored),
        "scenarios": len(counts),
        "success": ci(scored),
        "success_without_user_faults": ci(clean),
        "success_errored_as_failure": ci(records, lambda r: 0.0 if r.errored else r.success),
        "metrics": _metric_intervals(scored, seed, n_resamples),
        "pass_hat_k": {str(k): v for k, v in pass_hat_curve(counts).items()},
        "flip_rate": pairwise_flip_rate(counts),
        "stop_reasons": dict(sorted(Counter(r.stop_reason for r in records).items())),
        "ledger": ledger_totals(records),
    }


def breakdown(
    records: Sequence[EpisodeRecord], by: str | Sequence[str], *, include_errored: bool = False, seed: int = 0,
    n_resamples: int = N_RESAMPLES,
) -> dict[str, dict[str, Any]]:
    """Success (mean and CI) and episode counts per value of ``by`` (``domain``, ``persona``,
    ``stop_reason``, any record attribute, or a tuple of them: keys joined with `` | ``). Grouping by
    stop reason keeps errored episodes."""
    attrs = (by,) if isinstance(by, str) else tuple(by)
    groups: dict[str, list[EpisodeRecord]] = defaultdict(list)
    for rec in _canonical(records):
        if include_errored or "stop_reason" in attrs or not rec.errored:
            groups[" | ".join(str(getattr(rec, a)) for a in attrs)].append(rec)
    return {
        value: {
            "episodes": len(recs),
            "success": bootstrap_mean([r.success for r in recs], seed=seed, n_resamples=n_resamples).to_dict(),
        }
        for value, recs in sorted(groups.items())
    }


def compare_cells(
    a: Sequence[EpisodeRecord], b: Sequence[EpisodeRecord], *, metric: str = "success", alpha: float = 0.05,
    seed: int = 0, n_resamples: int = N_RESAMPLES,
) -> dict[str, Any]:
    """Paired comparison of two cells on the episodes they share (same env, split, scenario and
    repetition; errored episodes on either side dropped): the paired-bootstrap CI of the difference,
    McNemar's exact p, whether the difference is inside the noise, and both cells' flip rates (a
    difference smaller than the run-to-run flip rate is also flagged ``below_noise_floor``)."""
    def value(rec: EpisodeRecord) -> float:
        return rec.success if metric == "success" else rec.metrics.get(metric, math.nan)

    left = {r.pair_key: r for r in a if not r.errored}
    right = {r.pair_key: r for r in b if not r.errored}
    shared = [k for k in sorted(left) if k in right and not math.isnan(value(left[k])) and not math.isnan(value(right[k]))]
    result = paired_compare([value(left[k]) for k in shared], [value(right[k]) for k in shared], alpha=alpha,
                            seed=seed, n_resamples=n_resamples)
    floor = max(_nan_to(pairwise_flip_rate(scenario_counts(a)), 0.0),
                _nan_to(pairwise_flip_rate(scenario_counts(b)), 0.0))
    out = result.to_dict()
    out.update(metric=metric, noise_floor=floor,
               below_noise_floor=bool(result.n_pairs and abs(result.difference.mean) <= floor))
    return out


def _nan_to(value: float, default: float) -> float:
    return default if math.isnan(value) else value
