"""Tiny CoALM on CPU: rule-policy rollouts (Travel train, short-episode knobs: ``ENV_OPTIONS``) -> CoALM-IT export (compact CRA prompt, short history)
-> a BPE tokenizer trained on it -> a small Llama trained from scratch by SFT -> interactive evaluation on
Travel test (same knobs) with the agenda user, greedy (the react policy on the hf backend) -> DPO on pairs mined from the SFT
model's own train-split rollouts at temperature 1 -> evaluation again -> GRPO from the SFT checkpoint (rollout_func
adapter, branch mode: exact agent steps branched from greedy episodes) -> evaluation again. The teacher plays the
first ``train_episodes`` train scenarios; with ``rl_skip`` DPO mining and GRPO use the scenarios after them, which
SFT has not memorised. Training runs in bf16 autocast where the CPU has native bf16 (``bf16: auto``), else fp32. Success with bootstrap 95% CIs, paired
comparisons on the same scenarios/seeds, a learning-curve PNG and wall times go to experiments/results/.

``--quick`` is the CI smoke (tests/test_tiny_coalm_quick.py, about a minute on 2 cores): every stage on tiny
sizes (40 teacher episodes, 20 SFT steps, 3 test episodes per evaluation, 2 DPO steps). Its DPO pairs are not mined
from the SFT model's samples (20 steps rarely give a success/failure mix, so there would be no pairs) but from the
teacher's train rollouts against random-policy rollouts on the same train scenarios and seeds (``mine_random_episodes``):
a rule success and a random failure share the user's opening turn and diverge at the first agent turn, so a pair
exists; if none does anyway, the DPO stage is recorded as ``dpo_skipped: "no pairs ..."``. ``--out DIR`` writes the
results (JSON, curve) to DIR and the work files under DIR/work. The full settings target <= 45 min on 2 cores
(measured: 35.6 min on a 2-core AVX-512/avx512_bf16 EPYC in bf16, experiments/results/tiny_coalm.json; a CPU
without native bf16 trains in fp32: about 1.0 s per SFT step on the 2-core AVX2 EPYC of
tiny_coalm_branch_grpo.json against 0.34 s here, so the 45 min are not met on such a CPU).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.stats.estimators import bootstrap_mean, paired_compare
from coalm_env.train import config as tconfig
from coalm_env.train.data import to_prompt_completion
from coalm_env.train.export import export, write_samples
from coalm_env.train.runs import evaluate

ENV = "coalm/Travel-v0"
#: Travel knobs that keep episodes short (train and test alike): one goal domain, searches only (no bookings,
#: no taxis), no fail-over searches, no venue asked for by name
ENV_OPTIONS = {"max_depth": 1, "max_domains": 1, "p_fail_info": 0.0, "p_name": 0.0}
#: the compact CRA prompt without its constant preamble (instruction + tool list: 70% of the tokens), one
#: earlier user turn, tool results cut to their first entry (render_coalm options; the react policy gets the same)
PROMPT = {"compact": True, "history": 1, "results": 1, "preamble": False}
#: the rule policy teaches: it acts only on what the user said (the oracle fills slots from the goal)
TEACHER = "rule"
#: the procedural train splits mixed into the SFT data (``proc_episodes`` oracle episodes each: their gold plans
#: take every value from the user's request and earlier results)
PROCEDURAL = ("coalm/BFCL-Procedural-v0", "coalm/APIBank-Procedural-v0")
QUICK = {"train_episodes": 40, "n_train": 2000, "proc_episodes": 4, "proc_eval_episodes": 0, "dpo_sft_weight": 1.0,
         "group_by_length": True,
         "vocab": 1200, "hidden": 64, "layers": 2, "max_steps": 20, "eval_episodes": 3,
         "mine_random_episodes": 12, "dpo_steps": 2, "max_length": 512, "max_tokens": 32, "batch": 8, "lr": 2e-3,
         "grpo_steps": 1, "grpo_scenarios": 2, "grpo_generations": 2, "grpo_lr": 1e-3, "grpo_max_turns": 2,
         "grpo_mode": "branch", "grpo_groups": 1, "bf16": "auto", "rl_skip": True}
#: rl_skip: DPO mining and GRPO run on the 1000 train scenarios after the teacher's 3000 (not memorised by SFT)
FULL = {"train_episodes": 3000, "n_train": 4000, "proc_episodes": 0, "proc_eval_episodes": 50, "dpo_sft_weight": 1.0,
        "group_by_length": False, "vocab": 2048, "hidden": 256, "layers": 4, "max_steps": 3600, "eval_episodes": 200,
        "mine_scenarios": 96, "mine_samples": 4, "dpo_steps": 60, "max_length": 512, "max_tokens": 48, "batch": 8,
        "lr": 1e-3, "sft_seconds": None, "grpo_steps": 28, "grpo_scenarios": 200, "grpo_generations": 4,
        "grpo_lr": 1e-4, "grpo_max_turns": 6, "grpo_seconds": None, "grpo_mode": "branch", "grpo_groups": 4,
        "bf16": "auto", "rl_skip": True}


def use_bf16(s: dict) -> bool:
    """The ``bf16`` setting: ``auto`` trains in bf16 autocast where the CPU multiplies bf16 natively
    (:func:`coalm_env.train.config.cpu_native_bf16`; 2.7x faster per step there), else in fp32."""
    from coalm_env.train.config import cpu_native_bf16

    choice = {"auto": None, "true": True, "false": False}.get(str(s["bf16"]).lower(), "bad")
    if choice == "bad":
        raise SystemExit(f"error: bf16={s['bf16']!r}: expected auto, true or false")
    return cpu_native_bf16() if choice is None else choice


def rl_skip(s: dict, scenarios: int) -> int:
    """How many train scenarios the RL stages leave out: with the ``rl_skip`` setting, the ``train_episodes``
    ones the teacher played (the SFT data), so that DPO mining and GRPO run on scenarios the model has not
    memorised (measured: greedy SFT success 0.51 on its own train scenarios vs 0.155 on test); else 0."""
    if not s["rl_skip"]:
        return 0
    if s["n_train"] < s["train_episodes"] + scenarios:
        raise SystemExit(f"error: rl_skip needs n_train >= train_episodes + {scenarios} (RL scenarios); "
                         f"n_train is {s['n_train']}, train_episodes {s['train_episodes']}")
    return s["train_episodes"]


def override(settings: dict, pairs: list[str]) -> dict:
    """``settings`` with ``KEY=VALUE`` overrides, each typed as the setting's default (unknown keys rejected)."""
    out = dict(settings)
    for item in pairs:
        key, sep, raw = item.partition("=")
        if not sep or key not in settings:
            raise SystemExit(f"error: --set {item!r}: expected KEY=VALUE with KEY one of {', '.join(sorted(settings))}")
        kind = float if settings[key] is None else type(settings[key])  # None: an optional number (a time cap)
        try:
            out[key] = (raw.lower() in ("1", "true", "yes")) if kind is bool else \
                None if raw.lower() == "none" else kind(raw)
        except ValueError:
            raise SystemExit(f"error: --set {item!r}: {key} takes a {kind.__name__}") from None
    return out


def fitting(rows: list[dict], tokenizer, max_length: int) -> tuple[list[dict], int]:
    """The rows whose chat-formatted prompt + completion fit in ``max_length`` tokens (a longer one would be cut
    by the trainer, and a cut completion teaches a call without its end), and how many were left out."""
    from coalm_env.train.data import to_conversational

    keep = []
    for r in rows:
        c = to_conversational(r)
        n = len(tokenizer.apply_chat_template(c["prompt"] + c["completion"], tokenize=True))
        if n <= max_length:
            keep.append(r)
    return keep, len(rows) - len(keep)


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


def _react(s: dict, extra: str = "") -> str:
    return (f"react:hf:{{model}},{extra}max_tokens={s['max_tokens']},compact=1,history={PROMPT['history']},"
            f"results={PROMPT['results']},preamble={int(PROMPT['preamble'])}")


def env_options(s: dict) -> dict:
    """:data:`ENV_OPTIONS` with the train split's size (``n_train`` scenarios; the test split does not depend on it)."""
    return {**ENV_OPTIONS, "n_train": s["n_train"]}


def _eval_spec(s: dict) -> dict:
    return {"env_id": ENV, "split": "test", "episodes": s["eval_episodes"], "user": "agenda", "seed": 0,
            "env_options": env_options(s), "policy": _react(s)}  # temperature 0 (greedy) by default


def _trl(s: dict, out: Path, steps: int, lr: float) -> dict:
    return {"output_dir": str(out), "max_steps": steps, "per_device_train_batch_size": s["batch"], "learning_rate": lr,
            "warmup_steps": 0.02, "lr_scheduler_type": s.get("schedule", "cosine"), "max_length": s["max_length"], "logging_steps": 5,
            "save_strategy": "no", "report_to": "none", "use_cpu": True, "bf16": use_bf16(s),
            "activation_checkpointing": False}


def _machine() -> dict:
    import os
    import platform
    from datetime import datetime, timezone

    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "host": platform.node(),
            "cpus": os.cpu_count(), "torch_threads": __import__("torch").get_num_threads(),
            "load_avg_start": os.getloadavg(), "python": platform.python_version()}


def _sft_timed(config, seconds: float | None) -> dict:
    """:func:`coalm_env.train.sft.run` with a wall-clock cap (the 2 shared cores run at an unknown speed)."""
    from coalm_env.train import sft
    from coalm_env.train.runs import changed_fraction, save_outputs
    from experiments.tiny_coalm.grpo_stage import wall_cap

    trainer = sft.build_trainer(config)
    trainer.add_callback(wall_cap(seconds))
    before = {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.train()
    extra = {"samples": len(trainer.train_dataset), "changed_params": changed_fraction(before, trainer.model),
             "steps_done": trainer.state.global_step, "time_cap_s": seconds}
    return save_outputs(config, trainer, result, extra)


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
    ap.add_argument("--out", help="write results to DIR (not experiments/results) and work files to DIR/work")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override one setting of QUICK/FULL (typed as its default), e.g. --set max_steps=100")
    ap.add_argument("--until", choices=("sft", "dpo"), help="stop after this stage (the RL stages can then be "
                    "run on its checkpoint with dpo_stage.py / grpo_stage.py)")
    args = ap.parse_args(argv)
    if args.out:
        args.results, args.work = args.out, str(Path(args.out) / "work")
    s, tag = (QUICK, "tiny_coalm-quick") if args.quick else (FULL, "tiny_coalm")
    s = override(s, args.set)
    work, wall = Path(args.work) / tag, {}
    res = {"settings": s, "prompt": PROMPT, "env_options": env_options(s), "teacher": TEACHER, "machine": _machine()}
    t = time.perf_counter()
    # the teacher plays the first train_episodes train scenarios once each (the RL stages can then skip them);
    # a split smaller than that is played in seeded passes
    from coalm_env.resolve import domain_for
    from coalm_env.rollout import split_ids

    ids = split_ids(domain_for(ENV, **env_options(s)), "train")
    teacher_ids = ids[:s["train_episodes"]] if len(ids) >= s["train_episodes"] else None
    res["bf16"] = use_bf16(s)
    teach = run_rollouts(RolloutConfig(ENV, policy=TEACHER, user="agenda", split="train", env_options=env_options(s),
                                       episodes=s["train_episodes"], seed=0, out_dir=str(work / "teacher"),
                                       scenario_ids=teacher_ids), progress=False)
    res["teacher_success"] = teach.summary["metrics"]["success"]
    rows, stats = export(teach.trajectories, "coalm-it", **PROMPT)
    res["export"] = stats.to_dict()
    res["procedural"] = {}
    for env_id in PROCEDURAL if s["proc_episodes"] else ():
        proc = run_rollouts(RolloutConfig(env_id, policy="oracle", split="train", episodes=s["proc_episodes"], seed=0,
                                          out_dir=str(work / ("teacher-" + env_id.split("/")[1]))), progress=False)
        more, st = export(proc.trajectories, "coalm-it", **PROMPT)
        res["procedural"][env_id] = {"teacher_success": proc.summary["metrics"]["success"], "export": st.to_dict()}
        rows += more
    tok = build_tokenizer(rows, s["vocab"])
    rows, res["too_long_skipped"] = fitting(rows, tok, s["max_length"])
    write_samples(rows, work / "coalm_it.jsonl")
    res["sft_samples"] = len(rows)
    res["params"] = build_model(tok, s, work / "scratch")
    wall["data"] = time.perf_counter() - t
    t = time.perf_counter()
    rnd = run_rollouts(RolloutConfig(ENV, policy="random", user="agenda", split="test", env_options=env_options(s),
                                     episodes=s["eval_episodes"], seed=0, out_dir=str(work / "random")), progress=False)
    ev = {"random": {"success": bootstrap_mean([t_.metrics["success"] for t_ in rnd.trajectories]).to_dict(),
                     "episodes": [{"scenario_id": t_.scenario_id, "success": float(t_.metrics["success"])}
                                  for t_ in rnd.trajectories]}}
    wall["eval_random"] = time.perf_counter() - t
    t = time.perf_counter()
    ev["scratch"] = evaluate(work / "scratch", _eval_spec(s), work / "scratch")
    wall["eval_scratch"] = time.perf_counter() - t
    t = time.perf_counter()
    # group_by_length: batches of similar lengths; with the procedural samples (up to 512 tokens, Travel's ~250) a
    # batch padded to its longest sample spent most of its compute on padding (3.3 s per step instead of ~0.6)
    sft_cfg = tconfig.from_mapping({"model": str(work / "scratch"), "data": [str(work / "coalm_it.jsonl")],
                                    **({"train_sampling_strategy": "group_by_length"} if s["group_by_length"] else {}),
                                    **_trl(s, work / "sft", s["max_steps"], s["lr"])}, "sft")
    from coalm_env.train import dpo, sft

    sft_metrics = _sft_timed(sft_cfg, s.get("sft_seconds"))
    wall["sft"] = time.perf_counter() - t
    t = time.perf_counter()
    ev["sft"] = evaluate(work / "sft", _eval_spec(s), work / "sft")
    wall["eval_sft"] = time.perf_counter() - t
    t = time.perf_counter()
    for env_id in PROCEDURAL if s["proc_eval_episodes"] and s["proc_episodes"] else ():
        name = env_id.split("/")[1]
        spec = {"env_id": env_id, "split": "test", "episodes": s["proc_eval_episodes"], "seed": 0, "policy": _react(s)}
        report = evaluate(work / "sft", spec, work / "sft" / name)
        res["procedural"][env_id]["sft_test_success"] = report["success"]
        wall["eval_sft_procedural"] = time.perf_counter() - t
    if args.until != "sft":
        t = time.perf_counter()
        if args.quick:  # rule (teacher) vs random on the same train scenarios/seeds: a pair always exists (docstring)
            run_rollouts(RolloutConfig(ENV, policy="random", user="agenda", split="train", env_options=env_options(s),
                                       episodes=s["mine_random_episodes"], seed=0, out_dir=str(work / "random_train"),
                                       scenario_ids=teacher_ids[:s["mine_random_episodes"]] if teacher_ids else None),
                         progress=False)
            mining = {"runs": [str(work / "teacher"), str(work / "random_train")]}
            res["mining"] = "quick: teacher (rule) vs random-policy rollouts on Travel train, same scenarios and seeds"
        else:
            mining = {"env_id": ENV, "split": "train", "scenarios": s["mine_scenarios"], "samples": s["mine_samples"],
                      "skip": rl_skip(s, s["mine_scenarios"]),
                      "user": "agenda", "env_options": env_options(s), "policy": _react(s, "temperature=1.0,")}
        loss = {"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, s["dpo_sft_weight"]]} \
            if s["dpo_sft_weight"] else {}  # RPO: DPO plus the NLL of the chosen continuation
        dpo_cfg = tconfig.from_mapping({"model": str(work / "sft"), "mining": mining, "export": PROMPT, "beta": 0.1,
                                        **loss, **_trl(s, work / "dpo", s["dpo_steps"], 5e-5)}, "dpo")
        try:
            dpo.run(dpo_cfg)
            wall["dpo"] = time.perf_counter() - t
            t = time.perf_counter()
            ev["dpo"] = evaluate(work / "dpo", _eval_spec(s), work / "dpo")
            wall["eval_dpo"] = time.perf_counter() - t
        except Exception as exc:  # no pairs (no success/failure mix) is a finding, not a crash of the report
            res["dpo_skipped"] = f"{type(exc).__name__}: {exc}"
            if "no preference pairs" in str(exc):
                res["dpo_skipped"] = f"no pairs ({exc})"
        res["pairs"] = json.loads((work / "dpo" / "pairs_summary.json").read_text()) \
            if (work / "dpo" / "pairs_summary.json").exists() else None
    if args.until is None:
        from experiments.tiny_coalm.grpo_stage import grpo_stage, stage_record

        skip = rl_skip(s, s["grpo_scenarios"])
        g = grpo_stage(work, s, "sft", _eval_spec(s), env_options(s), PROMPT, s["grpo_steps"], s["grpo_scenarios"],
                       s["grpo_generations"], s["grpo_lr"], s.get("grpo_seconds"), max_turns=s["grpo_max_turns"],
                       mode=s["grpo_mode"], groups=s["grpo_groups"], skip=skip)
        ev["grpo"] = g["eval"]
        wall["grpo"], wall["eval_grpo"] = g["wall_train_s"], g["wall_eval_s"]
        res["grpo"] = stage_record(g["train"], "sft", s["grpo_mode"], s["grpo_groups"], skip)
    res["success"] = {k: v["success"] for k, v in ev.items()}
    res["paired"] = {f"{b}_vs_{a}": paired_compare(_outcomes(ev[b]), _outcomes(ev[a])).to_dict()
                     for a, b in (("random", "sft"), ("scratch", "sft"), ("sft", "dpo"), ("random", "dpo"),
                                  ("sft", "grpo"))
                     if a in ev and b in ev}
    res["wall_s"] = wall
    res["machine"]["load_avg_end"] = __import__("os").getloadavg()
    dpo_metrics = work / "dpo" / "metrics.json"
    if args.quick:  # the CI test checks that both stages moved the weights
        res["sft_changed_params"] = sft_metrics.get("changed_params")
        res["dpo_changed_params"] = json.loads(dpo_metrics.read_text()).get("changed_params") \
            if dpo_metrics.exists() else None
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
