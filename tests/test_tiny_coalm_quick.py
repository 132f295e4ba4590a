"""``python -m experiments.tiny_coalm.run --quick --out DIR`` (issue 12's CI mode): the whole tiny-CoALM pipeline
end to end on tiny sizes -- teacher rollouts, export, tokenizer, scratch model, SFT, evaluation, DPO on pairs
(rule vs random rollouts), evaluation again -- in about a minute on 2 cores, its results written to DIR only."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="needs the [train] extra")
pytest.importorskip("matplotlib", reason="the learning-curve PNG needs matplotlib ([dev] or [plot])")
pytestmark = pytest.mark.train

ROOT = Path(__file__).resolve().parents[1]


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def test_quick_runs_every_stage(tmp_path):
    out = tmp_path / "quick"
    proc = subprocess.run([sys.executable, "-m", "experiments.tiny_coalm.run", "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    res = json.loads((out / "tiny_coalm-quick.json").read_text())
    assert (out / "tiny_coalm-quick-curve.png").stat().st_size > 0
    assert (out / "work" / "tiny_coalm-quick" / "dpo" / "model.safetensors").exists()

    # data: the rule teacher's rollouts, the export and a scratch model
    assert _number(res["teacher_success"]) and res["teacher_success"] > 0
    assert res["export"]["samples"] > 0 and _number(res["params"]) and res["params"] > 0
    # the procedural BFCL / API-Bank train splits (oracle teacher) are mixed into the SFT data
    assert set(res["procedural"]) == {"coalm/BFCL-Procedural-v0", "coalm/APIBank-Procedural-v0"}
    for env_id, proc in res["procedural"].items():
        assert proc["teacher_success"] == 1.0 and proc["export"]["samples"] > 0, env_id
    rows = (out / "work" / "tiny_coalm-quick" / "coalm_it.jsonl").read_text().splitlines()
    assert len(rows) == res["sft_samples"] == res["export"]["samples"] + sum(
        p["export"]["samples"] for p in res["procedural"].values()) - res["too_long_skipped"]
    # every stage ran, timed, and was evaluated on the test episodes
    assert set(res["wall_s"]) == {"data", "eval_random", "eval_scratch", "sft", "eval_sft", "dpo", "eval_dpo",
                                "grpo", "eval_grpo"}
    assert all(_number(v) and v >= 0 for v in res["wall_s"].values())
    assert "dpo_skipped" not in res
    assert set(res["success"]) == {"random", "scratch", "sft", "dpo", "grpo"}
    for stage, s in res["success"].items():
        assert s["n"] == res["settings"]["eval_episodes"], stage
        assert all(_number(s[k]) and 0 <= s[k] <= 1 for k in ("mean", "low", "high")), stage
    assert set(res["paired"]) == {"sft_vs_random", "sft_vs_scratch", "dpo_vs_sft", "dpo_vs_random",
                                   "grpo_vs_sft"}
    # SFT learned (finite loss, weights moved); DPO had pairs (rule vs random) and moved the weights too
    assert _number(res["sft_final_loss"])
    assert res["sft_changed_params"] > 0
    assert res["pairs"]["pairs"] > 0 and res["pairs"]["rollouts"] > 0
    assert res["dpo_changed_params"] > 0
    # GRPO played whole episodes for its steps (the tiny model's group rewards are often all equal, so
    # the weights need not move in one step: that is reported, not asserted)
    assert res["grpo"]["steps_done"] == res["settings"]["grpo_steps"]
    assert len(res["grpo"]["reward_curve"]) == res["settings"]["grpo_steps"]
    assert _number(res["grpo"]["changed_params"])
    # rl_skip: GRPO ran on train scenarios after the teacher's (the first train_episodes)
    assert res["grpo"]["skip"] == res["settings"]["train_episodes"]


def test_settings_helpers():
    """``--set`` typing, the bf16 choice and the RL stages' skip (refused when the split has no room left)."""
    from experiments.tiny_coalm import run

    s = run.override(run.QUICK, ["bf16=false", "rl_skip=1", "n_train=50", "train_episodes=40"])
    assert s["bf16"] == "false" and s["rl_skip"] is True and s["n_train"] == 50
    assert run.use_bf16(s) is False and run.use_bf16({**s, "bf16": "TRUE"}) is True
    assert isinstance(run.use_bf16({**s, "bf16": "auto"}), bool)
    with pytest.raises(SystemExit, match="auto, true or false"):
        run.use_bf16({**s, "bf16": "maybe"})
    assert run.rl_skip(s, 10) == 40 and run.rl_skip({**s, "rl_skip": False}, 10) == 0
    with pytest.raises(SystemExit, match="n_train >= train_episodes"):
        run.rl_skip(s, 11)
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        run.override(run.QUICK, ["no_such_key=1"])
