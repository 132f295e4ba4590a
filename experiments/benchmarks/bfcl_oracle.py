"""Oracle (ground-truth replay) and empty-response baselines on BFCL V3 multi-turn, through the env.

Runs every entry of the chosen categories in ``coalm/BFCL-MultiTurn-v0`` with the replay user and
prints per-category accuracy (the official verdict), dense turn accuracy and entries per second.

    python experiments/benchmarks/bfcl_oracle.py                   # oracle, all 800 entries
    python experiments/benchmarks/bfcl_oracle.py --agent empty     # replies only, never calls
    python experiments/benchmarks/bfcl_oracle.py --category base --failures
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

try:
    import simulators  # noqa: F401  (the replay user; importable when run from the repo root)
except ImportError:  # run as a script from elsewhere: the repo root holds the plug-in packages
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import gymnasium as gym

import coalm_env  # noqa: F401  (registers the ids)
from coalm_env.domains.bfcl.entries import CATEGORIES

ENV_ID = "coalm/BFCL-MultiTurn-v0"
EMPTY_REPLY = "I cannot help with that."


def run_episode(env: gym.Env, scenario_id: str, agent: str) -> dict:
    _, info = env.reset(seed=0, options={"scenario_id": scenario_id})
    while True:
        action = info["oracle_action"] if agent == "oracle" else EMPTY_REPLY
        _, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            return info


def run_category(category: str, agent: str, show_failures: bool) -> tuple[int, int, float, float]:
    env = gym.make(ENV_ID, category=category, oracle_hints=agent == "oracle")
    ids = [s.id for s in env.unwrapped.domain.scenarios("test")]
    start = time.perf_counter()
    valid, turn_acc = 0, 0.0
    for scenario_id in ids:
        info = run_episode(env, scenario_id, agent)
        metrics = info["metrics"]
        valid += int(metrics["success"])
        turn_acc += metrics["bfcl_turn_acc"]
        if metrics["internal_errors"]:
            print(f"  internal error in {scenario_id}: {info['trajectory'].errors[:1]}")
        if show_failures and not metrics["success"]:
            verdict = env.unwrapped.domain.verdict(info["trajectory"], env.unwrapped.scenario)
            print(f"  {scenario_id}: {verdict.error_type}: {verdict.error_message}")
    env.close()
    return valid, len(ids), turn_acc / len(ids), time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--category", choices=(*CATEGORIES, "all"), default="all")
    parser.add_argument("--agent", choices=("oracle", "empty"), default="oracle")
    parser.add_argument("--failures", action="store_true", help="print the verdict of each failed entry")
    args = parser.parse_args(argv)
    categories = CATEGORIES if args.category == "all" else (args.category,)
    total_valid = total = 0
    total_time = 0.0
    print(f"{args.agent} agent on {ENV_ID}")
    for category in categories:
        valid, n, turn_acc, seconds = run_category(category, args.agent, args.failures)
        total_valid, total, total_time = total_valid + valid, total + n, total_time + seconds
        rate = n / seconds
        print(f"{category:<13} {valid:>4}/{n:<4} acc={valid / n:.4f}  turn_acc={turn_acc:.4f}  {rate:7.1f} entries/s")
    rate = total / total_time
    print(f"{'overall':<13} {total_valid:>4}/{total:<4} acc={total_valid / total:.4f}  {rate:7.1f} entries/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
