"""Tiny CoALM on CPU: oracle rollouts (Travel train) -> CoALM-IT export (compact CRA prompt, short history)
-> a BPE tokenizer trained on it -> a small Llama trained from scratch by SFT -> interactive evaluation on
Travel test with the agenda user (the react policy on the hf backend) -> DPO on pairs mined from the SFT
model's own train-split rollouts at temperature 1 -> evaluation again. Success with bootstrap 95% CIs, paired
comparisons on the same scenarios/seeds, a learning-curve PNG and wall times go to experiments/results/.

``--quick`` is the CI smoke (a tiny model, a few episodes); the full settings target <= 45 min on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.stats.estimators import paired_compare
from coalm_env.train import config as tconfig
from coalm_env.train.data import to_prompt_completion
from coalm_env.train.export import export, write_samples
from coalm_env.train.runs import evaluate

ENV = "coalm/Travel-v0"
PROMPT = {"compact": True, "history": 1}
QUICK = {"train_episodes": 16, "vocab": 1200, "hidden": 64, "layers": 2, "max_steps": 30, "eval_episodes": 4,
         "mine_scenarios": 3, "mine_samples": 2, "dpo_steps": 4, "max_length": 768, "max_tokens": 48}
FULL = {"train_episodes": 400, "vocab": 4096, "hidden": 256, "layers": 4, "max_steps": 1500, "eval_episodes": 50,
        "mine_scenarios": 24, "mine_samples": 4, "dpo_steps": 60, "max_length": 768, "max_tokens": 96}


def build_tokenizer(rows: list[dict], vocab: int):
    import trl
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    texts = [t for r in rows for t in to_prompt_completion(r).values()] + ["user assistant system"]
    tok.train_from_iterator(texts, trainer=trainer)
    template = (Path(trl.__file__).parent / "chat_templates" / "qwen2_5.jinja").read_text()
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   chat_template=template)


def build_model(tokenizer, s: dict, out: Path) -> int:
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=len(tokenizer), hidden_size=s["hidden"], intermediate_size=s["hidden"] * 3,
                      num_hidden_layers=s["layers"], num_attention_heads=4, num_key_value_heads=4,
                      max_position_embeddings=2048, eos_token_id=tokenizer.eos_token_id,
                      pad_token_id=tokenizer.pad_token_id, bos_token_id=None, tie_word_embeddings=True)
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg)
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return sum(p.numel() for p in model.parameters())


def _eval_spec(s: dict) -> dict:
    return {"env_id": ENV, "split": "test", "episodes": s["eval_episodes"], "user": "agenda", "seed": 0,
            "policy": f"react:hf:{{model}},max_tokens={s['max_tokens']},compact=1,history=1"}


def _trl(s: dict, out: Path, steps: int, lr: float) -> dict:
    return {"output_dir": str(out), "max_steps": steps, "per_device_train_batch_size": 8, "learning_rate": lr,
            "warmup_steps": 0.05, "lr_scheduler_type": "cosine", "max_length": s["max_length"], "logging_steps": 5,
            "save_strategy": "no", "report_to": "none", "use_cpu": True, "activation_checkpointing": False}


def _outcomes(report: dict) -> list[float]:
    return [e["success"] for e in report["episodes"]]


def _plot(log: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [(r["step"], r["loss"]) for r in log if "loss" in r]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(*zip(*pts), marker=".")
    ax.set(xlabel="SFT step", ylabel="train loss (assistant tokens)", title="tiny CoALM SFT")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--work", default="runs/tiny_coalm", help="weights and rollouts (not committed)")
    ap.add_argument("--results", default="experiments/results")
    args = ap.parse_args(argv)
    s, tag = (QUICK, "tiny_coalm-quick") if args.quick else (FULL, "tiny_coalm")
    work, wall, res = Path(args.work) / tag, {}, {"settings": s, "prompt": PROMPT}
    t = time.perf_counter()
    teach = run_rollouts(RolloutConfig(ENV, policy="oracle", user="agenda", split="train",
                                       episodes=s["train_episodes"], seed=0, out_dir=str(work / "oracle")), progress=False)
    rows, stats = export(teach.trajectories, "coalm-it", **PROMPT)
    write_samples(rows, work / "coalm_it.jsonl")
    res["export"] = stats.to_dict()
    tok = build_tokenizer(rows, s["vocab"])
    res["params"] = build_model(tok, s, work / "scratch")
    wall["data"] = time.perf_counter() - t
    t = time.perf_counter()
    ev = {"scratch": evaluate(work / "scratch", _eval_spec(s), work / "scratch")}
    wall["eval_scratch"] = time.perf_counter() - t
    t = time.perf_counter()
    sft_cfg = tconfig.from_mapping({"model": str(work / "scratch"), "data": [str(work / "oracle")], "export": PROMPT,
                                    **_trl(s, work / "sft", s["max_steps"], 2e-3)}, "sft")
    from coalm_env.train import dpo, sft

    sft_metrics = sft.run(sft_cfg)
    wall["sft"] = time.perf_counter() - t
    t = time.perf_counter()
    ev["sft"] = evaluate(work / "sft", _eval_spec(s), work / "sft")
    wall["eval_sft"] = time.perf_counter() - t
    t = time.perf_counter()
    mining = {"env_id": ENV, "split": "train", "scenarios": s["mine_scenarios"], "samples": s["mine_samples"],
              "user": "agenda", "policy": f"react:hf:{{model}},temperature=1.0,max_tokens={s['max_tokens']},compact=1,history=1"}
    dpo_cfg = tconfig.from_mapping({"model": str(work / "sft"), "mining": mining, "export": PROMPT, "beta": 0.1,
                                    **_trl(s, work / "dpo", s["dpo_steps"], 5e-5)}, "dpo")
    try:
        dpo.run(dpo_cfg)
        wall["dpo"] = time.perf_counter() - t
        t = time.perf_counter()
        ev["dpo"] = evaluate(work / "dpo", _eval_spec(s), work / "dpo")
        wall["eval_dpo"] = time.perf_counter() - t
    except Exception as exc:  # no pairs (no success/failure mix) is a finding, not a crash of the report
        res["dpo_skipped"] = f"{type(exc).__name__}: {exc}"
    res["pairs"] = json.loads((work / "dpo" / "pairs_summary.json").read_text()) \
        if (work / "dpo" / "pairs_summary.json").exists() else None
    res["success"] = {k: v["success"] for k, v in ev.items()}
    res["paired"] = {f"{b}_vs_{a}": paired_compare(_outcomes(ev[b]), _outcomes(ev[a])).to_dict()
                     for a, b in (("scratch", "sft"), ("sft", "dpo")) if a in ev and b in ev}
    res["wall_s"] = wall
    res["sft_final_loss"] = next((r["loss"] for r in reversed(sft_metrics["log_history"]) if "loss" in r), None)
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    _plot(sft_metrics["log_history"], out / f"{tag}-curve.png")
    (out / f"{tag}.json").write_text(json.dumps(res, indent=2, sort_keys=True, default=str) + "\n")
    for k, v in res["success"].items():
        print(f"{k:8s} success {v['mean']:.3f} [{v['low']:.3f}, {v['high']:.3f}] n={v['n']}")
    print(json.dumps({"wall_s": wall, "params": res["params"], "paired": {k: v["verdict"] for k, v in res["paired"].items()}}))
    return res


if __name__ == "__main__":
    main()
