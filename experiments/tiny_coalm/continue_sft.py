"""More SFT steps from the tiny CoALM SFT checkpoint (same data, prompt and eval), added to the results as
``sft_more``: does the SFT figure still move with training time? ``python -m experiments.tiny_coalm.continue_sft``
after ``python -m experiments.tiny_coalm.run``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from coalm_env.stats.estimators import paired_compare
from coalm_env.train import config as tconfig
from coalm_env.train.runs import evaluate
from experiments.tiny_coalm.run import FULL, PROMPT, _eval_spec, _outcomes, _sft_timed, _trl


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="runs/tiny_coalm/tiny_coalm")
    ap.add_argument("--results", default="experiments/results/tiny_coalm.json")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=420)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--base", default="sft", help="the checkpoint under --work to continue from")
    ap.add_argument("--tag", default="sft_more", help="the new checkpoint's name and results key")
    args = ap.parse_args(argv)
    work, s = Path(args.work), dict(FULL)
    res = json.loads(Path(args.results).read_text())
    t = time.perf_counter()
    tag, base = args.tag, args.base
    cfg = tconfig.from_mapping({"model": str(work / base), "data": [str(work / "teacher")], "export": PROMPT,
                                **_trl(s, work / tag, args.steps, args.lr)}, "sft")
    metrics = _sft_timed(cfg, args.seconds)
    wall_train = time.perf_counter() - t
    t = time.perf_counter()
    ev = evaluate(work / tag, _eval_spec(s), work / tag)
    res["success"][tag] = ev["success"]
    for other in dict.fromkeys(("random", "sft", base)):
        prev = json.loads((work / other / "eval.json").read_text()) if other != "random" else None
        outs = _outcomes(prev) if prev else [float(json.loads(line)["metrics"]["success"]) for line in
                                             (work / "random" / "trajectories.jsonl").read_text().splitlines()]
        res["paired"][f"{tag}_vs_{other}"] = paired_compare(_outcomes(ev), outs).to_dict()
    res["wall_s"].update({tag: wall_train, f"eval_{tag}": time.perf_counter() - t})
    res[tag] = {"base": base, "steps_done": metrics.get("steps_done"), "lr": args.lr, "schedule": "cosine",
                "cap_s": args.seconds,
                       "final_loss": next((r["loss"] for r in reversed(metrics["log_history"]) if "loss" in r), None),
                       "summary_metrics": ev["summary"]["metrics"]}
    Path(args.results).write_text(json.dumps(res, indent=2, sort_keys=True, default=str) + "\n")
    print(json.dumps({tag: ev["success"], f"vs_{base}": res["paired"][f"{tag}_vs_{base}"]["verdict"]}))
    return res


if __name__ == "__main__":
    main()
