"""CPU time of BFCL end-of-episode scoring (official verdict + strict check), cold and warm.

Plays the oracle on the first ``--per-category`` entries of each category through the env, keeps the
trajectories, then times :meth:`BFCLDomain.score` over all of them ``--passes`` times (pass 1 starts from
an empty ground-truth cache, later passes score entries seen before, as repeated
episodes of an RL run do). Prints one JSON line; run it in two trees to compare:

    PYTHONPATH=TREE python -m experiments.benchmarks.bfcl_score_speed --per-category 50 --passes 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--per-category", type=int, default=50)
    p.add_argument("--passes", type=int, default=3)
    args = p.parse_args(argv)
    import simulators  # noqa: F401  (the replay user)

    from coalm_env.domains.bfcl.entries import CATEGORIES
    from coalm_env.resolve import make_env

    env = make_env("coalm/BFCL-MultiTurn-v0", oracle_hints=True)
    domain = env.domain
    played = []
    for category in CATEGORIES:
        ids = [s.id for s in domain.scenarios("test") if s.id.rsplit("_", 1)[0].endswith(category)]
        for scenario_id in ids[: args.per_category]:
            _, info = env.reset(seed=0, options={"scenario_id": scenario_id})
            while True:
                _, _, term, trunc, info = env.step(info["oracle_action"])
                if term or trunc:
                    break
            played.append((info["trajectory"], env.scenario, env.backend))
    load = [round(x, 2) for x in os.getloadavg()]
    from coalm_env.domains.bfcl import checker

    cache = getattr(checker, "CACHE", None)  # the ground-truth record, where the tree has one
    if cache is not None:
        cache.clear()  # pass 1 is cold: the episodes above scored (and cached) every entry already
    passes, metrics = [], None
    for _ in range(args.passes):
        cpu, wall = time.process_time(), time.perf_counter()
        scored = [domain.score(t, s, b) for t, s, b in played]
        passes.append({"cpu_ms_per_episode": 1000 * (time.process_time() - cpu) / len(played),
                       "wall_ms_per_episode": 1000 * (time.perf_counter() - wall) / len(played)})
        assert metrics is None or scored == metrics  # every pass scores alike
        metrics = scored
    print(json.dumps({"episodes": len(played), "load": load, "load_end": [round(x, 2) for x in os.getloadavg()],
                      "passes": passes, "success": sum(m["success"] for m in metrics) / len(metrics),
                      "strict_valid": sum(m["strict_valid"] for m in metrics) / len(metrics)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
