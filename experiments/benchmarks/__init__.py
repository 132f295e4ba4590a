"""Benchmarks (not tests): throughput, reset cost against database size, memory of live episodes,
and the per-dataset oracle/baseline figures.

Run ``python -m experiments.benchmarks.core --help`` (or ``.multiwoz``, ``.bfcl_oracle``,
``.apibank_oracle``) from the repository root. Results are written under ``experiments/results/``.
"""

from __future__ import annotations

import json
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
