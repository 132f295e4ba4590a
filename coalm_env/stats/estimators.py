"""The estimators, on plain arrays: bootstrap intervals, pass^k, paired tests, flip rates.

Everything random is seeded (``seed`` arguments), so the same results give the same intervals. scipy is
imported inside the functions that need it, so importing :mod:`coalm_env.stats` stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "Interval",
    "bootstrap_mean",
    "pass_hat_k",
    "pass_hat_curve",
    "mcnemar_exact",
    "PairedComparison",
    "paired_compare",
    "flip_rate",
    "pairwise_flip_rate",
]

#: bootstrap resamples unless told otherwise
N_RESAMPLES = 2000


@dataclass(frozen=True)
class Interval:
    """A mean with a percentile-bootstrap confidence interval over ``n`` values (NaN when ``n == 0``)."""

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        if self.n == 0:
            return "-"
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap_mean(
    values: Sequence[float], *, confidence: float = 0.95, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> Interval:
    """The mean of ``values`` with a percentile-bootstrap interval (``scipy.stats.bootstrap``).

    A sample with no spread (all values equal, including one value) has the degenerate interval
    ``[mean, mean]``: resampling cannot move it, and scipy would warn instead of answering.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0, confidence)
    mean = float(x.mean())
    if np.all(x == x[0]):
        return Interval(mean, mean, mean, int(x.size), confidence)
    from scipy.stats import bootstrap

    res = bootstrap((x,), np.mean, confidence_level=confidence, n_resamples=n_resamples, method="percentile",
                    rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Interval(mean, float(ci.low), float(ci.high), int(x.size), confidence)


def pass_hat_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """tau-bench's pass^k: the chance that ``k`` trials of a scenario, drawn without replacement from
    its ``n`` trials, all succeed, averaged over scenarios. Per scenario with ``n`` trials and ``c``
    successes the unbiased estimate is ``C(c, k) / C(n, k)``. ``counts`` holds ``(n, c)`` per scenario;
    scenarios with fewer than ``k`` trials are left out (NaN when none is left)."""
    from scipy.special import comb

    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    usable = [(n, c) for n, c in counts if n >= k]
    if not usable:
        return math.nan
    return float(np.mean([comb(c, k, exact=True) / comb(n, k, exact=True) for n, c in usable]))


def pass_hat_curve(counts: Sequence[tuple[int, int]], max_k: int | None = None) -> dict[int, float]:
    """``{k: pass^k}`` for ``k = 1 .. max_k`` (default: the largest ``n`` every scenario has)."""
    if not counts:
        return {}
    top = max_k if max_k is not None else min(n for n, _ in counts)
    return {k: pass_hat_k(counts, k) for k in range(1, top + 1)}


def mcnemar_exact(a: Sequence[bool], b: Sequence[bool]) -> tuple[int, int, float]:
    """McNemar's exact test on paired binary outcomes: ``(a_only, b_only, two-sided p)``, the p-value of
    ``a_only`` successes in ``a_only + b_only`` discordant pairs under Binomial(n, 1/2)
    (``scipy.stats.binomtest``); 1.0 without discordant pairs."""
    from scipy.stats import binomtest

    x, y = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if x.shape != y.shape:
        raise ValueError(f"paired outcomes need equal lengths, got {x.size} and {y.size}")
    a_only, b_only = int(np.sum(x & ~y)), int(np.sum(~x & y))
    if a_only + b_only == 0:
        return a_only, b_only, 1.0
    return a_only, b_only, float(binomtest(a_only, a_only + b_only, 0.5).pvalue)


@dataclass(frozen=True)
class PairedComparison:
    """A vs B on the same episodes: ``difference`` is mean(A) - mean(B) with its paired-bootstrap
    interval; ``p_value`` is McNemar's exact test on the discordant pairs. ``inside_noise``: the
    interval holds 0 or ``p_value >= alpha`` (no evidence either way)."""

    n_pairs: int
    mean_a: float
    mean_b: float
    difference: Interval
    a_only: int
    b_only: int
    p_value: float
    alpha: float
    inside_noise: bool

    @property
    def verdict(self) -> str:
        if self.n_pairs == 0:
            return "no pairs"
        if self.inside_noise:
            return "inside noise"
        return "A better" if self.difference.mean > 0 else "B better"

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["difference"] = self.difference.to_dict()
        out["verdict"] = self.verdict
        return out


def paired_compare(
    a: Sequence[float], b: Sequence[float], *, alpha: float = 0.05, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> PairedComparison:
    """Compare paired outcomes ``a[i]`` and ``b[i]`` (the same scenario and trial under two policies).

    The difference interval is a paired bootstrap: pairs are resampled together, which is the bootstrap
    of the per-pair differences. McNemar needs binary outcomes: values are read as success when > 0.5.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"paired outcomes need equal lengths, got {x.size} and {y.size}")
    diff = bootstrap_mean(x - y, confidence=1 - alpha, n_resamples=n_resamples, seed=seed)
    a_only, b_only, p = mcnemar_exact(x > 0.5, y > 0.5)
    empty = x.size == 0
    inside = empty or diff.contains(0.0) or p >= alpha
    return PairedComparison(
        n_pairs=int(x.size),
        mean_a=math.nan if empty else float(x.mean()),
        mean_b=math.nan if empty else float(y.mean()),
        difference=diff,
        a_only=a_only,
        b_only=b_only,
        p_value=p,
        alpha=alpha,
        inside_noise=bool(inside),
    )


def flip_rate(a: Sequence[bool], b: Sequence[bool]) -> float:
    """The fraction of scenarios whose outcome differs between two runs (``a[i]`` vs ``b[i]``)."""
    x, y = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if x.shape != y.shape:
        raise ValueError(f"paired outcomes need equal lengths, got {x.size} and {y.size}")
    return math.nan if x.size == 0 else float(np.mean(x != y))


def pairwise_flip_rate(counts: Sequence[tuple[int, int]]) -> float:
    """The run-to-run flip rate of one cell from repeated trials: the chance that two distinct trials
    of a scenario disagree, averaged over scenarios. With ``n`` trials and ``c`` successes a scenario
    has ``c * (n - c)`` discordant pairs out of ``C(n, 2)``; this is :func:`flip_rate` of two runs,
    averaged over every way of picking the two runs. Scenarios with one trial are left out."""
    usable = [(n, c) for n, c in counts if n >= 2]
    if not usable:
        return math.nan
    return float(np.mean([c * (n - c) / (n * (n - 1) / 2) for n, c in usable]))
