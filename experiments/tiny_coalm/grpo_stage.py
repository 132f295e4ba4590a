"""GRPO on the tiny CoALM SFT checkpoint: whole Travel episodes against the agenda user (the ``rollout_func``
adapter: our react policy samples on the trainer's current model with the prompt layout of the SFT data; user and
tool tokens are masked out of the loss), reward = success + dense plan credit - parse errors, then the same test
evaluation as every other stage and a paired comparison with the checkpoint it started from.

``python -m experiments.tiny_coalm.grpo_stage --base sft`` after ``python -m experiments.tiny_coalm.run`` adds the
``grpo`` entry to the results; ``run.py`` calls :func:`grpo_stage` itself as its last stage.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from coalm_env.stats.estimators import paired_compare
from coalm_env.train import config as tconfig
from coalm_env.train.runs import evaluate

#: the reward: the env's success, plus a little of the plan credit (fraction of gold calls made with the right
#: arguments) so that a group of failing episodes still ranks, minus parse errors (coalm_env.train.reward)
REWARD = {"success": 1.0, "graph_credit": 0.5, "parse_errors": -0.1}


def wall_cap(seconds: float | None) -> Any:
    """A trainer callback that stops training after ``seconds`` of wall time (``None``: never); the 2 shared
    cores run at an unknown speed, so the stages are capped in time as well as in steps."""
    from transformers import TrainerCallback

    class _Cap(TrainerCallback):
        def __init__(self):
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            if seconds and time.perf_counter() - self.t0 > seconds:
                control.should_training_stop = True

    return _Cap()


def grpo_config(s: dict[str, Any], base: Path, out: Path, env_options: dict[str, Any], prompt: dict[str, Any],
                steps: int, scenarios: int, generations: int, lr: float, max_turns: int = 10, mode: str = "episode",
                groups: int = 1, skip: int = 0, seed: int = 0, branch_step: str = "uniform") -> Any:
    """The GRPO run config (our keys + GRPOConfig fields), on the train split only (``scenarios`` of them after
    its first ``skip``); ``groups`` scenarios (each with ``generations`` rollouts) per optimiser step; ``mode``:
    the rollout_func adapter's (episode | branch); ``seed``: the trainer's and the rollouts' (a replicate)."""
    from experiments.tiny_coalm.run import use_bf16

    policy_options = {"compact": int(prompt["compact"]), "history": prompt["history"], "results": prompt["results"],
                      "preamble": int(prompt["preamble"])}
    return tconfig.from_mapping({
        "trainer": "grpo", "model": str(base),
        "env": {"id": "coalm/Travel-v0", "user": "agenda", "split": "train", "scenarios": scenarios,
                "skip": skip, "options": {**env_options, "max_turns": max_turns}},
        "reward": REWARD,
        "rollout": {"adapter": "rollout_func", "policy": "react", "max_tokens": s["max_tokens"],
                    "max_episode_tokens": 768, "seed": seed, "policy_options": policy_options, "mode": mode,
                    **({"branch_step": branch_step} if mode == "branch" else {})},
        "output_dir": str(out), "max_steps": steps, "per_device_train_batch_size": generations * groups,
        "num_generations": generations, "max_completion_length": s["max_tokens"], "temperature": 1.0,
        "learning_rate": lr, "beta": 0.0, "logging_steps": 1, "save_strategy": "no", "report_to": "none",
        "use_cpu": True, "bf16": use_bf16(s), "seed": seed,
    })


def grpo_stage(work: Path, s: dict[str, Any], base: str, eval_spec: dict[str, Any], env_options: dict[str, Any],
               prompt: dict[str, Any], steps: int, scenarios: int = 64, generations: int = 8, lr: float = 2e-5,
               seconds: float | None = None, tag: str = "grpo", max_turns: int = 10, mode: str = "episode",
               groups: int = 1, skip: int = 0, seed: int = 0, branch_step: str = "uniform") -> dict[str, Any]:
    """Train GRPO from ``work/base`` into ``work/tag`` (at most ``steps`` steps or ``seconds`` of wall time),
    evaluate it; returns ``{"train": metrics, "eval": report, "wall_train_s", "wall_eval_s"}``."""
    from coalm_env.train.grpo import build_trainer
    from coalm_env.train.runs import changed_fraction, save_outputs

    t = time.perf_counter()
    config = grpo_config(s, work / base, work / tag, env_options, prompt, steps, scenarios, generations, lr, max_turns,
                         mode, groups, skip, seed, branch_step)
    trainer = build_trainer(config)
    trainer.add_callback(wall_cap(seconds))
    before = {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.train()
    metrics = save_outputs(config, trainer, result, {
        "changed_params": changed_fraction(before, trainer.model), "steps_done": trainer.state.global_step,
        "time_cap_s": seconds, "scenarios": len(trainer.train_dataset), "adapter": "rollout_func"})
    wall_train = time.perf_counter() - t
    t = time.perf_counter()
    report = evaluate(work / tag, eval_spec, work / tag)
    return {"train": metrics, "eval": report, "wall_train_s": wall_train, "wall_eval_s": time.perf_counter() - t}


def _rewards(log: list[dict[str, Any]]) -> list[float]:
    return [r["reward"] for r in log if "reward" in r]


def stage_record(train: dict[str, Any], base: str, mode: str, groups: int, skip: int = 0) -> dict[str, Any]:
    """The results entry of a GRPO stage from its train metrics (run.py and :func:`main` write the same)."""
    log = train["log_history"]
    return {"base": base, "steps_done": train.get("steps_done"), "reward_weights": REWARD, "mode": mode,
            "groups": groups, "skip": skip, "changed_params": train.get("changed_params"), "reward_curve": _rewards(log),
            "success_curve": [r["env/success"] for r in log if "env/success" in r],
            "informative_groups": [r["rollout/informative_groups"] for r in log if "rollout/informative_groups" in r]}


def main(argv: list[str] | None = None) -> dict:
    from coalm_env.train.rollout_func import EpisodeRollout
    from experiments.tiny_coalm.run import FULL, PROMPT, _eval_spec, _outcomes, env_options, rl_skip

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="runs/tiny_coalm/tiny_coalm")
    ap.add_argument("--results", default="experiments/results/tiny_coalm.json")
    ap.add_argument("--base", default="sft", help="the checkpoint under --work to start from")
    ap.add_argument("--tag", default="grpo")
    ap.add_argument("--steps", type=int, default=None, help="default: the run's grpo_steps (and so on below)")
    ap.add_argument("--seconds", type=float, default=None, help="wall-time cap (default: the run's grpo_seconds)")
    ap.add_argument("--scenarios", type=int, default=None)
    ap.add_argument("--generations", type=int, default=None)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--max-turns", type=int, default=None, help="episode cap during GRPO rollouts (eval: the env's)")
    ap.add_argument("--mode", choices=EpisodeRollout.MODES, default=None,
                    help="rollout_func mode (default: the run's grpo_mode setting)")
    ap.add_argument("--groups", type=int, default=None, help="scenarios per step (default: the run's grpo_groups)")
    ap.add_argument("--branch-step", choices=EpisodeRollout.BRANCH_STEPS, default="uniform",
                    help="branch mode: how the branch step is drawn (uncertain: where the greedy policy hesitated)")
    ap.add_argument("--seed", type=int, default=0, help="trainer and rollout seed (another value: a replicate)")
    ap.add_argument("--skip", type=int, default=None, help="leave out the first SKIP train scenarios (default: "
                    "those the run's teacher played when its rl_skip setting is on, else 0)")
    args = ap.parse_args(argv)
    work = Path(args.work)
    res = json.loads(Path(args.results).read_text())
    s = {**FULL, **res.get("settings", {})}  # the run's own settings (run.py --set ...)
    mode, groups = args.mode or s["grpo_mode"], args.groups or s["grpo_groups"]
    for name in ("steps", "seconds", "scenarios", "generations", "lr", "max_turns"):  # the run's own settings
        if getattr(args, name) is None:
            setattr(args, name, s[f"grpo_{name}"])
    skip = rl_skip(s, args.scenarios) if args.skip is None else args.skip
    out = grpo_stage(work, s, args.base, _eval_spec(s), env_options(s), PROMPT, args.steps, args.scenarios,
                     args.generations, args.lr, args.seconds, args.tag, max_turns=args.max_turns, mode=mode,
                     groups=groups, skip=skip, seed=args.seed, branch_step=args.branch_step)
    ev, tag = out["eval"], args.tag
    res["success"][tag] = ev["success"]
    base_eval = json.loads((work / args.base / "eval.json").read_text())
    res["paired"][f"{tag}_vs_{args.base}"] = paired_compare(_outcomes(ev), _outcomes(base_eval)).to_dict()
    res["wall_s"].update({tag: out["wall_train_s"], f"eval_{tag}": out["wall_eval_s"]})
    log = out["train"]["log_history"]
    res[tag] = {**stage_record(out["train"], args.base, mode, groups, skip), "lr": args.lr, "seed": args.seed, "branch_step": args.branch_step, "scenarios": args.scenarios,
                "generations": args.generations, "max_turns": args.max_turns, "wall_train_s": out["wall_train_s"],
                "cap_s": args.seconds, "summary_metrics": ev["summary"]["metrics"]}
    Path(args.results).write_text(json.dumps(res, indent=2, sort_keys=True, default=str) + "\n")
    print(json.dumps({tag: ev["success"], f"vs_{args.base}": res["paired"][f"{tag}_vs_{args.base}"]["verdict"],
                      "reward_first_last": [_rewards(log)[:3], _rewards(log)[-3:]]}))
    return res


if __name__ == "__main__":
    main()
