"""``--backend ray``: the same sweep on Ray actors (a 2-CPU local Ray instance) gives the local pool's results.

Skipped, with the reason, only when ray (the ``[ray]`` extra) is not importable.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from coalm_env.cli import main
from coalm_env.errors import ConfigError
from coalm_env.jsonl import read_lines
from coalm_env.sweep import SweepConfig, run_sweep

HAVE_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAVE_RAY, reason='ray is not installed (pip install -e ".[ray]")')

# oracle and rule x agenda on Travel: deterministic given the reset seeds; chunk_size 2 makes several
# chunks per cell, so two actors share the work and each plays chunks of both cells
TINY = {"envs": ["coalm/Travel-v0"], "policies": ["oracle", "rule"], "users": ["agenda"], "trials": 2,
        "scenarios": 3, "execution": {"chunk_size": 2}}


def _outcomes(out: Path) -> dict[str, tuple]:
    lines = read_lines(out / "results.jsonl")
    keys = [line["key"] for line in lines]
    assert len(keys) == len(set(keys))
    out_map = {}
    for line in lines:
        traj = line["trajectory"]
        out_map[line["key"]] = (line["cell"], line["label"], line["scenario_id"], line["seed"], line["trial"],
                                line["config_hash"], traj["stop_reason"], traj["reward"],
                                json.dumps(traj["metrics"], sort_keys=True), json.dumps(traj["messages"], sort_keys=True))
    return out_map


@needs_ray
def test_ray_backend_matches_the_local_pool(tmp_path: Path) -> None:
    import ray

    config = SweepConfig.from_dict(TINY)
    local = run_sweep(config, tmp_path / "local", workers=1, progress=False, log=lambda _: None)
    assert not ray.is_initialized()
    try:
        remote = run_sweep(config, tmp_path / "ray", workers=2, progress=False, log=lambda _: None, backend="ray")
        assert not ray.is_initialized()  # the Ray instance it started is shut down after the sweep
    finally:
        ray.shutdown()
    assert local.ran == remote.ran == 2 * 3 * 2
    expected = _outcomes(tmp_path / "local")
    assert _outcomes(tmp_path / "ray") == expected
    assert {k: v["success"] for k, v in remote.summary["cells"].items()} == \
        {k: v["success"] for k, v in local.summary["cells"].items()}
    # a rerun skips every finished key without starting Ray at all (nothing to run)
    again = run_sweep(config, tmp_path / "ray", workers=2, progress=False, log=lambda _: None, backend="ray")
    assert again.ran == 0 and _outcomes(tmp_path / "ray") == expected and not ray.is_initialized()


@needs_ray
def test_ray_backend_resumes_a_partial_local_sweep(tmp_path: Path) -> None:
    """Half the episodes written by the local pool, the rest by Ray: every episode exactly once, same outcomes."""
    import ray
    import yaml

    config = SweepConfig.from_dict(TINY)
    run_sweep(config, tmp_path / "full", workers=1, progress=False, log=lambda _: None)
    expected = _outcomes(tmp_path / "full")
    partial = tmp_path / "partial"
    partial.mkdir()
    raw = (tmp_path / "full" / "results.jsonl").read_bytes().splitlines(keepends=True)
    (partial / "results.jsonl").write_bytes(b"".join(raw[:5]) + raw[5][:40])  # and a torn line
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(TINY), encoding="utf-8")
    try:
        assert main(["sweep", str(path), "--out", str(partial), "--workers", "1", "--backend", "ray",
                     "--no-progress"]) == 0
    finally:
        ray.shutdown()
    assert _outcomes(partial) == expected


def test_address_needs_the_ray_backend(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only for the ray backend"):
        run_sweep(SweepConfig.from_dict(TINY), tmp_path, progress=False, address="auto")
    assert not (tmp_path / "results.jsonl").exists()


def test_ray_backend_without_ray_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ConfigError, match="needs the ray package") as info:
        run_sweep(SweepConfig.from_dict(TINY), tmp_path / "out", progress=False, backend="ray")
    assert ".[ray]" in str(info.value.hint)
    assert not (tmp_path / "out").exists()
