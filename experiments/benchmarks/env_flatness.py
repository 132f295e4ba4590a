"""Env time per step by turn index only: :func:`coalm_env.bench.flatness` without its rule-policy columns.

``coalm-env bench``'s steps-vs-turn section also times the rule policy, incrementally and rebuilt from
every message (the rebuild alone is ~80 s CPU per 128-turn dialogue); here the policy is not run, so
the env step (env + agenda user, Travel, the stalling agent of the bench) is all that is timed. Prints
one JSON line (rows as :func:`~coalm_env.bench.flatness` gives them, the rule columns dropped), to run
in two trees and compare:

    PYTHONPATH=TREE python -m experiments.benchmarks.env_flatness --turns 128 --episodes 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--turns", type=int, default=128)
    p.add_argument("--episodes", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    import policies.rule as rule
    import policies.rule_state as rule_state

    from coalm_env import bench

    class _Idle:  # the bench's policy calls are not part of the env step: skip them
        def act(self, observations, infos=None):
            return [None for _ in observations]

    rule.RulePolicy = _Idle  # type: ignore[misc,assignment]
    rule.decide = lambda state: None  # type: ignore[assignment]
    rule_state.track = lambda *a, **k: None  # type: ignore[assignment]
    load = [round(x, 2) for x in os.getloadavg()]
    rows = bench.flatness(bench.BenchConfig(turns=args.turns, flat_episodes=args.episodes, seed=args.seed))
    keep = ("turns", "steps", "env_ms_per_step", "env_cpu_ms_per_step")
    print(json.dumps({"load": load, "load_end": [round(x, 2) for x in os.getloadavg()],
                      "rows": [{k: r[k] for k in keep} for r in rows]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
