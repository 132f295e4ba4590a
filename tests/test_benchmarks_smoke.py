"""The core benchmark script runs end to end (tiny sizes, fixture domain); no timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

from fixture_domain import fixture_env_id  # noqa: F401 (a pytest fixture)

from experiments.benchmarks import core


def test_core_benchmark_runs(fixture_env_id: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "core.json"
    argv = ["--env-id", fixture_env_id, "--episodes", "6", "--batch-size", "4", "--db-sizes", "0,500",
            "--resets", "3", "--concurrent", "20", "--out", str(out)]
    results = core.main(argv)
    assert json.loads(out.read_text()) == json.loads(json.dumps(results))
    assert results["throughput"]["success_rate"] == 1.0 and results["throughput"]["episodes_per_s"] > 0
    assert [r["db_rows"] for r in results["reset_vs_db_size"]] == [5, 505]
    assert results["memory"]["episodes"] == 20 and results["memory"]["per_episode_kb"] > 0
    assert "reset_ms_mean" in capsys.readouterr().out
