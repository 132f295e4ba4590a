"""Generation cost of the procedural envs (issue 11): CPU ms per generated scenario, per env and split, against
the CPU ms of one oracle episode on the train split (which includes building its scenario on first use; the env's
construction and the dataset checks are paid once before the timing).

    python -m experiments.benchmarks.generation [--n 300] [--episodes 100] [--out FILE]

Each env's domain is built and warmed first (databases, graphs, statistics caches, benchmark keys: a one-off
per process, reported as ``warm_s``); then ``--n`` fresh indices per split are generated with
``domain.generate(split, i)`` and timed in CPU time (the 2-core machine is shared, so wall time is noisier).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import datetime, timezone
from typing import Any

from experiments.benchmarks import save_results

ENVS: dict[str, dict[str, Any]] = {
    "coalm/MultiWOZ-Procedural-v0": {},
    "coalm/BFCL-Procedural-v0": {},
    "coalm/APIBank-Procedural-v0 level=1": {"level": 1},
    "coalm/APIBank-Procedural-v0 level=2": {"level": 2},
    "coalm/APIBank-Procedural-v0 level=3": {"level": 3},
}


def _env_id(key: str) -> str:
    return key.split(" ")[0]


def measure(key: str, options: dict[str, Any], n: int, episodes: int, start: int) -> dict[str, Any]:
    from coalm_env.resolve import domain_for
    from coalm_env.rollout import RolloutConfig, run_rollouts

    t0 = time.process_time()
    domain = domain_for(_env_id(key), **options)
    domain.generate("train", 0)  # warm the per-process caches
    out: dict[str, Any] = {"warm_s": round(time.process_time() - t0, 3)}
    for split in ("train", "val", "test"):
        times = []
        for i in range(start, start + n):
            c = time.process_time()
            domain.generate(split, i)
            times.append((time.process_time() - c) * 1000)
        out[f"{split}_ms_mean"] = round(statistics.fmean(times), 3)
        out[f"{split}_ms_p95"] = round(sorted(times)[int(0.95 * (len(times) - 1))], 3)
    run_rollouts(RolloutConfig(_env_id(key), policy="oracle", split="train", episodes=1, seed=99,
                               env_options=options), progress=False)  # env construction and data checks: once
    c = time.process_time()
    res = run_rollouts(RolloutConfig(_env_id(key), policy="oracle", split="train", episodes=episodes, seed=1,
                                     env_options=options), progress=False)
    out["oracle_episode_ms"] = round((time.process_time() - c) * 1000 / episodes, 3)
    out["oracle_success"] = statistics.fmean(t.metrics["success"] for t in res.trajectories)
    out["generation_share_of_episode"] = round(out["train_ms_mean"] / out["oracle_episode_ms"], 3)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="scenarios generated per split and env")
    ap.add_argument("--episodes", type=int, default=100, help="oracle episodes per env (train split)")
    ap.add_argument("--start", type=int, default=50_000, help="first index (fresh: not cached by the warm-up)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    res: dict[str, Any] = {"machine": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                       "python": platform.python_version(), "cpus": os.cpu_count(),
                                       "load_start": os.getloadavg()},
                           "settings": vars(args), "envs": {}}
    print(f"{'env':40s} {'warm_s':>7s} {'train ms':>9s} {'val ms':>8s} {'test ms':>8s} {'episode ms':>10s} {'share':>6s}")
    for key, options in ENVS.items():
        r = measure(key, options, args.n, args.episodes, args.start)
        res["envs"][key] = r
        print(f"{key:40s} {r['warm_s']:7.2f} {r['train_ms_mean']:9.2f} {r['val_ms_mean']:8.2f} "
              f"{r['test_ms_mean']:8.2f} {r['oracle_episode_ms']:10.2f} {r['generation_share_of_episode']:6.2f}")
    res["machine"]["load_end"] = os.getloadavg()
    save_results(res, args.out, "generation.json")
    return res


if __name__ == "__main__":
    main()
