"""Where the time of a loop goes: cProfile of :func:`coalm_env.rollout.run_rollouts`, own time summed by
part of the code (policy, agenda user, shared understanding, scoring, env/render, backend, database,
other), plus the top functions by cumulative time.

    python -m experiments.benchmarks.profile_loops --loop travel_oracle_agenda --episodes 100
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections import Counter

from coalm_env.bench import LOOP_OPTIONS, LOOPS
from coalm_env.rollout import RolloutConfig, run_rollouts

#: (label, path fragments), first match wins
PARTS = (
    ("rule policy", ("/policies/",)),
    ("agenda user", ("/simulators/",)),
    ("understanding (domains/tod/understanding)", ("/understanding/",)),
    ("scoring", ("scoring", "mwzeval", "checker", "jga")),
    ("database", ("database.py", "/tod/db.py", "/backend/store.py", "/tod/vocab.py", "multiwoz/values.py")),
    ("backend and APIs", ("/backend/", "/apis", "/runtime.py", "/tod/oracle.py", "/tod/plan.py")),
    ("env, render, parsing", ("/env.py", "/acts_env.py", "/acts.py", "/render.py", "/parsing.py", "/types.py",
                              "/limits.py")),
    ("rollout runner", ("/rollout.py",)),
    ("text helpers (coalm_env/text.py)", ("/coalm_env/text.py",)),
    ("regex engine", ("/re/",)),
    ("json", ("/json/",)),
)


#: (label, path fragment, function name): the loop's entry points, by cumulative time
ENTRY_POINTS = (
    ("policy act (rule)", "/policies/rule.py", "act"),
    ("policy act (rule_acts)", "/policies/rule_acts.py", "act"),
    ("user respond (agenda)", "/simulators/agenda/user.py", "respond"),
    ("  agent-turn reading (agenda read)", "/simulators/agenda/understand.py", "read"),
    ("  offer/booking checks (observe)", "/simulators/agenda/observe.py", "observe"),
    ("env tool calls (_run_tools)", "/coalm_env/env.py", "_run_tools"),
    ("  act level: agent step (ActsEnv._agent_step)", "/coalm_env/acts_env.py", "_agent_step"),
    ("  act level: tool calls (ActsEnv._run_calls)", "/coalm_env/acts_env.py", "_run_calls"),
    ("  act level: action parsing (parse_act_action)", "/coalm_env/acts.py", "parse_act_action"),
    ("  act level: user acts reading (read_acts+observe_acts)", "/simulators/agenda/act_reader.py", "observe_acts"),
    ("  act level: scoring (score_acts)", "/domains/tod/act_scoring.py", "score_acts"),
    ("env observation (_obs)", "/coalm_env/env.py", "_obs"),
    ("env info (_info)", "/coalm_env/env.py", "_info"),
    ("episode scoring (_finish)", "/coalm_env/env.py", "_finish"),
    ("reset (begin_episode)", "/coalm_env/env.py", "begin_episode"),
)


def entry_points(stats: pstats.Stats) -> list[tuple[str, float]]:
    out = []
    for label, frag, func in ENTRY_POINTS:
        cum = sum(ct for (path, _l, name), (_cc, _nc, _tt, ct, _c) in stats.stats.items()  # type: ignore[attr-defined]
                  if name == func and path.endswith(frag))
        out.append((label, cum))
    return out


def by_part(stats: pstats.Stats) -> list[tuple[str, float]]:
    totals: Counter[str] = Counter()
    for (path, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        label = next((lab for lab, frags in PARTS if any(f in path for f in frags)), None)
        if label is None:
            label = "builtins (str/re/dict methods...)" if path == "~" else "other"
        totals[label] += tottime
    return totals.most_common()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--loop", default="travel_oracle_agenda", choices=[s[0] for s in LOOPS])
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    _name, env_id, policy, user, _ref = next(s for s in LOOPS if s[0] == args.loop)
    options = dict(LOOP_OPTIONS.get(args.loop, {}))
    run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=1, seed=10_000, env_options=options),
                 progress=False)  # warm-up
    prof = cProfile.Profile()
    prof.enable()
    run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=args.episodes, seed=0, env_options=options),
                 progress=False)
    prof.disable()
    stats = pstats.Stats(prof)
    total = sum(t for _l, t in by_part(stats))
    print(f"# {args.loop}, {args.episodes} episodes: own time by part (profiled {total:.2f} s)")
    for label, t in by_part(stats):
        print(f"{100 * t / total:5.1f}%  {t:7.2f} s  {label}")
    print(f"\n# cumulative time of the entry points (of {total:.2f} s)")
    for label, t in entry_points(stats):
        print(f"{100 * t / total:5.1f}%  {t:7.2f} s  {label}")
    print()
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
