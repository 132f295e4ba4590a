"""MultiWOZ benchmarks: agenda-user rollouts of the oracle and rule policies, and gold replay.

    python -m experiments.benchmarks.multiwoz --episodes 1000 --policies oracle,rule

1. For each policy, one episode per test goal (in list order) against the agenda user, through the
   batched runner: episodes/s, and the means of Inform, Success (mwzeval), book rate (ConvLab), strict
   book / task success (domains.tod.scoring) and the user's goal_met, with the stop reasons.
2. Gold replay: the ``gold_replay`` policy against the ``replay`` user on every test dialogue: Inform,
   Success, and JGA (turn-level, over every turn of every dialogue, and the mean per dialogue), with
   every Inform/Success miss classified (wrong venue offered, no venue named, requestable not given).

Prints tables and writes JSON under ``experiments/results/``.
"""

from __future__ import annotations

import argparse
import os
import platform
from collections import Counter
from typing import Any

from tabulate import tabulate

from coalm_env.resolve import domain_for
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.scoring import mean_metrics
from coalm_env.domains.multiwoz import scoring as mwz
from experiments.benchmarks import save_results

ENV_ID = "coalm/MultiWOZ-v0"
_KEYS = ("inform", "success", "book_rate", "book", "task_success", "goal_met", "inform_f1", "jga")


def _ids(split: str, episodes: int) -> list[str]:
    return [s.id for s in domain_for(ENV_ID).scenarios(split)][:episodes]


def agenda_run(policy: str, ids: list[str], split: str, batch_size: int, seed: int) -> dict[str, Any]:
    """One episode per scenario of ``ids`` with ``policy`` against the agenda user."""
    res = run_rollouts(RolloutConfig(ENV_ID, policy, user="agenda", episodes=len(ids), scenario_ids=ids, split=split,
                       batch_size=batch_size, seed=seed), progress=False)
    means = mean_metrics(t.metrics for t in res.trajectories)
    return {
        "policy": policy, "user": "agenda", "episodes": len(ids),
        **{k: means[k] for k in _KEYS if k in means},
        "episodes_per_s": res.timing["episodes_per_s"], "steps_per_s": res.timing["steps_per_s"],
        "stop_reasons": dict(Counter(t.stop_reason.value for t in res.trajectories)),
    }


def explain_misses(trajectory: Any, scenario: Any, domain: Any) -> list[str]:
    """Why an episode missed Inform or Success, one label per failing domain."""
    episode = mwz.episode_events(trajectory)
    venues = domain.goal_venues(scenario)
    out = []
    for d, sub in scenario.goal.items():
        if d in mwz.VENUE_DOMAINS and trajectory.metrics.get("inform", 1.0) < 1.0 and "name" not in sub["info"]:
            offered = mwz.offered_venues(d, episode, domain.index)
            if offered and not set(offered) <= venues.get(d, set()):
                fits = [o for o in offered if o in venues.get(d, set())]
                out.append(f"inform:{d}:{'one of several named does not fit' if fits else 'offered venue does not fit'}")
            elif not offered and not (d == "train" and "trainID" not in scenario.gold.requested.get(d, ())):
                out.append(f"inform:{d}:no venue named")
        missing = (mwz.goal_requestables(d, sub, scenario.gold.requested.get(d, ()))
                   - mwz.provided_requestables(d, episode, domain.index))
        out += [f"success:{d}:{slot} not given" for slot in sorted(missing)]
    return out


def gold_replay(ids: list[str], split: str, batch_size: int, seed: int) -> dict[str, Any]:
    """Gold replay on ``ids``: Inform, Success, JGA and the misses by kind."""
    res = run_rollouts(RolloutConfig(ENV_ID, "gold_replay", user="replay", episodes=len(ids), scenario_ids=ids, split=split,
                       batch_size=batch_size, seed=seed), progress=False)
    domain = domain_for(ENV_ID)
    trajs = res.trajectories
    turns = sum(t.metrics.get("jga_turns", 0.0) for t in trajs)
    hits = sum(t.metrics.get("jga", 0.0) * t.metrics.get("jga_turns", 0.0) for t in trajs)
    misses: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for t in trajs:
        if t.metrics["success"] < 1.0:
            for label in explain_misses(t, domain.get_scenario(t.scenario_id), domain):
                misses[label] += 1
                examples.setdefault(label, []).append(t.scenario_id.rsplit("-", 1)[-1])
    means = mean_metrics(t.metrics for t in trajs)
    sources = Counter(domain.get_scenario(t.scenario_id).meta["belief_source"] for t in trajs)
    return {
        "policy": "gold_replay", "user": "replay", "episodes": len(trajs), "inform": means["inform"],
        "success": means["success"], "book_rate": means.get("book_rate"), "jga_turn_level": hits / turns,
        "jga_dialogue_mean": means.get("jga"), "jga_turns": turns, "belief_sources": dict(sources),
        "episodes_per_s": res.timing["episodes_per_s"],
        "misses": dict(misses.most_common()), "miss_examples": {k: v[:5] for k, v in examples.items()},
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--episodes", type=int, default=1000, help="test goals (in list order) per policy")
    p.add_argument("--policies", default="oracle,rule", help="comma-separated policies against the agenda user")
    p.add_argument("--replay-episodes", type=int, default=1000, help="dialogues for gold replay (0: skip)")
    p.add_argument("--split", default="test", choices=("val", "test"))
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="JSON file (default: experiments/results/multiwoz-<split>.json)")
    args = p.parse_args(argv)
    policies = [x.strip() for x in args.policies.split(",") if x.strip()]
    results: dict[str, Any] = {
        "env_id": ENV_ID, "split": args.split,
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "agenda": [agenda_run(pol, _ids(args.split, args.episodes), args.split, args.batch_size, args.seed)
                   for pol in policies],
    }
    if args.replay_episodes:
        results["gold_replay"] = gold_replay(_ids(args.split, args.replay_episodes), args.split, args.batch_size,
                                             args.seed)
    _report(results)
    save_results(results, args.out, f"multiwoz-{args.split}.json")
    return results


def _report(results: dict[str, Any]) -> None:
    print(f"# {results['env_id']} ({results['split']}) on {results['machine']['platform']}\n")
    rows = [{k: v for k, v in r.items() if k != "stop_reasons"} for r in results["agenda"]]
    print(tabulate(rows, headers="keys", floatfmt=".4g"))
    if "gold_replay" in results:
        g = results["gold_replay"]
        print()
        print(tabulate([{k: v for k, v in g.items() if not isinstance(v, dict)}], headers="keys", floatfmt=".4g"))
        print()
        print(tabulate(sorted(g["misses"].items(), key=lambda kv: -kv[1]), headers=["miss", "dialogues"]))


if __name__ == "__main__":
    main()
