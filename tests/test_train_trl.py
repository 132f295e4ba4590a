"""``coalm-env train sft|dpo``: config pass-through to TRL, and a few steps on the tiny model that change
the weights and write the resolved config, metrics and an env evaluation next to the checkpoint."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest

from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import Message
from tests.llm_fixtures import tiny_model_dir  # noqa: F401 (fixture)

pytest.importorskip("trl", reason="needs the [train] extra")
# peft (get_peft_model) and TRL's DPOTrainer (disable_gradient_checkpointing) call transformers' deprecated
# is_gradient_checkpointing / gradient_checkpointing_disable themselves: a third-party warning, not our code
pytestmark = [pytest.mark.train,
              pytest.mark.filterwarnings("ignore:`[a-z_]*gradient_checkpointing[a-z_]*` is deprecated:FutureWarning")]

from coalm_env.train import config as tconfig  # noqa: E402
from coalm_env.train.dpo import mine_pairs  # noqa: E402

EVAL = {"env_id": "coalm/Travel-v0", "split": "test", "episodes": 1, "env_options": {"max_turns": 1},
        "policy": "react:hf:{model},max_tokens=4,compact=1,history=1"}


def _base(tmp_path, model, **extra):
    return {"model": str(model), "export": {"compact": True, "history": 1}, "output_dir": str(tmp_path / "out"),
            "max_steps": 2, "per_device_train_batch_size": 2, "learning_rate": 1e-2, "max_length": 2048,
            "report_to": "none", "save_strategy": "no", "logging_steps": 1, "use_cpu": True, "bf16": False, "eval": EVAL,
            **extra}


@pytest.fixture(scope="module")
def oracle_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("oracle")
    run_rollouts(RolloutConfig("coalm/Travel-v0", episodes=2, split="train", out_dir=str(out)), progress=False)
    return out


def test_unknown_key_did_you_mean():
    with pytest.raises(UnknownNameError, match="learning_rate"):
        tconfig.from_mapping({"model": "m", "learnin_rate": 1e-4}, "sft")
    with pytest.raises(ConfigError):
        tconfig.from_mapping({"learning_rate": 1e-4}, "sft")


def test_bf16_on_a_cpu_without_avx512_warns():
    """TRL defaults bf16 to True; on an AVX2 CPU that is emulated bf16 (17-19 s vs ~1 s per tiny_coalm step)."""
    from types import SimpleNamespace

    cpu = SimpleNamespace(bf16=True, use_cpu=True)
    assert "bf16: false" in tconfig.cpu_bf16_warning(cpu, capability="AVX2")
    assert tconfig.cpu_bf16_warning(cpu, capability="AVX512") is None
    assert tconfig.cpu_bf16_warning(SimpleNamespace(bf16=False, use_cpu=True), capability="AVX2") is None
    config = tconfig.from_mapping({"model": "m", "output_dir": "/tmp/x", "use_cpu": True, "bf16": False}, "sft")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert config.trl_args().bf16 is False  # fp32 asked for: no warning


def test_lora_paper_preset():
    c = tconfig.from_mapping({"model": "m", "lora": "paper", "num_train_epochs": 1}, "sft")
    assert c.lora["r"] == 16 and c.lora["lora_alpha"] == 32 and c.lora["target_modules"] == "all-linear"
    assert c.trl["learning_rate"] == 1e-4 and c.trl["num_train_epochs"] == 1 and c.trl["max_length"] == 4096
    assert c.trl["warmup_steps"] == 0.1


def test_sft_few_steps_change_weights(tmp_path, tiny_model_dir, oracle_run):  # noqa: F811
    from coalm_env.train import sft

    metrics = sft.run(tconfig.from_mapping(_base(tmp_path, tiny_model_dir, data=[str(oracle_run)]), "sft"))
    assert metrics["changed_params"] > 0.5 and metrics["samples"] > 0
    out = tmp_path / "out"
    for name in ("resolved_config.json", "metrics.json", "eval.json", "config.json", "model.safetensors"):
        assert (out / name).exists(), name
    ev = json.loads((out / "eval.json").read_text())
    assert ev["success"]["n"] == 1 and "low" in ev["success"]
    assert json.loads((out / "resolved_config.json").read_text())["trl_resolved"]["completion_only_loss"] is True


def test_sft_lora(tmp_path, tiny_model_dir, oracle_run):  # noqa: F811
    from coalm_env.train import sft

    cfg = _base(tmp_path, tiny_model_dir, data=[str(oracle_run)], lora={"r": 4, "lora_alpha": 8}, eval=None,
                max_length=2048, learning_rate=1e-2)
    metrics = sft.run(tconfig.from_mapping(cfg, "sft"))
    assert metrics["changed_params"] > 0 and (tmp_path / "out" / "merged" / "config.json").exists()


def _diverging_run(oracle_run, tmp_path):
    """Each oracle episode plus a failed copy whose first reply differs (same prefix, another continuation)."""
    from coalm_env.train.export import load_trajectories

    lines = []
    for t in load_trajectories(oracle_run):
        lines.append(t.to_json())
        k = next(i for i, m in enumerate(t.messages) if m.role == "assistant" and not m.tool_calls)
        bad = t.from_dict(t.to_dict())
        bad.messages = bad.messages[:k] + [Message("assistant", "Sorry, I cannot help with that.")]
        bad.metrics = {**bad.metrics, "success": 0.0}
        lines.append(bad.to_json())
    run = tmp_path / "mined"
    run.mkdir()
    (run / "trajectories.jsonl").write_text("\n".join(lines) + "\n")
    return run


def test_mine_pairs(tmp_path, oracle_run):
    from coalm_env.train.export import load_trajectories

    pairs = mine_pairs(load_trajectories(_diverging_run(oracle_run, tmp_path)), compact=True, history=1)
    assert len(pairs) == 2
    assert pairs[0]["rejected"][0]["content"] == "System: Sorry, I cannot help with that."
    assert pairs[0]["chosen"][0]["content"].startswith("System: ")
    with pytest.raises(ConfigError, match="split"):
        test = run_rollouts(RolloutConfig("coalm/Travel-v0", episodes=1, split="test"), progress=False)
        mine_pairs(test.trajectories)


def test_dpo_few_steps_change_weights(tmp_path, tiny_model_dir, oracle_run):  # noqa: F811
    from coalm_env.train import dpo

    run = _diverging_run(oracle_run, tmp_path)
    cfg = _base(tmp_path, tiny_model_dir, mining={"runs": [str(run)]}, beta=0.1)
    metrics = dpo.run(tconfig.from_mapping(cfg, "dpo"))
    assert metrics["pairs"] == 2 and metrics["changed_params"] > 0.5
    assert (tmp_path / "out" / "eval.json").exists()


def test_cli_train_sft(tmp_path, tiny_model_dir, oracle_run):  # noqa: F811
    import yaml

    from coalm_env.cli import main

    path = tmp_path / "sft.yaml"
    path.write_text(yaml.safe_dump(_base(tmp_path, tiny_model_dir, data=[str(oracle_run)], eval=None)))
    assert main(["train", "sft", str(path), "--set", "max_steps=1"]) == 0
    assert (tmp_path / "out" / "metrics.json").exists()
    assert main(["train", "sft", str(path), "--set", "learnin_rate=1"]) == 2
    shutil.rmtree(tmp_path / "out")


def test_native_bf16_needs_avx512_and_bf16_instructions():
    """bf16 autocast is the fast path only where AVX-512 kernels meet avx512_bf16/amx_bf16 instructions."""
    assert tconfig.cpu_native_bf16("fpu avx2 avx512f avx512_bf16", capability="AVX512")
    assert tconfig.cpu_native_bf16("fpu avx512f amx_bf16 amx_tile", capability="AVX512")
    assert not tconfig.cpu_native_bf16("fpu avx2 avx512f avx512bw", capability="AVX512")  # no bf16 instructions
    assert not tconfig.cpu_native_bf16("fpu avx2 avx512_bf16", capability="AVX2")  # torch has no AVX-512 path
    assert isinstance(tconfig.cpu_native_bf16(), bool)  # this machine, whatever it is


def test_mining_skips_the_head_of_the_split(tmp_path, tiny_model_dir):  # noqa: F811
    """``mining.skip`` leaves out the first scenarios (an SFT run's own) and is checked."""
    from coalm_env.rollout import split_ids
    from coalm_env.resolve import domain_for
    from coalm_env.train.dpo import rollouts_for_mining

    mining = {"env_id": "coalm/Travel-v0", "split": "train", "scenarios": 2, "samples": 1, "user": "agenda",
              "env_options": {"max_turns": 1, "max_steps_per_turn": 1, "n_train": 10}, "skip": 7,
              "policy": "react:hf:{model},temperature=1.0,max_tokens=4"}
    trajs = rollouts_for_mining(tconfig.from_mapping(_base(tmp_path, tiny_model_dir, beta=0.1, mining=mining), "dpo"))
    ids = split_ids(domain_for("coalm/Travel-v0", n_train=10), "train")
    assert sorted(t.scenario_id for t in trajs) == ids[7:9]
    for bad in (-1, True, "3"):
        with pytest.raises(ConfigError, match="mining.skip"):
            rollouts_for_mining(tconfig.from_mapping(_base(tmp_path, tiny_model_dir, mining={**mining, "skip": bad}),
                                                     "dpo"))
    with pytest.raises(ConfigError, match="after the first 10"):
        rollouts_for_mining(tconfig.from_mapping(_base(tmp_path, tiny_model_dir, mining={**mining, "skip": 10}),
                                                 "dpo"))


def test_mining_samples_meet_the_same_user(tmp_path, tiny_model_dir):  # noqa: F811
    """Mining passes share the episode (user) seeds and differ only in the policy's sampling seed, so the
    samples of one scenario open with the same user turn (the shared prefix a preference pair needs)."""
    from coalm_env.train.dpo import _with_sampling_seed, rollouts_for_mining

    cfg = tconfig.from_mapping(_base(tmp_path, tiny_model_dir, beta=0.1, mining={
        "env_id": "coalm/Travel-v0", "split": "train", "scenarios": 2, "samples": 2, "user": "agenda",
        "env_options": {"max_turns": 1, "max_steps_per_turn": 1},
        "policy": "react:hf:{model},temperature=1.0,max_tokens=4"}), "dpo")
    trajs = rollouts_for_mining(cfg)
    assert len(trajs) == 4
    by_scenario = {}
    for t in trajs:
        by_scenario.setdefault(t.scenario_id, []).append(t)
    assert len(by_scenario) == 2
    for group in by_scenario.values():
        firsts = [next(m.content for m in t.messages if m.role == "user") for t in group]
        assert firsts[0] == firsts[1]
        assert sorted(t.policy.rsplit("seed=", 1)[1] for t in group) == ["0", "1"]
    assert _with_sampling_seed("oracle", 3) == "oracle"
    with pytest.raises(ConfigError, match="own seed"):
        _with_sampling_seed("react:hf:m,seed=4", 1)
