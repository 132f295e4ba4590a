"""``coalm-env bench --quick``: every section comes out with the columns it promises (figures are not
checked: no timing assertions), the JSON has the same rows, and bad flags are one ``error:`` line."""

from __future__ import annotations

import json

from coalm_env.cli import main


def test_quick_table_shape(tmp_path, capsys) -> None:
    out = tmp_path / "bench.json"
    assert main(["bench", "--quick", "--loops", "travel_oracle_agenda,travel_rule_agenda", "--no-progress",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for head in ("eps_per_s", "env_ms_per_step", "x_reference", "steps vs turn index", "reset_ms_mean",
                 "reset() vs db_size", "memory: episodes=10"):
        assert head in text
    result = json.loads(out.read_text())
    assert [r["loop"] for r in result["loops"]] == ["travel_oracle_agenda", "travel_rule_agenda"]
    for row in result["loops"]:
        assert row["episodes"] == 2 and row["reference"] == "convlab2" and row["eps_per_s"] > 0
        assert set(row) >= {"success", "loop_ms_per_step", "env_user_ms_per_step", "env_ms_per_step", "x_reference"}
    assert result["flatness"] and all(r["steps"] > 0 for r in result["flatness"])
    assert [r["db_size"] for r in result["reset"]] == [0.25, 1.0]
    assert result["memory"]["episodes"] == 10 and "rss_mb" in result["memory"]
    assert result["machine"]["cores"] >= 1 and result["machine"]["date"]


def test_bad_flags_are_one_error_line(capsys) -> None:
    assert main(["bench", "--quick", "--loops", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: unknown loop 'nope'")
    assert main(["bench", "--quick", "--episodes", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: --episodes must be at least 1")
