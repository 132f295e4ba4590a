"""CoALM-IT loading (released layout), TRL formats, the trajectory exporter, its leak check, and the one
CRA renderer shared by the export and the ``react`` policy."""

from __future__ import annotations

import json

import pytest

from coalm_env.errors import ConfigError, DataCorruptError
from coalm_env.render import observation
from coalm_env.render_coalm import join_prompt
from coalm_env.rollout import RolloutConfig, run_rollouts

pytest.importorskip("datasets", reason="needs the [train] extra")

from coalm_env.train import data, export  # noqa: E402

ROWS = [
    {"instruction": "[Instruction]\nYou are a conversational API-calling assistant.\n\n[Available tools]\n"
                    "1. FindBus(from_location, to_location, leaving_date)\n\n[Conversation history]",
     "input": "User: I need a bus to Fresno on the 3rd.\nThought: I need to call FindBus.",
     "output": "Action: FindBus(from_location='LA', to_location='Fresno', leaving_date='2019-03-03')"},
    {"instruction": "[Task] Call functions.\n[Tools] []\n[Format] JSON list only", "input": "What's 2+2?",
     "output": "[]"},
]


@pytest.fixture(scope="module")
def oracle_train():
    return run_rollouts(RolloutConfig("coalm/Travel-v0", episodes=3, split="train", seed=3), progress=False)


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".parquet"])
def test_load_released_layout(tmp_path, suffix):
    import datasets

    path = tmp_path / f"coalm_it{suffix}"
    ds = datasets.Dataset.from_list([{**r, "extra": 1} for r in ROWS])
    {".json": lambda: path.write_text(json.dumps([dict(r) for r in ROWS])),
     ".jsonl": lambda: ds.to_json(str(path)), ".parquet": lambda: ds.to_parquet(str(path))}[suffix]()
    loaded = data.load_coalm_it(path)
    assert loaded.column_names == list(data.COLUMNS) and len(loaded) == 2
    assert loaded[0]["output"] == ROWS[0]["output"]


def test_missing_columns_rejected(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"instruction": "x", "output": "y"}) + "\n")
    with pytest.raises(DataCorruptError, match="input"):
        data.load_coalm_it(path)


def test_trl_formats():
    pc = data.to_prompt_completion(ROWS[0])
    assert pc["prompt"] == ROWS[0]["instruction"] + "\n" + ROWS[0]["input"]
    conv = data.to_conversational(ROWS[1])
    assert conv["prompt"] == [{"role": "user", "content": ROWS[1]["instruction"] + "\n" + ROWS[1]["input"]}]
    assert conv["completion"] == [{"role": "assistant", "content": "[]"}]
    with pytest.raises(ConfigError, match="did|one of"):
        data.convert(ROWS, "alpaca")


def test_export_round_trip_and_one_renderer(tmp_path, oracle_train):
    from policies.react import ReactPolicy

    rows, stats = export.export(oracle_train.trajectories, "coalm-it")
    assert stats.samples == len(rows) > 0 and stats.objectives["action"] > 0 and stats.objectives["response"] > 0
    path = export.write_samples(rows, tmp_path / "out.jsonl")
    loaded = data.load_coalm_it(path)
    assert [r["output"] for r in loaded] == [r["output"] for r in rows]
    # the exported prompt of every assistant turn is exactly what the react policy prompts with there
    policy = ReactPolicy("scripted")
    traj = oracle_train.trajectories[0]
    tools = export.scenario_tools(traj)
    samples = export.coalm_it_samples(traj, tools)
    turns = [k for k, m in enumerate(traj.messages) if m.role == "assistant"]
    for k, sample in zip(turns, samples):
        messages, _ = policy.request(observation(traj.messages[:k], tools))
        assert messages[0]["content"] == join_prompt(sample["instruction"], sample["input"])
    # and the policy's compact variant matches the compact export
    compact = ReactPolicy("scripted", compact="1", history="1")
    sample = export.coalm_it_samples(traj, tools, compact=True, history=1)[-1]
    messages, _ = compact.request(observation(traj.messages[:turns[-1]], tools))
    assert messages[0]["content"] == join_prompt(sample["instruction"], sample["input"])


def test_export_dedupes_and_chat_format(oracle_train):
    twice = oracle_train.trajectories * 2
    rows, stats = export.export(twice, "coalm-it")
    assert stats.duplicates == len(rows)
    chats, cstats = export.export(twice, "chat")
    assert cstats.samples == len(oracle_train.trajectories) and cstats.duplicates == cstats.samples
    chat = chats[0]
    assert chat["messages"][0]["role"] == "system" and chat["tools"][0]["type"] == "function"
    calls = [m for m in chat["messages"] if m.get("tool_calls")]
    assert calls and calls[0]["tool_calls"][0]["function"]["arguments"]


def test_leak_check_refuses_test_split():
    test_run = run_rollouts(RolloutConfig("coalm/Travel-v0", episodes=1, split="test"), progress=False)
    with pytest.raises(ConfigError, match="not a training split"):
        export.export(test_run.trajectories)
    rows, stats = export.export(test_run.trajectories, on_leak="skip")
    assert rows == [] and stats.leaked_skipped == 1
    rows, _ = export.export(test_run.trajectories, allow_splits=["train", "test"])
    assert rows


def test_cli_export(tmp_path, oracle_train):
    from coalm_env.cli import main

    run = tmp_path / "run"
    run_rollouts(RolloutConfig("coalm/Travel-v0", episodes=2, split="train", out_dir=str(run)), progress=False)
    out = tmp_path / "x.jsonl"
    assert main(["export", str(run), "--format", "chat", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 2
