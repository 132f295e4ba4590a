"""experiments.benchmarks.instructions: instructions per episode from two callgrind runs (start-up cancelled), and
its refusals. valgrind itself is not installed in CI: ``count`` is replaced by a stand-in here."""

from __future__ import annotations

import json

import pytest

from experiments.benchmarks import instructions


def test_per_episode_is_the_difference_of_the_two_runs(monkeypatch, tmp_path):
    # start-up 1e9 either side; 1e6 instructions per episode before, 8e5 after
    per = {"before": 1_000_000, "after": 800_000}
    monkeypatch.setattr(instructions.shutil, "which", lambda name: "/usr/bin/valgrind")
    monkeypatch.setattr(instructions, "count",
                        lambda tree, loop, n: 1_000_000_000 + n * per["before" if tree.name == "old" else "after"])
    out = tmp_path / "ir.json"
    result = instructions.main(["--before", str(tmp_path / "old"), "--after", str(tmp_path / "new"),
                                "--loops", "multiwoz_rule_acts,bfcl_oracle", "--short", "10", "--long", "60",
                                "--jobs", "1", "--out", str(out)])
    rows = {r["loop"]: r for r in result["rows"]}
    assert rows["multiwoz_rule_acts"]["instructions_per_episode_before"] == 1_000_000
    assert rows["bfcl_oracle"]["instructions_per_episode_after"] == 800_000
    assert rows["bfcl_oracle"]["speedup"] == pytest.approx(1.25)
    assert json.loads(out.read_text())["rows"] == result["rows"]


@pytest.mark.parametrize(("argv", "needle"), [
    (["--loops", "no_such_loop"], "unknown loops"),
    (["--short", "50", "--long", "50"], "--long must be larger"),
])
def test_bad_arguments_are_one_error_line(monkeypatch, tmp_path, argv, needle):
    monkeypatch.setattr(instructions.shutil, "which", lambda name: "/usr/bin/valgrind")
    with pytest.raises(SystemExit, match=needle):
        instructions.main(["--before", str(tmp_path), *argv, "--out", str(tmp_path / "x.json")])


def test_without_valgrind_it_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="apt-get install valgrind"):
        instructions.main(["--before", str(tmp_path)])
