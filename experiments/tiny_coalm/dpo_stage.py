"""DPO again on a tiny CoALM SFT checkpoint, with the pairs mined as ``run.py`` mines them (the SFT model's own
Travel-train rollouts at temperature 1), added to the results as ``--tag``: ``python -m
experiments.tiny_coalm.dpo_stage --work DIR/work/tiny_coalm --results DIR/tiny_coalm.json`` after ``run.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from coalm_env.stats.estimators import paired_compare
from coalm_env.train import config as tconfig
from coalm_env.train.runs import evaluate


def main(argv: list[str] | None = None) -> dict:
    from coalm_env.train import dpo
    from experiments.tiny_coalm.run import ENV, FULL, PROMPT, _eval_spec, _outcomes, _react, _trl, env_options

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="runs/tiny_coalm/tiny_coalm")
    ap.add_argument("--results", default="experiments/results/tiny_coalm.json")
    ap.add_argument("--base", default="sft")
    ap.add_argument("--tag", default="dpo")
    ap.add_argument("--scenarios", type=int, default=FULL["mine_scenarios"])
    ap.add_argument("--samples", type=int, default=FULL["mine_samples"])
    ap.add_argument("--steps", type=int, default=FULL["dpo_steps"])
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--temperature", type=float, default=1.0, help="sampling temperature of the mining rollouts")
    ap.add_argument("--sft-weight", type=float, default=0.0,
                    help="add TRL's 'sft' loss on the chosen side with this weight (RPO: loss_type [sigmoid, sft])")
    ap.add_argument("--reuse-pairs", action="store_true", help="reuse --tag's mined rollouts if present")
    args = ap.parse_args(argv)
    work = Path(args.work)
    res = json.loads(Path(args.results).read_text())
    s = {**FULL, **res.get("settings", {})}  # the run's own settings (run.py --set ...)
    mining = {"env_id": ENV, "split": "train", "scenarios": args.scenarios, "samples": args.samples,
              "user": "agenda", "env_options": env_options(s), "policy": _react(s, f"temperature={args.temperature},")}
    if args.reuse_pairs and (work / args.tag / "mining").is_dir():
        mining = {"runs": sorted(str(d) for d in (work / args.tag / "mining").iterdir() if d.is_dir())}
    loss = {"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, args.sft_weight]} if args.sft_weight else {}
    cfg = tconfig.from_mapping({"model": str(work / args.base), "mining": mining, "export": PROMPT, "beta": 0.1,
                                **loss, **_trl(s, work / args.tag, args.steps, args.lr)}, "dpo")
    t = time.perf_counter()
    metrics = dpo.run(cfg)
    wall_train = time.perf_counter() - t
    t = time.perf_counter()
    ev = evaluate(work / args.tag, _eval_spec(s), work / args.tag)
    base_eval = json.loads((work / args.base / "eval.json").read_text())
    res["success"][args.tag] = ev["success"]
    res["paired"][f"{args.tag}_vs_{args.base}"] = paired_compare(_outcomes(ev), _outcomes(base_eval)).to_dict()
    res["wall_s"].update({args.tag: wall_train, f"eval_{args.tag}": time.perf_counter() - t})
    res[args.tag] = {"base": args.base, "pairs": json.loads((work / args.tag / "pairs_summary.json").read_text()),
                     "steps": args.steps, "lr": args.lr, "temperature": args.temperature,
                     "sft_weight": args.sft_weight, "changed_params": metrics.get("changed_params"),
                     "summary_metrics": ev["summary"]["metrics"]}
    Path(args.results).write_text(json.dumps(res, indent=2, sort_keys=True, default=str) + "\n")
    print(json.dumps({args.tag: ev["success"], "pairs": res[args.tag]["pairs"],
                      f"vs_{args.base}": res["paired"][f"{args.tag}_vs_{args.base}"]["verdict"]}))
    return res


if __name__ == "__main__":
    main()
