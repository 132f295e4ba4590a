"""Benchmarks (not tests): throughput, reset cost against database size, memory of live episodes,
and the per-dataset oracle/baseline figures.

Run ``python -m experiments.benchmarks.core --help`` (or ``.multiwoz``, ``.bfcl_oracle``,
``.apibank_oracle``) from the repository root. Results are written under ``experiments/results/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results"


def save_results(results: dict[str, Any], out: str | Path | None, default_name: str) -> Path:
    """Write ``results`` as JSON to ``out`` (default: ``experiments/results/<default_name>``) and say where."""
    path = Path(out) if out else RESULTS / default_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")
    return path


def run_child(code: str, cwd: Path, env: dict[str, str] | None = None, python: str = sys.executable,
              what: str = "a benchmark child") -> dict[str, Any]:
    """Run ``code`` in a fresh ``python`` and return the JSON of its last stdout line; a failing child is one
    ``error:`` exit naming ``what`` with the end of its stderr."""
    out = subprocess.run([python, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"error: {what} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def ratio_rows(sums: dict[str, dict[str, float]], reference: str) -> list[dict[str, Any]]:
    """One row per side of a side-by-side run from its summed child figures (``episodes``, ``wall_s``, ``cpu_s``,
    ``success``): episodes/s by wall and CPU second, success, and ``x_<reference>_wall`` / ``x_<reference>_cpu``, the
    ratios to ``reference``'s row."""
    ref = sums[reference]
    ref_wall, ref_cpu = ref["episodes"] / ref["wall_s"], ref["episodes"] / ref["cpu_s"]
    rows = []
    for name, s in sums.items():
        eps, eps_cpu = s["episodes"] / s["wall_s"], s["episodes"] / s["cpu_s"]
        rows.append({"loop": name, "episodes": int(s["episodes"]), "success": s["success"] / s["episodes"],
                     "eps_per_s": eps, "eps_per_cpu_s": eps_cpu,
                     f"x_{reference}_wall": eps / ref_wall, f"x_{reference}_cpu": eps_cpu / ref_cpu})
    return rows
