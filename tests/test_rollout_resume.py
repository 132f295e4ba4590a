"""coalm-env rollout --resume: a killed run, rerun into the same --out, ends with every episode once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coalm_env.errors import ConfigError
from coalm_env.rollout import RolloutConfig, run_rollouts

EPISODES = 24
ARGS = ["rollout", "coalm/Travel-v0", "--policy", "oracle", "--user", "agenda", "--episodes", str(EPISODES),
        "--batch-size", "4", "--no-progress"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "coalm_env.cli", *args]


def _lines(path: Path) -> list[str]:
    return (path / "trajectories.jsonl").read_text(encoding="utf-8").splitlines()


def _kill_after(out: Path, lines: int, timeout: float = 120.0) -> None:
    proc = subprocess.Popen(_cli(*ARGS, "--out", str(out)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    path = out / "trajectories.jsonl"
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= lines:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_resume_after_sigkill(tmp_path: Path) -> None:
    full = tmp_path / "full"
    assert subprocess.run(_cli(*ARGS, "--out", str(full)), capture_output=True).returncode == 0
    out = tmp_path / "killed"
    _kill_after(out, 5)
    kept = len(_lines(out))
    assert kept < EPISODES, "the run finished before it was killed: kill it earlier"
    with open(out / "trajectories.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"env_id": "coalm/Trav')  # a torn last line, as a kill mid-write leaves
    done = subprocess.run(_cli(*ARGS, "--out", str(out), "--resume"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = _lines(out)
    assert [json.loads(line)["extra"]["episode"] for line in lines] == list(range(EPISODES))
    assert lines == _lines(full)  # the same episodes, byte for byte, as an uninterrupted run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["episodes"] == EPISODES


def test_resume_of_a_finished_run_plays_nothing_and_more_episodes_extend_it(tmp_path: Path) -> None:
    config = RolloutConfig("coalm/Travel-v0", "oracle", user="agenda", episodes=3, out_dir=str(tmp_path))
    first = run_rollouts(config, progress=False)
    again = run_rollouts(config, progress=False, resume=True)
    assert again.timing["steps"] == first.timing["steps"] and len(_lines(tmp_path)) == 3
    more = RolloutConfig("coalm/Travel-v0", "oracle", user="agenda", episodes=5, out_dir=str(tmp_path))
    assert run_rollouts(more, progress=False, resume=True).summary["episodes"] == 5
    assert [json.loads(line)["extra"]["episode"] for line in _lines(tmp_path)] == list(range(5))


def test_resume_refuses_another_config(tmp_path: Path) -> None:
    run_rollouts(RolloutConfig("coalm/Travel-v0", "oracle", user="agenda", episodes=2, out_dir=str(tmp_path)),
                 progress=False)
    other = RolloutConfig("coalm/Travel-v0", "random", user="agenda", episodes=2, out_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="policy"):
        run_rollouts(other, progress=False, resume=True)


def test_without_resume_the_output_is_truncated(tmp_path: Path) -> None:
    config = RolloutConfig("coalm/Travel-v0", "oracle", user="agenda", episodes=2, out_dir=str(tmp_path))
    run_rollouts(config, progress=False)
    run_rollouts(config, progress=False)
    assert len(_lines(tmp_path)) == 2
