"""Statistics a reviewer trusts, over scored episodes: bootstrap CIs, pass^k, paired tests, noise floors.

- :mod:`~coalm_env.stats.estimators`: the estimators on plain arrays (percentile bootstrap, tau-bench
  pass^k, McNemar's exact test, paired bootstrap, flip rates); scipy is imported only when called.
- :mod:`~coalm_env.stats.records`: one :class:`EpisodeRecord` per episode, read from a sweep's
  ``results.jsonl`` or a rollout's ``trajectories.jsonl``.
- :mod:`~coalm_env.stats.summary`: per-cell statistics, breakdowns, paired comparison of two cells.
- :mod:`~coalm_env.stats.tables`: the tables the CLI prints.
"""

from __future__ import annotations

from coalm_env.stats.estimators import (
    Interval,
    PairedComparison,
    bootstrap_mean,
    flip_rate,
    mcnemar_exact,
    paired_compare,
    pairwise_flip_rate,
    pass_hat_curve,
    pass_hat_k,
)
from coalm_env.stats.records import EpisodeRecord, from_trajectory, load_records, records_of
from coalm_env.stats.summary import breakdown, cell_stats, compare_cells, group_by_cell, ledger_totals

__all__ = [
    "Interval",
    "PairedComparison",
    "bootstrap_mean",
    "flip_rate",
    "mcnemar_exact",
    "paired_compare",
    "pairwise_flip_rate",
    "pass_hat_curve",
    "pass_hat_k",
    "EpisodeRecord",
    "from_trajectory",
    "load_records",
    "records_of",
    "breakdown",
    "cell_stats",
    "compare_cells",
    "group_by_cell",
    "ledger_totals",
    "analyze",
]


def analyze(records: list[EpisodeRecord], **kwargs) -> dict:
    """``{"cells": {label: cell_stats}, "breakdowns": {by: breakdown}}`` of all records; breakdowns are
    per policy and domain, persona or stop reason (``"rule | impatient"``)."""
    from coalm_env.stats.summary import BREAKDOWNS

    cells = {label: cell_stats(recs, **kwargs) for label, recs in group_by_cell(records).items()}
    return {"cells": cells,
            "breakdowns": {by: breakdown(records, ("policy", by), **kwargs) for by in BREAKDOWNS}}
