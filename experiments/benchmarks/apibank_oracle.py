"""API-Bank self-check: per-level gold-call pass rate, oracle figures through the env, retriever top-1/top-5.

Run: ``python experiments/benchmarks/apibank_oracle.py [--user apibank_goal]`` (needs the API-Bank data:
``coalm-env data fetch apibank --from DIR`` or ``COALM_ENV_DATA``).
"""

from __future__ import annotations

import argparse
import time

from experiments.apibank_audit import gold_call_verdicts, official_samples, oracle_rollouts, retriever_hits
from coalm_env.scoring import mean_metrics


def _pct(a: int, n: int) -> str:
    return f"{a}/{n} ({100.0 * a / n:.1f}%)" if n else "n/a"


def report(level: int, user: str | None) -> None:
    verdicts = gold_call_verdicts(level)
    print(f"== level {level}")
    print(f"  gold calls pass (dialogue calls): {_pct(sum(v['ok'] for v in verdicts), len(verdicts))}")
    if level in (1, 2):
        print(f"  gold calls pass (official samples): {_pct(*official_samples(level))}")
    start = time.perf_counter()
    rows = oracle_rollouts(level, user=user)
    mean = mean_metrics([{k: v for k, v in r.items() if k != "stop_reason"} for r in rows])
    keys = ("success", "api_call_accuracy", "rouge_l", "rouge_1", "rouge_2", "bleu_4", "internal_errors")
    figures = ", ".join(f"{k}={mean[k]:.4f}" for k in keys if k in mean)
    print(f"  oracle ({user or 'default user'}, {len(rows)} episodes, {time.perf_counter() - start:.1f}s): {figures}")
    if level != 1:  # levels 1 and 2 share one API set: its retriever is reported once, under level 2
        for kind, (top1, top5, n) in retriever_hits(level).items():
            what = "description queries" if kind == "descriptions" else f"level-{level} gold ToolSearcher keywords"
            print(f"  retriever BM25 (no recordings), {what}: top-1 {_pct(top1, n)}, top-5 {_pct(top5, n)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--user", default=None, help="user spec (default: the domain's apibank_replay)")
    parser.add_argument("--levels", default="1,2,3", help="comma-separated levels")
    args = parser.parse_args()
    for level in (int(x) for x in args.levels.split(",")):
        report(level, args.user)


if __name__ == "__main__":
    main()
