"""The ``coalm-env`` subcommands, called in-process through ``coalm_env.cli.main``."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from fixture_domain import fixture_env_id  # noqa: F401 (a pytest fixture)

from coalm_env.cli import main
from coalm_env.specs import ENV_SPECS, EnvSpec

TRAVEL = "coalm/Travel-v0"


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ")
    return err[0]


def test_list_shows_counts_and_data_hints(fixture_env_id: str, monkeypatch, capsys) -> None:
    monkeypatch.setitem(ENV_SPECS, "coalm/FixtureMissing-v0", EnvSpec("coalm/FixtureMissing-v0", "fixture_missing"))
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(fixture_env_id))
    assert "train=4 val=2 test=3" in row and "ready" in row
    missing = next(line for line in out.splitlines() if line.startswith("coalm/FixtureMissing-v0"))
    assert "coalm-env data fetch fixture" in missing
    assert TRAVEL in out and "oracle" in out


@pytest.mark.parametrize("env_id", ["fixture", TRAVEL])
def test_rollout_then_score(env_id: str, fixture_env_id: str, tmp_path: Path, capsys) -> None:
    env_id = fixture_env_id if env_id == "fixture" else env_id
    argv = ["rollout", env_id, "--episodes", "4", "--seed", "2", "--out", str(tmp_path), "--no-progress",
            "--batch-size", "3", "--env-option", "max_turns=8"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "success_rate" in out and "1.000" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["episodes"] == 4 and summary["success_rate"] == 1.0 and summary["options"] == {"max_turns": 8}
    assert main(["score", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "4 re-scored, 0 kept as recorded, 0 changed, 0 replay mismatches" in out
    rescored = json.loads((tmp_path / "rescore.json").read_text())
    assert rescored["metrics"] == summary["metrics"]


def test_rollout_scenario_option(fixture_env_id: str, tmp_path: Path) -> None:
    argv = ["rollout", fixture_env_id, "--episodes", "2", "--scenario", "fixture-train-3", "--policy", "echo",
            "--out", str(tmp_path), "--no-progress"]
    assert main(argv) == 0
    lines = (tmp_path / "trajectories.jsonl").read_text().splitlines()
    assert [json.loads(line)["scenario_id"] for line in lines] == ["fixture-train-3"] * 2


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["rollout", "coalm/Travle-v0"], "did you mean 'coalm/Travel-v0'"),
        (["rollout", "FIXTURE", "--policy", "orcale"], "did you mean 'oracle'"),
        (["rollout", "FIXTURE", "--env-option", "db_size"], "KEY=VALUE"),
        (["rollout", "FIXTURE", "--env-option", "db_sise=2"], "did you mean 'db_size'"),
        (["graph", "coalm/Travle-v0", "--out", "x.json"], "did you mean"),
        (["graph", "FIXTURE", "--out", "x.txt"], ".png"),
        (["score", "/nonexistent/run"], "no trajectories"),
    ],
)
def test_errors_are_one_line_with_a_hint(fixture_env_id: str, argv: list[str], needle: str, capsys) -> None:
    argv = [fixture_env_id if a == "FIXTURE" else a for a in argv]
    assert main(argv) == 2
    assert needle in _error_line(capsys)


def test_graph_json_and_dot(fixture_env_id: str, tmp_path: Path) -> None:
    assert main(["graph", fixture_env_id, "--out", str(tmp_path / "g.json")]) == 0
    g = nx.node_link_graph(json.loads((tmp_path / "g.json").read_text()), edges="edges")
    assert set(g.nodes) == {"find_item", "buy_item", "get_order"}
    assert g.edges["find_item", "buy_item"]["fields"] == [["results[].item_id", "item_id"]]
    assert g.nodes["buy_item"]["writes"] is True
    assert main(["graph", fixture_env_id, "--scenario", "fixture-test-0", "--out", str(tmp_path / "g.dot")]) == 0
    dot = (tmp_path / "g.dot").read_text()
    assert '"find_item" -> "buy_item" [label="results[].item_id -> item_id"];' in dot


def test_travel_graph_json(tmp_path: Path) -> None:
    assert main(["graph", TRAVEL, "--out", str(tmp_path / "t.json")]) == 0
    g = nx.node_link_graph(json.loads((tmp_path / "t.json").read_text()), edges="edges")
    assert {"find_hotel", "book_hotel", "book_taxi"} <= set(g.nodes)
    assert ["results[].name", "name"] in g.edges["find_hotel", "book_hotel"]["fields"]


@pytest.mark.parametrize("env_id", ["fixture", TRAVEL])
def test_graph_png(env_id: str, fixture_env_id: str, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "g.png"
    assert main(["graph", fixture_env_id if env_id == "fixture" else env_id, "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_without_matplotlib_names_the_extra(fixture_env_id: str, tmp_path: Path, monkeypatch, capsys) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # makes the import fail
    assert main(["graph", fixture_env_id, "--out", str(tmp_path / "g.png")]) == 2
    assert "coalm-env[plot]" in _error_line(capsys)


def test_data_status(capsys) -> None:
    assert main(["data", "status"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("multiwoz24", "apibank", "bfcl"))



def test_a_closed_pipe_is_not_an_error() -> None:
    """`coalm-env list --details ID | head -1`: the reader leaves early; the command exits 0, no traceback."""
    import subprocess
    import sys
    code = ("import sys\nimport coalm_env.cli.list as cmd\n"
            "cmd.run = lambda args: [print('x' * 1000) for _ in range(10_000)] and 0\n"
            "from coalm_env.cli import main\nsys.exit(main(['list']))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(5)
    proc.stdout.close()  # what `head` does once it has its lines
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and "Traceback" not in err, err
