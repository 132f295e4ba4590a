"""Reports of sweep and rollout directories: ``report.md``, PNG plots and a self-contained ``report.html``.

- :mod:`~coalm_env.report.load`: episodes (record + trajectory) and the scenario goals, looked up in
  the domain at report time.
- :mod:`~coalm_env.report.markdown`: the tables of :mod:`coalm_env.stats` as Markdown.
- :mod:`~coalm_env.report.plots`: matplotlib plots (the ``plot`` extra).
- :mod:`~coalm_env.report.transcripts` and :mod:`~coalm_env.report.html`: the transcript viewer page.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["write_report"]


def write_report(dirs: Sequence[str | Path], out: str | Path, *, compare: Sequence[tuple[str, str]] = (),
                 seed: int = 0, include_errored: bool = False, plots: bool = True) -> dict[str, Any]:
    """Write ``report.md``, the plots and ``report.html`` under ``out``.

    Args:
        dirs: sweep directories (``results.jsonl``) or rollout directories (``trajectories.jsonl``).
        out: the output directory.
        compare: pairs of cell labels to compare (paired bootstrap and McNemar).
        seed: the bootstrap seed.
        include_errored: count errored episodes as failures in the success statistics.
        plots: draw the PNG plots (needs matplotlib).

    Returns:
        The statistics (:func:`coalm_env.stats.analyze`), with ``comparisons`` added.
    """
    from coalm_env.report.html import render_html
    from coalm_env.report.load import load_episodes
    from coalm_env.report.markdown import render_markdown
    from coalm_env.report.transcripts import episode_views
    from coalm_env.stats import analyze, compare_cells, group_by_cell

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    episodes = load_episodes(dirs)
    records = [ep.record for ep in episodes]
    stats = analyze(records, include_errored=include_errored, seed=seed)
    cells = group_by_cell(records)
    stats["comparisons"] = [{"a": a, "b": b, **compare_cells(cells[a], cells[b], seed=seed)} for a, b in compare]
    figures = []
    if plots:
        from coalm_env.report.plots import write_plots

        figures = write_plots(stats, records, out)
    sources = [str(d) for d in dirs]
    (out / "report.md").write_text(render_markdown(stats, stats["comparisons"], figures, sources), encoding="utf-8")
    (out / "report.html").write_text(render_html(stats, episode_views(episodes), sources), encoding="utf-8")
    return stats
