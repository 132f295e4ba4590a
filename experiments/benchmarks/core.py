"""Core benchmarks: rollout throughput, ``reset()`` time against database size, memory of live episodes.

    python -m experiments.benchmarks.core --env-id coalm/Travel-v0 --episodes 200 \\
        --db-option db_size --db-sizes 0.25,1,4,16 --concurrent 1000

1. Throughput: episodes/s and agent steps/s of the oracle policy against the domain's default user,
   through the batched runner (one policy call and one user call per tick).
2. Reset cost: mean ``reset()`` time for databases of growing size (the env option ``--db-option``);
   the copy-on-write store makes it flat. Building the domain (generating or loading the database)
   is reported separately: it happens once per process.
3. Memory: ``tracemalloc`` current and peak allocation of N envs reset and held at once (one shared
   domain and user simulator, as the runner uses them), net of what existed before, split into the env
   objects (built, not reset) and the episode state ``reset()`` adds.

Prints a table and writes JSON under ``experiments/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import tracemalloc
from typing import Any

from tabulate import tabulate

from coalm_env.resolve import make_env
from coalm_env.rollout import episode_seed, RolloutConfig, run_rollouts
from experiments.benchmarks import save_results



def throughput(env_id: str, episodes: int, batch_size: int, seed: int = 0, **env_options: Any) -> dict[str, Any]:
    """Episodes/s and steps/s of ``oracle`` against the default user."""
    result = run_rollouts(RolloutConfig(env_id, "oracle", episodes=episodes, seed=seed, batch_size=batch_size,
                          env_options=env_options), progress=False)
    t = result.timing
    return {
        "episodes": episodes,
        "batch_size": batch_size,
        "success_rate": result.summary["success_rate"],
        "episodes_per_s": t["episodes_per_s"],
        "steps_per_s": t["steps_per_s"],
        "steps_per_episode": t["steps"] / episodes,
        "wall_s": t["wall_s"],
        "policy_s": t["policy_s"],
        "user_s": t["user_s"],
    }


def _db_rows(env: Any) -> int | None:
    store = getattr(env.domain, "store", None)
    return store.size() if store is not None and hasattr(store, "size") else None


def reset_cost(env_id: str, option: str, size: Any, resets: int, seed: int = 0) -> dict[str, Any]:
    """Domain build time, first reset (lazy scenario generation) and mean of ``resets`` later resets."""
    start = time.perf_counter()
    env = make_env(env_id, **{option: size})
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    env.reset(seed=seed)
    first_s = time.perf_counter() - start
    times = []
    for i in range(resets):
        start = time.perf_counter()
        env.reset(seed=episode_seed(seed, i + 1))
        times.append(time.perf_counter() - start)
    times.sort()
    return {
        option: size,
        "db_rows": _db_rows(env),
        "build_s": build_s,
        "first_reset_s": first_s,
        "reset_ms_mean": 1000 * sum(times) / len(times),
        "reset_ms_p50": 1000 * times[len(times) // 2],
        "reset_ms_p95": 1000 * times[int(len(times) * 0.95)],
    }


def concurrent_memory(env_id: str, n: int, seed: int = 0, **env_options: Any) -> dict[str, Any]:
    """Memory of ``n`` live episodes held at once, net of the shared domain and user; split into the env
    objects themselves (built, not reset) and the episode state that ``reset()`` adds."""
    first = make_env(env_id, **env_options)
    first.reset(seed=seed)  # builds the domain and its scenarios before measuring
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    envs = [make_env(env_id, user=first.user, **env_options) for _ in range(n)]
    built, _ = tracemalloc.get_traced_memory()
    for i, env in enumerate(envs):
        env.reset(seed=episode_seed(seed, i))
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "episodes": len(envs),
        "total_mb": (current - base) / 2**20,
        "peak_mb": (peak - base) / 2**20,
        "per_episode_kb": (current - base) / n / 2**10,
        "env_object_kb": (built - base) / n / 2**10,
        "episode_state_kb": (current - built) / n / 2**10,
        "messages_per_episode": sum(len(e.trajectory.messages) for e in envs) / n,
    }


def _parse_size(text: str) -> Any:
    return json.loads(text)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env-id", default="coalm/Travel-v0")
    p.add_argument("--episodes", type=int, default=200, help="episodes for the throughput run")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--db-option", default="db_size", help="the env option that sets the database size")
    p.add_argument("--db-sizes", default="0.25,1,4,16", help="comma-separated values of --db-option")
    p.add_argument("--resets", type=int, default=200, help="timed resets per database size")
    p.add_argument("--concurrent", type=int, default=1000, help="live episodes for the memory figure")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="JSON file (default: experiments/results/core-<env>.json)")
    args = p.parse_args(argv)
    sizes = [_parse_size(s) for s in args.db_sizes.split(",") if s.strip()]
    results = {
        "env_id": args.env_id,
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "throughput": throughput(args.env_id, args.episodes, args.batch_size, args.seed),
        "reset_vs_db_size": [reset_cost(args.env_id, args.db_option, s, args.resets, args.seed) for s in sizes],
        "memory": concurrent_memory(args.env_id, args.concurrent, args.seed),
    }
    _report(results)
    save_results(results, args.out, f"core-{args.env_id.replace('/', '_')}.json")
    return results


def _report(results: dict[str, Any]) -> None:
    print(f"# {results['env_id']} on {results['machine']['platform']} ({results['machine']['cpus']} CPUs)\n")
    print(tabulate([results["throughput"]], headers="keys", floatfmt=".3g"))
    print()
    print(tabulate(results["reset_vs_db_size"], headers="keys", floatfmt=".3g"))
    print()
    print(tabulate([results["memory"]], headers="keys", floatfmt=".3g"))


if __name__ == "__main__":
    main()
