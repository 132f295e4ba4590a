"""``coalm-env score-bfcl`` on a small BFCL result file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import need_data

from coalm_env.cli import main

pytestmark = pytest.mark.data
pytest.importorskip("bfcl_eval")


def _ground_truth(entry_id: str) -> list[list[str]]:
    from coalm_env.domains.bfcl.entries import category_of, load_entries

    return next(e for e in load_entries(category_of(entry_id)) if e.id == entry_id).ground_truth


def _gold(entry_id: str) -> list:
    """The ground truth as a result: one step per turn holding the turn's call strings."""
    return [[list(turn)] if turn else [] for turn in _ground_truth(entry_id)]


def test_score_bfcl_prints_categories_and_writes_verdicts(tmp_path: Path, capsys) -> None:
    need_data("bfcl")
    as_text = [["[" + ", ".join(turn) + "]"] for turn in _ground_truth("multi_turn_miss_param_2") if turn]
    rows = [
        {"id": "multi_turn_base_0", "result": _gold("multi_turn_base_0")},
        {"id": "multi_turn_base_1", "result": [[] for _ in _gold("multi_turn_base_1")]},
        {"id": "multi_turn_miss_func_3", "result": _gold("multi_turn_miss_func_3")},
        {"id": "multi_turn_long_context_5", "result": _gold("multi_turn_long_context_5")[:-1]},
        {"id": "multi_turn_miss_param_2", "result": as_text},
    ]
    result_file = tmp_path / "BFCL_v3_multi_turn_result.json"
    result_file.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "verdicts.jsonl"
    assert main(["score-bfcl", str(result_file), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[1:] for line in printed.splitlines() if line and line[0].isalpha()}
    assert lines["base"][:3] == ["1", "2", "0.5000"]
    assert lines["miss_func"][:3] == ["1", "1", "1.0000"]
    assert lines["long_context"][:3] == ["0", "1", "0.0000"]
    assert lines["miss_param"][:2] == ["0", "1"]  # text completions drop its empty turn: too few turns
    assert lines["overall"][:3] == ["2", "5", "0.4000"]
    verdicts = [json.loads(line) for line in out.read_text().splitlines()]
    assert [v["id"] for v in verdicts] == [r["id"] for r in rows]
    assert verdicts[0] == {"id": "multi_turn_base_0", "valid": True}
    assert verdicts[1]["error_type"] == "multi_turn:empty_turn_model_response" and verdicts[1]["error_message"]
    assert verdicts[3]["error_type"] == "multi_turn:force_terminated"


def test_score_bfcl_reports_bad_input(tmp_path: Path, capsys) -> None:
    assert main(["score-bfcl", str(tmp_path / "missing.json")]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "multi_turn_base_0"}\n')
    assert main(["score-bfcl", str(bad)]) == 2
    assert capsys.readouterr().err.count("error:") == 2


def test_oracle_benchmark_script_runs(capsys) -> None:
    need_data("bfcl")
    from experiments.benchmarks import bfcl_oracle

    assert bfcl_oracle.main(["--category", "miss_param", "--agent", "empty"]) == 0
    out = capsys.readouterr().out
    assert "miss_param       0/200" in out and "entries/s" in out
