"""The report's PNG plots, drawn with matplotlib (the ``plot`` extra).

``matplotlib.figure.Figure`` is used without pyplot, so no global backend state is touched. Each
function takes the statistics (or records) and a path and returns the path it wrote.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from coalm_env.errors import DependencyNotInstalled
from coalm_env.stats.records import EpisodeRecord

__all__ = ["write_plots", "PLOTS"]

#: (file name, title) of every plot, in report order
PLOTS = (
    ("success_by_policy_persona.png", "Success by policy and persona (95% CI)"),
    ("pass_hat_k.png", "pass^k per cell"),
    ("turns_tool_calls.png", "Turns and tool calls per episode"),
    ("reward_components.png", "Reward components per cell (mean, 95% CI)"),
)

#: the dense reward terms (coalm_env.scoring.core.dense_components) plus the final reward
COMPONENTS = ("success", "graph_credit", "parse_errors", "tool_errors")


def _figure(width: float = 8.0, height: float = 4.5) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise DependencyNotInstalled("matplotlib", "plot") from exc
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _err(ci: Mapping[str, Any]) -> tuple[float, float]:
    """Error-bar lengths below and above the mean."""
    return max(ci["mean"] - ci["low"], 0.0), max(ci["high"] - ci["mean"], 0.0)


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else "..." + label[-(width - 3):]


def _without_shared_parts(labels: Sequence[str]) -> dict[str, str]:
    """Cell labels without the leading `` | ``-parts all of them share (``env split | policy | user``)."""
    parts = [label.split(" | ") for label in labels]
    n = 0
    while len(parts) > 1 and all(len(p) > n + 1 and p[n] == parts[0][n] for p in parts):
        n += 1
    return {label: " | ".join(p[n:]) for label, p in zip(labels, parts)}


def _grouped_bars(ax: Any, groups: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
    """Bars per outer key (x) and inner key (colour) of ``{x: {series: ci}}``, with CI error bars."""
    xs = list(groups)
    series = sorted({s for g in groups.values() for s in g})
    width = 0.8 / max(len(series), 1)
    for j, name in enumerate(series):
        pos = [i + (j - (len(series) - 1) / 2) * width for i, x in enumerate(xs) if name in groups[x]]
        cis = [groups[x][name] for x in xs if name in groups[x]]
        errs = list(zip(*[_err(ci) for ci in cis])) or [[], []]
        ax.bar(pos, [ci["mean"] for ci in cis], width, yerr=errs, capsize=3, label=_short(name, 30))
    ax.set_xticks(range(len(xs)), [_short(x, 24) for x in xs], rotation=20, ha="right")
    ax.legend(fontsize=7)


def success_by_policy_persona(stats: Mapping[str, Any], path: Path) -> Path:
    groups: dict[str, dict[str, Any]] = defaultdict(dict)
    for key, g in stats["breakdowns"]["persona"].items():
        policy, _, persona = key.partition(" | ")
        if g["success"].get("n"):
            groups[policy][persona] = g["success"]
    fig = _figure()
    ax = fig.add_subplot()
    _grouped_bars(ax, groups)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("success")
    ax.set_title("Success by policy and persona (95% bootstrap CI)")
    fig.savefig(path)
    return path


def pass_hat_k(stats: Mapping[str, Any], path: Path) -> Path:
    fig = _figure()
    ax = fig.add_subplot()
    names = _without_shared_parts(list(stats["cells"]))
    for label, cell in stats["cells"].items():
        curve = {int(k): v for k, v in cell["pass_hat_k"].items() if v == v}  # NaN (too few trials) left out
        if curve:
            ax.plot(sorted(curve), [curve[k] for k in sorted(curve)], marker="o", label=_short(names[label]))
    ax.set_xlabel("k (trials that must all succeed)")
    ax.set_ylabel("pass^k")
    ax.set_ylim(0, 1.05)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=7)
    ax.set_title("pass^k (tau-bench estimator)")
    fig.savefig(path)
    return path


def turns_tool_calls(records: Sequence[EpisodeRecord], path: Path) -> Path:
    by_policy: dict[str, list[EpisodeRecord]] = defaultdict(list)
    for rec in records:
        by_policy[rec.policy].append(rec)
    policies = sorted(by_policy)
    fig = _figure(10, 4.5)
    for i, metric in enumerate(("turns", "tool_calls")):
        ax = fig.add_subplot(1, 2, i + 1)
        data = [[r.metrics.get(metric, 0.0) for r in by_policy[p]] for p in policies]
        ax.boxplot(data, tick_labels=[_short(p, 20) for p in policies], showmeans=True)
        ax.set_title(f"{metric.replace('_', ' ')} per episode")
        ax.tick_params(axis="x", rotation=20)
    fig.savefig(path)
    return path


def reward_components(stats: Mapping[str, Any], path: Path) -> Path:
    names = _without_shared_parts(list(stats["cells"]))
    groups = {names[label]: {name: cell["metrics"][name] for name in COMPONENTS
                      if cell["metrics"].get(name, {}).get("n")}
              for label, cell in stats["cells"].items()}
    fig = _figure(10, 4.5)
    ax = fig.add_subplot()
    _grouped_bars(ax, groups)
    ax.set_ylabel("mean per episode")
    ax.set_title("Reward components per cell (95% bootstrap CI)")
    fig.savefig(path)
    return path


def write_plots(stats: Mapping[str, Any], records: Sequence[EpisodeRecord], out: Path) -> list[tuple[str, str]]:
    """Write every plot under ``out``; returns ``(title, file name)`` pairs."""
    out.mkdir(parents=True, exist_ok=True)
    success_by_policy_persona(stats, out / PLOTS[0][0])
    pass_hat_k(stats, out / PLOTS[1][0])
    turns_tool_calls(records, out / PLOTS[2][0])
    reward_components(stats, out / PLOTS[3][0])
    return [(title, name) for name, title in PLOTS]
