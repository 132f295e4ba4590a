"""``report.md``: the statistics of :mod:`coalm_env.stats` as GitHub-flavoured Markdown tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tabulate import tabulate

from coalm_env.stats.tables import breakdown_table, cells_table, comparison_table

__all__ = ["render_markdown"]


def _md(text: Any) -> str:
    """Cell labels hold ``|`` (``env | policy | user``), which would split a Markdown table column."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {_md(k): v for k, v in mapping.items()}


def _ledger_table(cells: Mapping[str, Mapping[str, Any]]) -> str | None:
    rows = []
    for label, c in cells.items():
        ledger = c.get("ledger") or {}
        if ledger.get("entries"):
            rows.append([_md(label), ledger["entries"], ledger.get("prompt_tokens", 0),
                         ledger.get("completion_tokens", 0), f"{ledger.get('latency_s', 0.0):.1f}",
                         ledger.get("cost_usd", ledger.get("cost", "-"))])
    if not rows:
        return None
    return tabulate(rows, headers=["cell", "calls", "prompt tokens", "completion tokens", "latency s", "cost"],
                    tablefmt="github", disable_numparse=True)


def _variants_table(cells: Mapping[str, Mapping[str, Any]]) -> str:
    from coalm_env.stats.tables import fmt_interval

    rows = [[_md(label), fmt_interval(c["success"]), fmt_interval(c["success_without_user_faults"]),
             fmt_interval(c["success_errored_as_failure"])] for label, c in cells.items()]
    return tabulate(rows, headers=["cell", "success", "without user-fault episodes", "errored as failures"],
                    tablefmt="github", disable_numparse=True)


def render_markdown(stats: Mapping[str, Any], comparisons: Sequence[Mapping[str, Any]] = (),
                    plots: Sequence[tuple[str, str]] = (), sources: Sequence[str] = ()) -> str:
    """The whole report: headline table, success variants, comparisons, breakdowns, ledger, plots.

    ``stats`` is :func:`coalm_env.stats.analyze`'s result, ``comparisons`` are ``{"a", "b", **result}``
    dicts of :func:`coalm_env.stats.compare_cells`, ``plots`` ``(title, file name)`` pairs."""
    cells = stats["cells"]
    out = ["# Report", ""]
    if sources:
        out += ["Results: " + ", ".join(f"`{s}`" for s in sources), ""]
    out += ["## Success per cell (bootstrap 95% CI), pass^k and flip rate", "",
            cells_table(_keys(cells), tablefmt="github"), "",
            "Errored episodes (a generation backend failed) are left out of the success statistics; the "
            "variants:", "", _variants_table(cells), ""]
    for comp in comparisons:
        out += [f"## Paired comparison: {_md(comp['a'])} vs {_md(comp['b'])}", "",
                "| | |\n" + comparison_table(_md(comp["a"]), _md(comp["b"]), comp, tablefmt="github"), ""]
    for by, groups in stats["breakdowns"].items():
        out += [f"## Success per policy and {by.replace('_', ' ')}", "",
                breakdown_table(f"policy \\| {by}", _keys(groups), tablefmt="github"), ""]
    ledger = _ledger_table(cells)
    if ledger:
        out += ["## Generation ledger (tokens, latency, cost)", "", ledger, ""]
    if plots:
        out += ["## Plots", ""] + [f"![{title}]({name})\n" for title, name in plots]
    return "\n".join(out).rstrip() + "\n"
