"""Same seed, same trajectories: run every benchmarked loop and compare ``trajectories.jsonl`` line by line.

A speed change must not change any trajectory. Record the reference before the change, check after:

    python -m experiments.benchmarks.same_trajectories record --dir /tmp/before --episodes 100
    python -m experiments.benchmarks.same_trajectories check  --dir /tmp/before --episodes 100

Each loop writes ``<dir>/<loop>/trajectories.jsonl`` through :func:`coalm_env.rollout.run_rollouts`
(seed 0). ``check`` runs the loops again into a temporary directory and compares every line (the whole
trajectory: messages, steps, tool results, metrics, ``extra.state_hash``); it prints the first
difference of each loop and exits 1 if any loop differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from coalm_env.rollout import RolloutConfig, run_rollouts

# (name, env id, policy, user or None for the domain's default)
LOOPS = (
    ("multiwoz_rule_agenda", "coalm/MultiWOZ-v0", "rule", "agenda"),
    ("multiwoz_oracle_agenda", "coalm/MultiWOZ-v0", "oracle", "agenda"),
    ("travel_oracle_agenda", "coalm/Travel-v0", "oracle", "agenda"),
    ("travel_rule_agenda", "coalm/Travel-v0", "rule", "agenda"),
    ("bfcl_oracle", "coalm/BFCL-MultiTurn-v0", "oracle", None),
    ("apibank_oracle", "coalm/APIBank-v0", "oracle", None),
    # the act-level mode (env option interface="acts")
    ("multiwoz_rule_acts", "coalm/MultiWOZ-v0", "rule_acts", "agenda"),
    ("travel_rule_acts", "coalm/Travel-v0", "rule_acts", "agenda"),
)

#: env options of a loop beyond its id
LOOP_OPTIONS = {"multiwoz_rule_acts": {"interface": "acts"}, "travel_rule_acts": {"interface": "acts"}}


def run_loops(out: Path, episodes: int, only: set[str] | None = None) -> None:
    for name, env_id, policy, user in LOOPS:
        if only and name not in only:
            continue
        res = run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=episodes, seed=0,
                                         env_options=dict(LOOP_OPTIONS.get(name, {})),
                                         out_dir=str(out / name)), progress=False)
        print(f"{name}: {episodes} episodes, success {res.summary['success_rate']:.3f}, "
              f"{res.timing['episodes_per_s']:.1f} episodes/s", flush=True)


def _first_difference(a: object, b: object, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k, "<absent>") != b.get(k, "<absent>"):
                return _first_difference(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
        if len(a) != len(b):
            return f"{path}: length {len(a)} vs {len(b)}"
    return f"{path}: {str(a)[:200]!r} vs {str(b)[:200]!r}"


def compare(before: Path, after: Path) -> int:
    """Number of loops whose trajectories differ; prints one line per loop."""
    bad = 0
    for name, *_ in LOOPS:
        fa, fb = before / name / "trajectories.jsonl", after / name / "trajectories.jsonl"
        if not fa.exists() or not fb.exists():
            continue
        la, lb = fa.read_text(encoding="utf-8").splitlines(), fb.read_text(encoding="utf-8").splitlines()
        diffs = [i for i, (x, y) in enumerate(zip(la, lb)) if x != y]
        if len(la) != len(lb) or diffs:
            bad += 1
            where = ""
            if diffs:
                x, y = json.loads(la[diffs[0]]), json.loads(lb[diffs[0]])
                where = f"; first at episode {diffs[0]} ({x.get('scenario_id')}) {_first_difference(x, y)}"
            print(f"{name}: DIFFERENT ({len(diffs)} of {len(la)} episodes, {len(lb)} after){where}")
        else:
            print(f"{name}: identical ({len(la)} episodes)")
    return bad


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=("record", "check"))
    p.add_argument("--dir", required=True, help="reference directory (record writes it, check reads it)")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--loops", default="", help="comma-separated loop names (default: all)")
    args = p.parse_args(argv)
    only = {x for x in args.loops.split(",") if x} or None
    ref = Path(args.dir)
    if args.mode == "record":
        run_loops(ref, args.episodes, only)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        run_loops(Path(tmp), args.episodes, only)
        return 1 if compare(ref, Path(tmp)) else 0


if __name__ == "__main__":
    sys.exit(main())
