"""The issue-16 speed suite (what ``coalm-env bench`` prints), results written to
``experiments/results/bench.json``; with ``--before TREE`` also a before/after comparison of the loops.

    python -m experiments.benchmarks.suite                       # all sections, default counts
    python -m experiments.benchmarks.suite --quick
    python -m experiments.benchmarks.suite --loops-only --before /tmp/h5_base --rounds 3 --episodes 100

``--before TREE``: TREE is a copy of this checkout at the code to compare with (e.g. the working tree
with the changed files taken from an older commit). Each round runs every loop once in TREE and once
here, alternating, each in a fresh interpreter (``python -m coalm_env.bench_loops``-style child
processes below), so machine load falls on both sides alike; the table gives both figures and their
ratio, in episodes per wall second and per CPU second.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from coalm_env.bench import LOOP_OPTIONS, BenchConfig, LOOPS, format_report, machine, run_bench
from experiments.benchmarks import run_child, save_results

_CHILD = """
import json, sys, time
sys.path.insert(0, {tree!r})
from coalm_env.rollout import RolloutConfig, run_rollouts
env_id, policy, user, n, seed, options = {env_id!r}, {policy!r}, {user!r}, {n}, {seed}, {options!r}
run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=1, seed=seed + 10000, env_options=options),
             progress=False)
cpu = time.process_time()
res = run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=n, seed=seed, env_options=options),
                   progress=False)
cpu = time.process_time() - cpu
print(json.dumps({{"wall_s": res.timing["wall_s"], "cpu_s": cpu, "episodes": len(res.trajectories),
                  "success": sum(t.metrics.get("success", 0.0) for t in res.trajectories)}}))
"""


def _child(tree: Path, spec: tuple, episodes: int, seed: int) -> dict[str, Any]:
    name, env_id, policy, user, _ref = spec
    code = _CHILD.format(tree=str(tree), env_id=env_id, policy=policy, user=user, n=episodes, seed=seed,
                         options=dict(LOOP_OPTIONS.get(name, {})))  # the act loops: interface="acts"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return run_child(code, tree, env=env, what=f"the bench child ({name} in {tree})")


def before_after(before: Path, loops: list[str], episodes: int, rounds: int, seed: int) -> list[dict[str, Any]]:
    here = Path(__file__).resolve().parents[2]
    specs = [s for s in LOOPS if s[0] in loops]
    sums: dict[tuple[str, str], dict[str, float]] = {}
    for r in range(rounds):
        for spec in specs:
            for side, tree in (("before", before), ("after", here)) if r % 2 == 0 else (("after", here), ("before", before)):
                got = _child(tree, spec, episodes, seed + r)
                acc = sums.setdefault((spec[0], side), {})
                for k, v in got.items():
                    acc[k] = acc.get(k, 0.0) + v
                print(f"round {r + 1} {spec[0]} {side}: {got['episodes'] / got['wall_s']:.1f} eps/s, "
                      f"{got['episodes'] / got['cpu_s']:.1f} eps/cpu-s, load {os.getloadavg()[0]:.1f}",
                      file=sys.stderr, flush=True)
    rows = []
    for spec in specs:
        b, a = sums[(spec[0], "before")], sums[(spec[0], "after")]
        rows.append({"loop": spec[0], "episodes": int(a["episodes"]),
                     "success_before": b["success"] / b["episodes"], "success_after": a["success"] / a["episodes"],
                     "eps_per_s_before": b["episodes"] / b["wall_s"], "eps_per_s_after": a["episodes"] / a["wall_s"],
                     "speedup_wall": b["wall_s"] / a["wall_s"],
                     "eps_per_cpu_s_before": b["episodes"] / b["cpu_s"], "eps_per_cpu_s_after": a["episodes"] / a["cpu_s"],
                     "speedup_cpu": b["cpu_s"] / a["cpu_s"]})
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--loops", default="", help="comma-separated loop names (default: all)")
    p.add_argument("--episodes", type=int, default=None)
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--before", default=None, help="a checkout of the code to compare with (loops only)")
    p.add_argument("--loops-only", action="store_true", help="with --before: skip the other sections")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="JSON file (default: experiments/results/bench[-before-after].json)")
    args = p.parse_args(argv)
    loops = [x for x in args.loops.split(",") if x] or [s[0] for s in LOOPS]
    cfg = BenchConfig.quick(loops) if args.quick else BenchConfig(loops=tuple(loops))
    cfg.episodes = args.episodes or cfg.episodes
    cfg.rounds = args.rounds or cfg.rounds
    cfg.seed = args.seed
    from tabulate import tabulate

    results: dict[str, Any] = {}
    if args.before:
        start = machine()
        rows = before_after(Path(args.before).resolve(), loops, cfg.episodes, cfg.rounds, cfg.seed)
        results["before_after"] = {"machine": start, "load_end": list(os.getloadavg()), "rows": rows,
                                   "episodes_per_round": cfg.episodes, "rounds": cfg.rounds}
        print(f"# before/after, {start['cpu']} ({start['cores']} cores), {start['date']}, load {start['load']} -> "
              f"{results['before_after']['load_end']}")
        print(tabulate(rows, headers="keys", floatfmt=".3g"))
    if not (args.before and args.loops_only):
        results["bench"] = run_bench(cfg, lambda line: print(line, file=sys.stderr, flush=True))
        print(format_report(results["bench"]))
    name = "bench-before-after.json" if args.before and args.loops_only else "bench.json"
    save_results(results, args.out, name)
    return results


if __name__ == "__main__":
    main()
