"""Crash safety and the process pool: a sweep killed with SIGKILL at random moments and rerun ends with
every episode exactly once, and 2 workers give the same results as 1."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coalm_env.jsonl import read_lines
from coalm_env.sweep import SweepConfig, plan_sweep, run_sweep

#: 72 episodes: long enough (about 1 s of episodes on a fast 2-core box) that the kills below land mid-run
GRID = {"envs": ["coalm/Travel-v0"], "policies": ["rule", "random"], "users": ["agenda"], "trials": 6,
        "scenarios": 6, "execution": {"chunk_size": 2}}

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def _sweep_cmd(config: Path, out: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "coalm_env.cli", "sweep", str(config), "--out", str(out),
            "--workers", str(workers), "--no-progress"]


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _kill_when(cmd: list[str], results: Path, target: int, delay: float) -> None:
    """Start the sweep in its own process group; once ``results`` has ``target`` lines, wait ``delay``
    seconds and SIGKILL the group (the sweep and its workers). ``target = 0``: kill after ``delay``."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while target and _lines(results) < target and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _check_exactly_once(out: Path, expected: set[str]) -> dict[str, dict]:
    data = (out / "results.jsonl").read_bytes()
    assert data.endswith(b"\n"), "a torn last line was left behind"
    keys = [line["key"] for line in read_lines(out / "results.jsonl")]
    assert len(keys) == len(set(keys)), "an episode was written twice"
    assert set(keys) == expected
    return {line["key"]: line for line in read_lines(out / "results.jsonl")}


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_after_sigkill_at_random_points(tmp_path: Path, workers: int) -> None:
    import yaml

    config_path = tmp_path / "grid.yaml"
    config_path.write_text(yaml.safe_dump(GRID), encoding="utf-8")
    out = tmp_path / "sweep"
    expected = {e.key for e in plan_sweep(SweepConfig.from_dict(GRID)).episodes}
    results = out / "results.jsonl"
    rng = random.Random(1234 + workers)
    cmd = _sweep_cmd(config_path, out, workers)
    # during start-up (interpreter, imports, planning: about 0.5 s on a fast box; a later kill on a fast box
    # could find the sweep already finished, which left no kill mid-run to test)
    _kill_when(cmd, results, 0, rng.uniform(0.05, 0.3))
    partial_counts = []
    for _ in range(4):  # at a random episode count, a random few milliseconds later (mid-write at times)
        _kill_when(cmd, results, _lines(results) + rng.randint(1, 8), rng.uniform(0.0, 0.03))
        partial_counts.append(_lines(results))
    finished = subprocess.run(_sweep_cmd(config_path, out, workers), capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    resumed = _check_exactly_once(out, expected)
    assert partial_counts and min(partial_counts) < len(expected), "no kill landed before the sweep finished"
    # resumed results equal those of one uninterrupted run
    clean = tmp_path / "clean"
    run_sweep(SweepConfig.from_dict(GRID), clean, workers=1, progress=False, log=lambda _: None)
    reference = _check_exactly_once(clean, expected)
    assert all(resumed[k]["trajectory"] == reference[k]["trajectory"] for k in expected)


def test_two_workers_match_one(tmp_path: Path) -> None:
    grid = {**GRID, "policies": ["oracle", "rule", "random"], "trials": 2, "scenarios": 4}  # (its own size)
    config = SweepConfig.from_dict(grid)
    one = run_sweep(config, tmp_path / "one", workers=1, progress=False, log=lambda _: None)
    start = time.perf_counter()
    two = run_sweep(config, tmp_path / "two", workers=2, progress=False, log=lambda _: None)
    assert time.perf_counter() - start < 120
    expected = {e.key for e in one.plan.episodes}
    a, b = _check_exactly_once(tmp_path / "one", expected), _check_exactly_once(tmp_path / "two", expected)
    assert all(a[k] == b[k] for k in expected)
    strip = ("wall_s",)
    assert {k: v for k, v in one.summary.items() if k not in strip} == \
        {k: v for k, v in two.summary.items() if k not in strip}
