"""The ConvLab-2 side-by-side benchmark's own logic (ConvLab-2 itself is not installed in CI): a path that is
not a checkout is refused with what is missing, and the ratios are ours over ConvLab-2's, wall and CPU."""

from __future__ import annotations

import pytest

from experiments.benchmarks import convlab2_side_by_side as side


def test_a_path_that_is_not_a_checkout_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="not a ConvLab-2 checkout .*policy_agenda_multiwoz.py is missing"):
        side.main(["--convlab", str(tmp_path), "--dialogues", "1"])


def test_ratios_are_ours_over_convlab2():
    rows = side.summarise({"convlab2": {"episodes": 100, "wall_s": 10.0, "cpu_s": 5.0, "success": 97.0},
                           "multiwoz_rule_acts": {"episodes": 100, "wall_s": 0.5, "cpu_s": 0.4, "success": 100.0}})
    ref, ours = rows
    assert ref["x_convlab2_wall"] == ref["x_convlab2_cpu"] == 1.0 and ref["success"] == 0.97
    assert ours["eps_per_s"] == 200.0 and ours["x_convlab2_wall"] == 20.0
    assert ours["x_convlab2_cpu"] == pytest.approx(250.0 / 20.0)


def test_unknown_loop_names_fail_before_anything_runs(tmp_path):
    for rel in side.CHECKOUT_FILES:  # an empty stand-in checkout: the loop names are checked first
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    from coalm_env.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="bench loop"):
        side.main(["--convlab", str(tmp_path), "--loops", "multiwoz_rule_actz"])
