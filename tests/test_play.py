"""coalm-env play: a person in either seat, scripted here through the input function and stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from coalm_env.cli import main
from coalm_env.play import play


def _script(*lines: str):
    it = iter(lines)
    return lambda prompt="": next(it)  # StopIteration past the end: the script must end the episode


def test_play_as_agent_calls_tools_and_ends(tmp_path: Path) -> None:
    shown: list[str] = []
    traj = play("coalm/Travel-v0", "agent", user="agenda", out_dir=tmp_path, write=shown.append,
                read=_script("/tools", 'find_attraction(area="east", type="college")', "Try grand gardens.", "/quit"))
    assert "find_restaurant(food=None" in shown[0] and "end_conversation(message=None)" in shown[0]
    assert traj.steps[0].calls[0].name == "find_attraction" and traj.steps[0].results[0].ok
    assert traj.steps[1].reply == "Try grand gardens." and traj.stop_reason.value == "agent_ended"
    saved = json.loads((tmp_path / "trajectories.jsonl").read_text(encoding="utf-8"))
    assert saved["policy"] == "human" and saved["extra"]["human_seat"] == "agent"
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["episodes"] == 1


@pytest.mark.parametrize(("command", "stop"), [("/bye", "goal_met"), ("/quit", "user_gave_up")])
def test_play_as_user_ends_with_a_typed_stop_reason(tmp_path: Path, command: str, stop: str) -> None:
    shown: list[str] = []
    traj = play("coalm/Travel-v0", "user", policy="oracle", out_dir=tmp_path, write=shown.append,
                read=_script("Can you find me a college in the east?", command))
    assert shown[0].startswith("Your goal") and "college" in shown[0]  # the goal text, from the domain
    assert traj.messages[1].content == "Can you find me a college in the east?"
    assert traj.stop_reason.value == stop and traj.user == "human" and "success" in traj.metrics


def test_play_cli_reads_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('find_train(departure="cambridge")\n'))  # then EOF = /quit
    assert main(["play", "coalm/Travel-v0", "--as", "agent", "--out", str(tmp_path)]) == 0
    assert "episode over: agent_ended" in capsys.readouterr().out
    assert (tmp_path / "trajectories.jsonl").exists()
