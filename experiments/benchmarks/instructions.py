"""Instructions per episode of the bench loops, counted by valgrind's callgrind: a before/after comparison that the
host's drift cannot move (wall-clock pairs on a shared 2-core host moved by up to 45% between rounds minutes apart).

Each (tree, loop) runs twice in a fresh interpreter under ``valgrind --tool=callgrind``, once with ``--short`` and
once with ``--long`` episodes (after the same 2-episode warm-up); the difference of the two instruction totals over
the difference of the episode counts is the loop's instructions per episode, start-up and warm-up cancelled out.
``PYTHONHASHSEED=0`` fixes set and dict orders, so a count is the same on every run of the same code. Instructions
are not time (cache misses, C-library work per instruction differ), but they resolve a 3% change that wall-clock
rounds on this host cannot.

    python -m experiments.benchmarks.instructions --before TREE [--loops multiwoz_rule_acts,...] [--jobs 2]

Needs ``valgrind`` (Debian: ``apt-get install valgrind``); a run under it is ~50x slower than native.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from coalm_env.bench import LOOP_OPTIONS, LOOPS

ROOT = Path(__file__).resolve().parents[2]

#: the child: warm-up (domains, caches, lazy loads), then ``n`` episodes of one loop
_CHILD = """
import sys
from coalm_env.rollout import RolloutConfig, run_rollouts
env_id, policy, user, n, options = {args!r}
run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=2, seed=10_000, env_options=options), progress=False)
run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=n, seed=0, env_options=options), progress=False)
"""

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def count(tree: Path, loop: str, episodes: int, python: str = sys.executable) -> int:
    """Instructions callgrind counts for the warm-up plus ``episodes`` episodes of ``loop`` with ``tree``'s code."""
    _name, env_id, policy, user, _ref = next(s for s in LOOPS if s[0] == loop)
    code = _CHILD.format(args=(env_id, policy, user, episodes, dict(LOOP_OPTIONS.get(loop, {}))))
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)}
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-c", code],
                         cwd=tree, env=env, capture_output=True, text=True)
    found = _COLLECTED.findall(out.stderr)
    if out.returncode != 0 or not found:
        raise SystemExit(f"error: the callgrind run of {loop} ({tree}) failed:\n{out.stderr[-3000:]}")
    return int(found[-1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", type=Path, required=True, help="a checkout of the code to compare with")
    p.add_argument("--after", type=Path, default=ROOT, help="the code measured as after (default: this checkout)")
    p.add_argument("--loops", default=",".join(s[0] for s in LOOPS))
    p.add_argument("--short", type=int, default=20)
    p.add_argument("--long", type=int, default=120)
    p.add_argument("--jobs", type=int, default=2, help="callgrind runs at a time")
    p.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" / "instructions.json")
    args = p.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("error: valgrind is not installed (Debian: apt-get install valgrind)")
    if not args.long > args.short >= 0:
        raise SystemExit("error: --long must be larger than --short")
    loops = [name for name in args.loops.split(",") if name]
    unknown = [name for name in loops if name not in {s[0] for s in LOOPS}]
    if unknown:
        raise SystemExit(f"error: unknown loops {unknown}; loops: {', '.join(s[0] for s in LOOPS)}")
    sides = {"before": args.before, "after": args.after}
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        runs = {(loop, side, n): pool.submit(count, tree, loop, n)
                for loop in loops for side, tree in sides.items() for n in (args.short, args.long)}
        counts = {key: run.result() for key, run in runs.items()}
    rows = []
    for loop in loops:
        # the warm-up and start-up cancel out: (long run - short run) / (long - short) episodes
        before, after = ((counts[(loop, side, args.long)] - counts[(loop, side, args.short)]) / (args.long - args.short)
                         for side in sides)
        rows.append({"loop": loop, "instructions_per_episode_before": before,
                     "instructions_per_episode_after": after, "speedup": before / after,
                     **{f"counts_{side}": [counts[(loop, side, args.short)], counts[(loop, side, args.long)]]
                        for side in sides}})
        print(f"{loop:24s} {before / 1e6:9.2f} M -> {after / 1e6:9.2f} M instructions/episode  x{before / after:.3f}",
              flush=True)
    result = {"before": str(args.before), "after": str(args.after), "short": args.short, "long": args.long,
              "python": sys.version.split()[0], "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
