"""tau-bench's env-only rate and our BFCL / API-Bank oracle loops, measured side by side in one run on this machine
(issue 16, "Speed": BFCL and API-Bank oracle replay >= 100x tau-bench's env-only rate).

tau-bench's loop, env only (no LLM on either side): its retail and airline envs (``tau_bench.envs.get_env``, the
test split), for every task: ``env.reset(task_index=i)``, the task's gold ``actions`` through ``env.step`` one by
one, then (unless a terminating tool already ended the episode) one ``respond`` action whose content is the task's
``outputs`` joined by spaces, which the user answers with ``###STOP###``; that ends the episode the way tau-bench
ends one, and ``env.step`` itself computes the reward (``Env.calculate_reward``: the DB hash after the episode
against the hash after replaying the gold actions on freshly loaded data, and the outputs found in what the agent
said). The user simulator is the only part replaced: the env is built with the ``"human"`` user strategy (whose
constructor does nothing) and its ``user`` is then set, before any ``reset``, to a subclass of tau-bench's own
``BaseUserSimulationEnv`` that answers ``reset`` with a fixed greeting and ``step`` with ``###STOP###`` (no model,
no input). Everything else (data loading on every reset, tool invocation, hashing, the reward's gold replay) is
tau-bench's code as it is, so the figure is its env-only cost per episode. Its ``tau_bench.envs.user`` imports
``litellm`` at module level, so the interpreter given as ``--python`` needs tau-bench's requirements (``litellm``,
``pydantic``); ``LITELLM_LOCAL_MODEL_COST_MAP=True`` keeps litellm's import off the network.

Ours: the loops of :data:`coalm_env.bench.LOOPS` named by ``--loops`` (default ``bfcl_oracle`` and
``apibank_oracle``), through the suite's child (``run_rollouts`` on their test splits). Every figure comes from a
fresh interpreter (one child per tau-bench env, and per loop, and round); each side has one untimed warm-up episode;
the rounds alternate which side runs first. Ratios are episodes per wall second of ours over tau-bench's (retail and
airline together: all their episodes over all their seconds), and the same per CPU second of each process.

tau-bench is not a dependency and nothing of it is committed: point ``--taubench`` at a checkout of
https://github.com/sierra-research/tau-bench (its root, with ``tau_bench/``) and ``--python`` at an interpreter
with its requirements installed.

    python -m experiments.benchmarks.taubench_side_by_side --taubench /path/to/tau-bench \\
        --python /path/to/tauvenv/bin/python --rounds 3

Ours play ``--episodes`` episodes per loop and round (default 800: BFCL's whole test split, each entry once, so
every round plays the same entries as tau-bench plays the same tasks; API-Bank's 213 test tasks in passes of fresh orders). Each
entry's ground truth is run once per process and cached, so a run of fewer episodes than entries pays it for
every episode, as tau-bench's reward does.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from coalm_env.bench import _load, _loop_spec, machine
from experiments.benchmarks import ratio_rows, run_child

#: tau-bench's env-only loop for one env, run by ``--python`` with the checkout first on sys.path
_TAU_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from importlib import metadata
from tau_bench.envs import get_env
from tau_bench.envs.user import BaseUserSimulationEnv
from tau_bench.types import Action, RESPOND_ACTION_NAME


class NoModelUser(BaseUserSimulationEnv):
    def reset(self, instruction=None):
        return "Hi, I need some help."

    def step(self, content):
        return "###STOP###"

    def get_total_cost(self):
        return 0.0


env = get_env({env_name!r}, user_strategy="human", user_model="none", task_split={split!r}, task_index=0)
env.user = NoModelUser()


def episode(i):
    env.reset(task_index=i)
    task, steps, res = env.tasks[i], 0, None
    for action in task.actions:
        res, steps = env.step(action), steps + 1
        if res.done:
            break
    if res is None or not res.done:
        say = " ".join(task.outputs) or "Done."
        res, steps = env.step(Action(name=RESPOND_ACTION_NAME, kwargs={{"content": say}})), steps + 1
    assert res.done, "the episode did not end"
    return res.reward, steps


episode(0)  # warm-up (imports, lazy caches), untimed
n = len(env.tasks)
cpu, wall, ok, steps = time.process_time(), time.perf_counter(), 0.0, 0
for i in range(n):
    r, s = episode(i)
    ok, steps = ok + r, steps + s
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
versions = {{}}
for dist in ("litellm", "pydantic"):
    try:
        versions[dist] = metadata.version(dist)
    except metadata.PackageNotFoundError:
        versions[dist] = None
print(json.dumps({{"wall_s": wall, "cpu_s": cpu, "episodes": n, "success": ok, "steps": steps,
                  "python": sys.version.split()[0], "versions": versions}}))
"""

TAU_ENVS = ("retail", "airline")
DEFAULT_LOOPS = ("bfcl_oracle", "apibank_oracle")

#: files a tau-bench checkout must have for this loop (checked before anything runs)
CHECKOUT_FILES = ("tau_bench/envs/base.py", "tau_bench/envs/user.py", "tau_bench/envs/retail/tasks_test.py",
                  "tau_bench/envs/airline/tasks_test.py", "tau_bench/envs/retail/data/orders.json",
                  "tau_bench/envs/airline/data/flights.json")

#: how the env-only figure is obtained (written into the JSON with the figures)
METHOD = ("tau_bench.envs.get_env(name, user_strategy='human', task_split=SPLIT); env.user replaced by a "
          "BaseUserSimulationEnv subclass answering '###STOP###' (no model); per task: env.reset(task_index=i), "
          "gold actions through env.step, then one 'respond' with the task's outputs; the reward is the one "
          "env.step computes when the episode ends (Env.calculate_reward)")


def fail(message: str) -> None:
    """One line on stderr and exit status 2 (tau-bench or its interpreter absent, a bad argument)."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def check_checkout(root: Path) -> None:
    """Refuse a path that is not a tau-bench checkout, naming what is missing (exit 2)."""
    for rel in CHECKOUT_FILES:
        if not (root / rel).exists():
            fail(f"tau-bench is absent: {root} is not a tau-bench checkout ({rel} is missing); clone "
                 "https://github.com/sierra-research/tau-bench and pass its root as --taubench")


def check_python(python: str) -> None:
    if not (Path(python).is_file() and os.access(python, os.X_OK)):
        fail(f"--python {python} is not an executable interpreter (one with tau-bench's requirements installed)")


def taubench_loop(root: Path, python: str, env_name: str, split: str = "test") -> dict[str, Any]:
    """tau-bench's env-only loop over every task of ``split`` of ``env_name`` in a fresh ``python``."""
    code = _TAU_CHILD.format(root=str(root), env_name=env_name, split=split)
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
    env.pop("PYTHONPATH", None)  # tau-bench's interpreter, not ours
    return run_child(code, root, env=env, python=python, what=f"the tau-bench child ({env_name})")


def summarise(sums: dict[str, dict[str, float]], reference: str = "taubench") -> list[dict[str, Any]]:
    """One row per side from the summed child figures: episodes/s (wall and CPU), success, and the ratios to
    ``reference``'s row (:func:`experiments.benchmarks.ratio_rows`)."""
    return ratio_rows(sums, reference)


def combine(parts: list[dict[str, float]]) -> dict[str, float]:
    """The figures of several children as one (episodes, seconds, successes added)."""
    acc: dict[str, float] = {}
    for got in parts:
        for k in ("wall_s", "cpu_s", "episodes", "success"):
            acc[k] = acc.get(k, 0.0) + got[k]
    return acc


def build_result(start: dict[str, Any], rounds: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON written: machine, tau-bench's setting, the per-round figures and the summary rows (tau-bench's
    retail and airline, both together as ``taubench``, then ours)."""
    sides = [k for k in rounds[0]["figures"]] if rounds else []
    sums = {side: combine([r["figures"][side] for r in rounds]) for side in sides}
    tau = [s for s in sides if s.startswith("taubench_")]
    ordered = {**{s: sums[s] for s in tau}, "taubench": combine([sums[s] for s in tau]),
               **{s: sums[s] for s in sides if s not in tau}}
    per_round = [{"round": r["round"], "order": r["order"], "load": r.get("load"),
                  "figures": {side: {**f, "eps_per_s": f["episodes"] / f["wall_s"],
                                     "eps_per_cpu_s": f["episodes"] / f["cpu_s"]} for side, f in r["figures"].items()}}
                 for r in rounds]
    return {"machine": start, "load_end": _load(), **meta, "per_round": per_round, "rows": summarise(ordered)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--taubench", required=True, help="a tau-bench checkout (its root)")
    p.add_argument("--python", default=sys.executable, help="an interpreter with tau-bench's requirements")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--episodes", type=int, default=800, help="of each of our loops, per round")
    p.add_argument("--loops", default=",".join(DEFAULT_LOOPS), help="our loops (coalm_env.bench.LOOPS names)")
    p.add_argument("--split", default="test", choices=("test", "dev", "train"), help="tau-bench's task split")
    p.add_argument("--commit", default=None, help="tau-bench's commit, recorded in the JSON")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="JSON file (default: experiments/results/taubench_side_by_side.json)")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.episodes < 1:
        fail("--rounds and --episodes must be at least 1")
    root = Path(args.taubench).resolve()
    check_checkout(root)
    check_python(args.python)
    from experiments.benchmarks.convlab2_side_by_side import our_loop

    loops = [x for x in args.loops.split(",") if x]
    for name in loops:
        _loop_spec(name)  # an unknown name fails before anything runs
    tau_sides = [f"taubench_{e}" for e in TAU_ENVS]
    start = machine()
    rounds: list[dict[str, Any]] = []
    for r in range(args.rounds):
        order = [*tau_sides, *loops] if r % 2 == 0 else [*loops, *tau_sides]
        figures: dict[str, dict[str, Any]] = {}
        meta_tau: dict[str, Any] = {}
        for side in order:
            if side in tau_sides:
                got = taubench_loop(root, args.python, side.removeprefix("taubench_"), args.split)
                meta_tau = {"python": got.pop("python"), "versions": got.pop("versions")}
            else:
                got = our_loop(side, args.episodes, args.seed + r)
            figures[side] = got
            print(f"round {r + 1} {side}: {got['episodes'] / got['wall_s']:.2f} episodes/s, "
                  f"{got['episodes'] / got['cpu_s']:.2f} per CPU s, success {got['success'] / got['episodes']:.3f}, "
                  f"load {os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)
        rounds.append({"round": r + 1, "order": order, "load": _load(), "figures": {s: figures[s] for s in
                                                                                     [*tau_sides, *loops]}})
    meta = {"rounds": args.rounds, "our_episodes_per_round": args.episodes,
            "taubench": {"root": str(root), "commit": args.commit, "split": args.split, "envs": list(TAU_ENVS),
                         "interpreter": args.python, **meta_tau, "method": METHOD}}
    result = build_result(start, rounds, meta)
    from tabulate import tabulate

    from experiments.benchmarks import save_results

    print(f"# tau-bench side by side, {start['cpu']} ({start['cores']} cores), {start['date']}, load {start['load']}"
          f" -> {result['load_end']}")
    print(tabulate(result["rows"], headers="keys", floatfmt=".3g"))
    save_results(result, args.out, "taubench_side_by_side.json")
    return result


if __name__ == "__main__":
    main()
