"""Sweep configs, the crash-safe results store, resume, skipped cells and the CLI (in-process runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coalm_env.cli import main
from coalm_env.errors import ConfigError, DataCorruptError, UnknownNameError
from coalm_env.jsonl import read_lines, repair
from coalm_env.sweep import SweepConfig, load_config, plan_sweep, run_sweep
from coalm_env.sweep.store import ResultStore

TINY = {"envs": ["coalm/Travel-v0"], "policies": ["oracle", "rule"], "users": ["agenda"], "trials": 2,
        "scenarios": 3}


def write_config(path: Path, data: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_config_cells_keys_and_hash(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path / "c.yaml", {**TINY, "seeds": [0, 1]}))
    assert [c.label for c in config.cells()] == ["coalm/Travel-v0 test | oracle | agenda",
                                                 "coalm/Travel-v0 test | rule | agenda"]
    plan = plan_sweep(config)
    keys = [e.key for e in plan.episodes]
    assert len(keys) == len(set(keys)) == 2 * 3 * 2 * 2  # cells x scenarios x seeds x trials
    # the same scenario, seed and trial gets the same reset seed under every policy (paired episodes)
    by_rest = {}
    for e in plan.episodes:
        by_rest.setdefault((e.scenario_id, e.seed, e.trial), set()).add(e.reset_seed)
    assert all(len(seeds) == 1 for seeds in by_rest.values())
    # execution settings and the name are not part of the hash; the grid is
    same = SweepConfig.from_dict({**TINY, "seeds": [0, 1], "name": "x", "execution": {"workers": 4}})
    assert same.hash() == config.hash()
    assert SweepConfig.from_dict({**TINY, "seeds": [0, 1], "trials": 3}).hash() != config.hash()


@pytest.mark.parametrize("data, needle", [
    ({**TINY, "trails": 3}, "did you mean 'trials'"),
    ({**TINY, "execution": {"worker": 2}}, "did you mean 'workers'"),
    ({**TINY, "execution": {"start_method": "fork"}}, "start_method"),
    ({**TINY, "trials": 0}, "trials must be a positive integer"),
    ({**TINY, "seeds": [0, 0]}, "distinct"),
    ({**TINY, "scenarios": -1}, "positive count"),
    ({"policies": ["rule"]}, "needs 'envs'"),
])
def test_config_errors(data: dict, needle: str) -> None:
    with pytest.raises((ConfigError, UnknownNameError), match=needle):
        SweepConfig.from_dict(data)


def test_torn_last_line_dropped_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3, "b"')
    assert read_lines(path) == [{"a": 1}, {"a": 2}]
    assert repair(path) == len(b'{"a": 3, "b"')
    assert path.read_bytes() == b'{"a": 1}\n{"a": 2}\n' and repair(path) == 0
    # a complete line without its newline is torn as well: the writer writes line and newline at once
    path.write_bytes(b'{"a": 1}\n{"a": 2}')
    assert read_lines(path) == [{"a": 1}]
    path.write_bytes(b'{"a": 1}\nnot json\n{"a": 2}\n')  # damage before the end is not a crash artefact
    with pytest.raises(DataCorruptError, match="r.jsonl:2"):
        read_lines(path)


def test_store_refuses_another_config(tmp_path: Path) -> None:
    with ResultStore(tmp_path, "aaaa").open({}) as store:
        store.append({"key": "k1", "x": 1})
        store.append({"key": "k1", "x": 2})  # a finished key is never written twice
    assert [line["x"] for line in read_lines(tmp_path / "results.jsonl")] == [1]
    with pytest.raises(ConfigError, match="holds results of config aaaa"):
        ResultStore(tmp_path, "bbbb").open({})
    (tmp_path / "sweep.json").unlink()  # even without the manifest, every line carries its hash
    with pytest.raises(ConfigError, match="has a result of config aaaa"):
        ResultStore(tmp_path, "bbbb").open({})
    assert not (tmp_path / "sweep.json").exists()  # a refused open leaves the directory as it was


def test_rerun_skips_finished_keys_and_repairs_a_torn_line(tmp_path: Path) -> None:
    config = SweepConfig.from_dict(TINY)
    first = run_sweep(config, tmp_path, progress=False, log=lambda _: None)
    assert first.ran == 12 and first.summary["episodes"] == 12
    results = tmp_path / "results.jsonl"
    lines = results.read_bytes().splitlines(keepends=True)
    results.write_bytes(b"".join(lines[:-2]) + lines[-2][:50])  # lose one episode, tear the next
    notes: list[str] = []
    again = run_sweep(config, tmp_path, progress=False, log=notes.append)
    assert again.ran == 2 and any("torn" in n for n in notes)
    keys = [line["key"] for line in read_lines(results)]
    assert sorted(keys) == sorted(e.key for e in first.plan.episodes)
    assert run_sweep(config, tmp_path, progress=False, log=lambda _: None).ran == 0
    oracle = again.summary["cells"]["coalm/Travel-v0 test | oracle | agenda"]
    assert oracle["success"]["mean"] == 1.0 and oracle["pass_hat_k"] == {"1": 1.0, "2": 1.0}


def test_cells_without_data_are_skipped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COALM_ENV_DATA", str(tmp_path / "empty"))
    config = SweepConfig.from_dict({**TINY, "policies": ["rule"], "envs": ["coalm/Travel-v0", "coalm/MultiWOZ-v0"]})
    plan = plan_sweep(config)
    assert [c.spec.env_id for c in plan.cells] == ["coalm/Travel-v0"]
    (cell, reason), = plan.skipped
    assert cell.env_id == "coalm/MultiWOZ-v0" and "coalm-env data fetch multiwoz24" in reason


def test_sweep_and_stats_cli(tmp_path: Path, capsys) -> None:
    config = write_config(tmp_path / "c.yaml", {**TINY, "policies": ["rule", "random"]})
    out = tmp_path / "sweep"
    assert main(["sweep", str(config), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "coalm/Travel-v0 test | rule | agenda" in printed and "pass^2" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == summary["expected"] == 12
    assert main(["stats", str(out), "--compare", "rule", "random", "--breakdowns", "--json",
                 str(tmp_path / "s.json")]) == 0
    printed = capsys.readouterr().out
    assert "McNemar exact p" in printed and "policy | stop_reason" in printed
    assert json.loads((tmp_path / "s.json").read_text())["comparison"]["n_pairs"] == 6
    other = write_config(tmp_path / "d.yaml", {**TINY, "trials": 3})
    assert main(["sweep", str(other), "--out", str(out), "--no-progress"]) == 2
    assert "holds results of config" in capsys.readouterr().err
    assert main(["stats", str(out), "--compare", "nope", "rule"]) == 2


def test_example_config_parses() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "experiments" / "sweeps" / "example.yaml")
    cells = config.cells()
    assert config.trials == 3 and len(cells) == 30
    react = [c for c in cells if c.policy.startswith("react:hf:")]
    assert len(react) == 3 and {c.env_id for c in react} == {"coalm/Travel-v0"}  # the tiny model: Travel only
    assert {c.env_id for c in cells} == {"coalm/Travel-v0", "coalm/MultiWOZ-v0", "coalm/BFCL-MultiTurn-v0",
                                         "coalm/APIBank-v0"}
    assert {c.user for c in cells if c.env_id == "coalm/APIBank-v0"} == {None}  # the domain's own user


def test_per_env_policies_override() -> None:
    config = SweepConfig.from_dict({**TINY, "policies": ["rule"],
                                    "envs": ["coalm/Travel-v0", {"id": "coalm/Travel-v0", "options": {"max_turns": 6},
                                                                 "policies": ["oracle", "random"]}]})
    pairs = {(c.options.get("max_turns"), c.policy) for c in config.cells()}
    assert pairs == {(None, "rule"), (6, "oracle"), (6, "random")}
