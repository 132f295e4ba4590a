"""The tau-bench side-by-side benchmark's own logic (tau-bench itself is not installed in CI): an absent checkout
is one clear line and exit status 2, bad arguments fail before anything runs, and the summary puts retail and
airline together as tau-bench's figure that ours are divided by, wall and CPU."""

from __future__ import annotations

import json
import sys

import pytest

from experiments.benchmarks import taubench_side_by_side as side


def _stand_in(root):
    for rel in side.CHECKOUT_FILES:  # an empty stand-in checkout
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")


def test_an_absent_checkout_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        side.main(["--taubench", str(tmp_path / "nowhere"), "--rounds", "1"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: tau-bench is absent")
    assert "tau_bench/envs/base.py is missing" in err


def test_bad_arguments_exit_2(tmp_path, capsys):
    _stand_in(tmp_path)
    for argv in (["--rounds", "0"], ["--python", str(tmp_path / "no-python")]):
        with pytest.raises(SystemExit) as e:
            side.main(["--taubench", str(tmp_path), *argv])
        assert e.value.code == 2
    assert "not an executable interpreter" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:  # argparse's own refusal
        side.main(["--rounds", "1"])
    assert e.value.code == 2


def test_unknown_loop_names_fail_before_anything_runs(tmp_path):
    _stand_in(tmp_path)
    from coalm_env.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="bench loop"):
        side.main(["--taubench", str(tmp_path), "--python", sys.executable, "--loops", "bfcl_oraclez"])


def _fig(episodes, wall, cpu, success):
    return {"episodes": episodes, "wall_s": wall, "cpu_s": cpu, "success": success}


def test_summary_combines_retail_and_airline_and_divides_ours_by_it(tmp_path):
    rounds = [{"round": r + 1, "order": ["taubench_retail", "taubench_airline", "bfcl_oracle"], "load": [1.0],
               "figures": {"taubench_retail": _fig(115, 40.0, 38.0, 115.0),
                           "taubench_airline": _fig(50, 40.0, 42.0, 50.0),
                           "bfcl_oracle": _fig(200, 2.0, 1.0, 200.0)}} for r in range(2)]
    result = side.build_result({"cpu": "x", "cores": 2}, rounds, {"rounds": 2})
    rows = {row["loop"]: row for row in result["rows"]}
    assert list(rows) == ["taubench_retail", "taubench_airline", "taubench", "bfcl_oracle"]
    tau = rows["taubench"]
    assert tau["episodes"] == 330 and tau["eps_per_s"] == pytest.approx(330 / 160.0)
    assert tau["x_taubench_wall"] == tau["x_taubench_cpu"] == 1.0 and tau["success"] == 1.0
    ours = rows["bfcl_oracle"]
    assert ours["eps_per_s"] == 100.0 and ours["x_taubench_wall"] == pytest.approx(100.0 / (330 / 160.0))
    assert ours["x_taubench_cpu"] == pytest.approx(200.0 / (330 / 160.0))
    assert result["per_round"][1]["figures"]["taubench_retail"]["eps_per_s"] == pytest.approx(115 / 40.0)
    json.dumps(result)  # what is written is plain JSON
    from experiments.benchmarks import save_results

    out = save_results(result, tmp_path / "r.json", "unused.json")
    assert json.loads(out.read_text())["rows"][2]["loop"] == "taubench"


def test_the_child_driver_is_a_format_string_that_compiles():
    code = side._TAU_CHILD.format(root="/nowhere", env_name="retail", split="test")
    compile(code, "<taubench child>", "exec")  # compiled only, never run here


def test_the_bench_references_are_the_committed_side_by_side_figures():
    """coalm-env bench divides by fixed figures: they must be what the committed side-by-side runs measured."""
    from pathlib import Path

    from coalm_env.bench import REFERENCES

    results = Path(__file__).resolve().parents[1] / "experiments" / "results"
    for key, name, loop in (("tau_bench", "taubench_side_by_side.json", "taubench"),
                            ("convlab2", "convlab2_side_by_side.json", "convlab2")):
        rows = json.loads((results / name).read_text())["rows"]
        row = next(r for r in rows if r["loop"] == loop)
        assert REFERENCES[key]["episodes_per_s"] == pytest.approx(row["eps_per_s"], abs=0.05), key
        assert REFERENCES[key]["success"] == pytest.approx(row["success"], abs=0.001), key
        assert name in REFERENCES[key]["what"]
