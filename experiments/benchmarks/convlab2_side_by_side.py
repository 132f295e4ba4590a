"""ConvLab-2's act-level loop and ours, measured side by side in one run on this machine (issue 16, "Speed").

ConvLab-2's loop (its own classic setting, dialogue acts on both sides, no NLU/NLG): ``BiSession`` of a system
``PipelineAgent(None, RuleDST(), RulePolicy(), None)`` and a user ``PipelineAgent(None, None,
RulePolicy(character="usr"), None)`` (the agenda user, goals drawn by its ``GoalGenerator``), at most 20 turns a
dialogue, success = ``MultiWozEvaluator.task_success()``. Ours: the loops of :data:`coalm_env.bench.LOOPS` named
by ``--loops`` (default: the act-level MultiWOZ and Travel loops and the text-level MultiWOZ/Travel ones),
through ``run_rollouts`` on their test splits. Every figure comes from a fresh interpreter (one child process per
loop and round); the rounds alternate which side runs first, so machine load falls on both alike. Ratios are
dialogues per wall second of ours over ConvLab-2's, and the same per CPU second of each process.

ConvLab-2 is not a dependency and nothing of it is committed: point ``--convlab`` at a checkout (its
``convlab2/`` package and ``data/multiwoz/``), with ``fuzzywuzzy`` and ``python-Levenshtein`` installed (two of its
declared requirements; the rest of its requirements are not used by this loop). On Python >= 3.11 one line of its
agenda user needs ``random.sample(list(data), ...)`` where it samples from a dict's keys (3.11 refuses a set-like
population; ``list`` gives the insertion order that earlier Pythons used, so the draws are the same).

    python -m experiments.benchmarks.convlab2_side_by_side --convlab /path/to/ConvLab-2 --dialogues 1000 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from experiments.benchmarks import ratio_rows, run_child

#: ConvLab-2's loop, run in a child process with the checkout first on sys.path
_CONVLAB_CHILD = """
import json, random, sys, time
sys.path.insert(0, {root!r})
import numpy as np, torch
from convlab2.dialog_agent import BiSession, PipelineAgent
from convlab2.dst.rule.multiwoz.dst import RuleDST
from convlab2.evaluator.multiwoz_eval import MultiWozEvaluator
from convlab2.policy.rule.multiwoz import RulePolicy
sess = BiSession(sys_agent=PipelineAgent(None, RuleDST(), RulePolicy(), None, name="sys"),
                 user_agent=PipelineAgent(None, None, RulePolicy(character="usr"), None, name="user"),
                 kb_query=None, evaluator=MultiWozEvaluator())
def dialogue():
    sess.init_session()
    sys_acts, turns = [], 0
    for turns in range(1, {max_turns} + 1):
        sys_acts, _user_acts, done, _reward = sess.next_turn(sys_acts)
        if done:
            break
    return float(sess.evaluator.task_success()), turns
random.seed({seed} + 10000); np.random.seed({seed} + 10000); torch.manual_seed({seed} + 10000)
dialogue()  # warm-up (goal model, DB, lazy caches), untimed
random.seed({seed}); np.random.seed({seed}); torch.manual_seed({seed})
cpu, wall, ok, turns = time.process_time(), time.perf_counter(), 0.0, 0
for _ in range({n}):
    s, t = dialogue()
    ok, turns = ok + s, turns + t
print(json.dumps({{"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu, "episodes": {n},
                  "success": ok, "turns": turns}}))
"""

DEFAULT_LOOPS = ("multiwoz_rule_acts", "travel_rule_acts", "multiwoz_rule_agenda", "multiwoz_oracle_agenda",
                 "travel_oracle_agenda", "travel_rule_agenda")


#: files a ConvLab-2 checkout must have for this loop (checked before anything runs)
CHECKOUT_FILES = ("convlab2/policy/rule/multiwoz/policy_agenda_multiwoz.py", "convlab2/dst/rule/multiwoz/dst.py",
                  "data/multiwoz/db/restaurant_db.json", "data/multiwoz/goal/new_goal_model.pkl")


def check_checkout(root: Path) -> None:
    """Refuse a path that is not a ConvLab-2 checkout, naming what is missing."""
    for rel in CHECKOUT_FILES:
        if not (root / rel).exists():
            raise SystemExit(f"error: {root} is not a ConvLab-2 checkout ({rel} is missing); clone "
                             "https://github.com/thu-coai/ConvLab-2 and pass its root as --convlab")


def convlab_loop(root: Path, dialogues: int, seed: int, max_turns: int = 20) -> dict[str, Any]:
    """ConvLab-2's rule system x agenda user for ``dialogues`` dialogues in a fresh interpreter."""
    return run_child(_CONVLAB_CHILD.format(root=str(root), n=dialogues, seed=seed, max_turns=max_turns), cwd=root)


def our_loop(name: str, episodes: int, seed: int) -> dict[str, Any]:
    """One of our bench loops for ``episodes`` episodes in a fresh interpreter (the suite's child)."""
    from coalm_env.bench import _loop_spec
    from experiments.benchmarks.suite import _child

    here = Path(__file__).resolve().parents[2]
    return _child(here, _loop_spec(name), episodes, seed)


def summarise(sums: dict[str, dict[str, float]], reference: str = "convlab2") -> list[dict[str, Any]]:
    """One row per loop from the summed child figures: dialogues/s (wall and CPU), success, and the ratios to
    ``reference``'s row (:func:`experiments.benchmarks.ratio_rows`)."""
    return ratio_rows(sums, reference)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--convlab", required=True, help="a ConvLab-2 checkout (its root)")
    p.add_argument("--dialogues", type=int, default=1000, help="per loop and round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--loops", default=",".join(DEFAULT_LOOPS), help="our loops (coalm_env.bench.LOOPS names)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="JSON file (default: experiments/results/convlab2_side_by_side.json)")
    args = p.parse_args(argv)
    root = Path(args.convlab).resolve()
    check_checkout(root)
    from coalm_env.bench import _loop_spec, machine

    loops = [x for x in args.loops.split(",") if x]
    for name in loops:
        _loop_spec(name)  # an unknown name fails before anything runs
    start = machine()
    sums: dict[str, dict[str, float]] = {}
    for r in range(args.rounds):
        sides = ["convlab2", *loops] if r % 2 == 0 else [*loops, "convlab2"]
        for side in sides:
            got = convlab_loop(root, args.dialogues, args.seed + r) if side == "convlab2" else \
                our_loop(side, args.dialogues, args.seed + r)
            acc = sums.setdefault(side, {})
            for k, v in got.items():
                acc[k] = acc.get(k, 0.0) + v
            print(f"round {r + 1} {side}: {got['episodes'] / got['wall_s']:.1f} dialogues/s, "
                  f"success {got['success'] / got['episodes']:.3f}, load {os.getloadavg()[0]:.2f}",
                  file=sys.stderr, flush=True)
    rows = summarise({"convlab2": sums["convlab2"], **{n: sums[n] for n in loops}})
    from tabulate import tabulate

    from experiments.benchmarks import save_results

    result = {"machine": start, "load_end": list(os.getloadavg()), "dialogues_per_round": args.dialogues,
              "rounds": args.rounds, "convlab2": {"root": str(root), "max_turns": 20}, "rows": rows}
    print(f"# ConvLab-2 side by side, {start['cpu']} ({start['cores']} cores), {start['date']}, load {start['load']}"
          f" -> {result['load_end']}")
    print(tabulate(rows, headers="keys", floatfmt=".3g"))
    save_results(result, args.out, "convlab2_side_by_side.json")
    return result


if __name__ == "__main__":
    main()
