"""Plain-text tables of the statistics (what ``coalm-env sweep`` and ``coalm-env stats`` print)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tabulate import tabulate

__all__ = ["cells_table", "breakdown_table", "comparison_table", "fmt_interval"]


def fmt_interval(ci: Mapping[str, Any]) -> str:
    """``0.612 [0.540, 0.680]``; ``-`` for an empty sample."""
    if not ci.get("n"):
        return "-"
    return f"{ci['mean']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def cells_table(cells: Mapping[str, Mapping[str, Any]], tablefmt: str = "simple") -> str:
    """One row per cell: episodes, errored, success with CI, pass^k for every k, flip rate, tokens."""
    top = max((len(c["pass_hat_k"]) for c in cells.values()), default=0)
    headers = ["cell", "episodes", "errored", "user faults", "success [95% CI]",
               *(f"pass^{k}" for k in range(1, top + 1)), "flip rate", "tokens", "cost"]
    rows = []
    for label, c in cells.items():
        ledger = c.get("ledger") or {}
        tokens = ledger.get("prompt_tokens", 0) + ledger.get("completion_tokens", 0)
        cost = ledger.get("cost_usd", ledger.get("cost"))
        rows.append([label, c["episodes"], c["errored"], c["user_faults"], fmt_interval(c["success"]),
                     *(_num(c["pass_hat_k"].get(str(k))) for k in range(1, top + 1)), _num(c["flip_rate"]),
                     int(tokens) if ledger.get("entries") else "-", _num(cost, 4)])
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def breakdown_table(name: str, groups: Mapping[str, Mapping[str, Any]], tablefmt: str = "simple") -> str:
    rows = [[value, g["episodes"], fmt_interval(g["success"])] for value, g in groups.items()]
    return tabulate(rows, headers=[name, "episodes", "success [95% CI]"], tablefmt=tablefmt,
                    disable_numparse=True)


def comparison_table(label_a: str, label_b: str, result: Mapping[str, Any], tablefmt: str = "simple") -> str:
    """A vs B: pairs, both means, the difference with CI, McNemar's counts and p, the verdict."""
    rows = [
        ["A", label_a],
        ["B", label_b],
        ["metric", result["metric"]],
        ["paired episodes", result["n_pairs"]],
        ["mean A / mean B", f"{_num(result['mean_a'])} / {_num(result['mean_b'])}"],
        ["A - B [95% CI]", fmt_interval(result["difference"])],
        ["discordant (A only / B only)", f"{result['a_only']} / {result['b_only']}"],
        ["McNemar exact p", _num(result["p_value"], 4)],
        ["noise floor (flip rate)", _num(result["noise_floor"])],
        ["verdict", result["verdict"] + (" (below the noise floor)" if result["below_noise_floor"] else "")],
    ]
    return tabulate(rows, tablefmt=tablefmt, disable_numparse=True)
