"""Env time per step by turn index only: :func:`coalm_env.bench.flatness` without its rule-policy columns.

``coalm-env bench``'s steps-vs-turn section also times the rule policy, incrementally and rebuilt from
every message (the rebuild alone is ~80 s CPU per 128-turn dialogue); here the policy is not run, so
the env step (env + agenda user, Travel, the stalling agent of the bench) is all that is timed. Prints
one JSON line (rows as :func:`~coalm_env.bench.flatness` gives them, the rule columns dropped), to run
in two trees and compare:

    PYTHONPATH=TREE python -m experiments.benchmarks.env_flatness --turns 128 --episodes 2

``--parts`` instead times where the step's time goes by turn index (wall-clock microseconds per step, by
32-turn bucket, of the env's observation, its render cache, the cache's still-valid check, the user call,
the tool calls and the action parser; the first episode is a warm-up), with the observation's size.
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
    p.add_argument("--parts", action="store_true", help="time the parts of a step by turn index instead")
    args = p.parse_args(argv)
    if args.parts:
        print(json.dumps(parts(args.turns, args.episodes + 1, args.seed)))
        return 0
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


def parts(turns: int, episodes: int, seed: int, bucket: int = 32) -> dict[str, object]:
    """Wall-clock us per step of a step's parts, by ``bucket``-turn range (the first episode not counted).
    The timers wrap the env's and the render cache's methods for the rest of the process (run it on its own)."""
    import time
    from collections import Counter, defaultdict

    from coalm_env import bench, render
    from coalm_env import env as env_module

    acc: dict[tuple[int, str], float] = defaultdict(float)
    where = {"bucket": -1}

    def timed(owner: object, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def wrapper(*a: object, **k: object) -> object:
            t = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                acc[(where["bucket"], label)] += time.perf_counter() - t
        setattr(owner, name, wrapper)

    cls = env_module.ConversationEnv
    for name in ("_obs", "_call_user", "_run_tools"):
        timed(cls, name, name.lstrip("_"))
    timed(env_module, "parse_action", "parse_action")
    timed(render.ObservationCache, "observation", "render_cache")
    timed(render.ObservationCache, "_kept", "cache_check")
    env = bench.stalling_env(turns)
    steps: Counter[int] = Counter()
    size: dict[int, tuple[int, int]] = {}
    for e in range(episodes):
        obs, info = env.reset(seed=seed + e)
        k = 0
        while True:
            where["bucket"] = int(info.get("turn", 0)) // bucket if e else -1
            t = time.perf_counter()
            obs, _r, term, trunc, info = env.step(bench.stall_action(k))
            acc[(where["bucket"], "step")] += time.perf_counter() - t
            steps[where["bucket"]] += 1
            size[where["bucket"]] = (len(obs["messages"]), len(obs["text"]))
            k += 1
            if term or trunc:
                break
    labels = sorted({label for _b, label in acc})
    rows = [{"turns": f"{b * bucket}-{b * bucket + bucket - 1}", "steps": steps[b], "messages": size[b][0],
             "text_chars": size[b][1], **{f"{label}_us": round(1e6 * acc[(b, label)] / steps[b], 1) for label in labels}}
            for b in sorted(steps) if b >= 0]
    return {"load": [round(x, 2) for x in os.getloadavg()], "rows": rows}


if __name__ == "__main__":
    sys.exit(main())
