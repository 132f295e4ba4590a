"""CLI on damaged or hostile input (issue 16): `score` on torn/garbage/BOM lines, a bad summary.json,
several envs; `--out` on a file, a folder or an unwritable place; a huge `--episodes`; pairings that
cannot play; `level=true`. Each is one `error:` line (exit 2) or a warning counting what was skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_domain import fixture_env_id  # noqa: F401 (a pytest fixture)

from coalm_env.cli import main


@pytest.fixture
def run_dir(fixture_env_id: str, tmp_path: Path, capsys) -> Path:
    out = tmp_path / "run"
    assert main(["rollout", fixture_env_id, "--episodes", "3", "--no-progress", "--out", str(out)]) == 0
    capsys.readouterr()
    return out


def _one_error(capsys, needle: str) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err
    return lines[0]


def _lines(run: Path) -> list[bytes]:
    return (run / "trajectories.jsonl").read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda ls: [*ls, b'{"env_id": "coalm/Fix'], "torn last line: line 4"),
    (lambda ls: [ls[0], b"\x00\x01 garbage }{\n", *ls[1:]], "not valid JSON: line 2"),
    (lambda ls: [ls[0], b'{"caf\xe9": 1}\n', *ls[1:]], "not UTF-8: line 2"),
    (lambda ls: [*ls, b'{"hello": "world"}\n', b"[1, 2]\n"], "not a JSON object: line 5"),
])
def test_score_skips_unreadable_lines_with_a_counted_warning(run_dir: Path, capsys, damage, reason) -> None:
    (run_dir / "trajectories.jsonl").write_bytes(b"".join(damage(_lines(run_dir))))
    assert main(["score", str(run_dir)]) == 0
    err = capsys.readouterr().err
    assert "warning: skipped" in err and reason in err and "scoring the other 3" in err
    assert json.loads((run_dir / "rescore.json").read_text())["episodes"] == 3


def test_score_ignores_a_bom_with_a_note(run_dir: Path, capsys) -> None:
    path = run_dir / "trajectories.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert main(["score", str(run_dir)]) == 0
    assert "byte-order mark" in capsys.readouterr().err
    assert json.loads((run_dir / "rescore.json").read_text())["episodes"] == 3


def test_score_with_nothing_readable_is_one_error(run_dir: Path, capsys) -> None:
    (run_dir / "trajectories.jsonl").write_bytes(b"garbage\n\xff\xfe\n")
    assert main(["score", str(run_dir)]) == 2
    _one_error(capsys, "no trajectory of")
    (run_dir / "trajectories.jsonl").write_bytes(b"")
    assert main(["score", str(run_dir)]) == 2
    _one_error(capsys, "holds no trajectory")


def test_score_warns_about_a_bad_summary(run_dir: Path, capsys) -> None:
    for bad in (b"{torn", b"[1, 2]", b"\xff\xfe"):
        (run_dir / "summary.json").write_bytes(bad)
        assert main(["score", str(run_dir)]) == 0
        assert "warning: ignoring" in capsys.readouterr().err


def test_score_refuses_trajectories_of_several_envs(run_dir: Path, capsys) -> None:
    lines = _lines(run_dir)
    other = json.loads(lines[0])
    other["env_id"] = "coalm/Travel-v0"
    (run_dir / "trajectories.jsonl").write_bytes(b"".join([*lines, json.dumps(other).encode() + b"\n"]))
    assert main(["score", str(run_dir)]) == 2
    _one_error(capsys, "holds trajectories of 2 envs")


def test_score_out_problems_are_one_error(run_dir: Path, tmp_path: Path, capsys) -> None:
    existing = tmp_path / "exists.json"
    existing.write_text("{}")
    assert main(["score", str(run_dir), "--out", str(existing)]) == 2
    _one_error(capsys, "exists")
    assert main(["score", str(run_dir), "--out", str(existing), "--force"]) == 0
    assert json.loads(existing.read_text())["episodes"] == 3
    capsys.readouterr()
    assert main(["score", str(run_dir), "--out", str(tmp_path)]) == 2
    _one_error(capsys, "is a folder")
    assert main(["score", str(run_dir), "--out", str(tmp_path / "no" / "such" / "x.json")]) == 2
    _one_error(capsys, "does not exist")
    assert main(["score", str(run_dir), "--out", "/proc/coalm-rescore.json"]) == 2
    _one_error(capsys, "/proc/coalm-rescore.json")


def test_rollout_out_problems_are_one_error(fixture_env_id: str, tmp_path: Path, capsys) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    assert main(["rollout", fixture_env_id, "--episodes", "1", "--out", str(afile)]) == 2
    _one_error(capsys, "is a file, not a directory")
    assert main(["rollout", fixture_env_id, "--episodes", "1", "--out", "/proc/coalm-run"]) == 2
    _one_error(capsys, "cannot write there")


def test_a_huge_episode_count_answers_at_once(fixture_env_id: str, capsys) -> None:
    assert main(["rollout", fixture_env_id, "--episodes", "10000000000", "--out", "/proc/never"]) == 2
    _one_error(capsys, "episodes must be at most 1,000,000")


def test_pairings_that_cannot_play_are_refused_with_a_hint(tmp_path: Path, capsys) -> None:
    assert main(["rollout", "coalm/Travel-v0", "--user", "replay", "--episodes", "1", "--out", str(tmp_path / "r")]) == 2
    line = _one_error(capsys, "replays a scenario's recorded user turns")
    assert "hint: use the env's default user" in line


def test_the_rule_policy_refuses_an_env_without_find_tools() -> None:
    from policies.rule import RulePolicy

    assert RulePolicy.can_play(["find_restaurant", "book_restaurant"]) is None
    assert "find_<domain>" in RulePolicy.can_play(["cd", "ls", "mkdir"])


@pytest.mark.data
def test_rule_on_bfcl_and_level_true_are_refused(tmp_path: Path, capsys) -> None:
    from conftest import need_data

    need_data("bfcl")
    need_data("apibank")
    assert main(["rollout", "coalm/BFCL-MultiTurn-v0", "--policy", "rule", "--episodes", "1",
                 "--out", str(tmp_path / "b")]) == 2
    assert "hint: use --policy oracle" in _one_error(capsys, "policy 'rule' cannot play coalm/BFCL-MultiTurn-v0")
    assert main(["rollout", "coalm/APIBank-v0", "--env-option", "level=true", "--episodes", "1",
                 "--out", str(tmp_path / "a")]) == 2
    _one_error(capsys, "level=true")
