"""Figures of the procedural BFCL env (issue 11): ``python -m experiments.procedural_bfcl [--quick]``.

Writes ``experiments/results/procedural/bfcl.md`` (and ``bfcl.json``):

* oracle success through ``gym.make("coalm/BFCL-Procedural-v0", split=...)`` on 1,000 train and 500
  val / 500 test scenarios, and the random policy (``policies.random.RandomPolicy``) on 200 train;
* a knob table: per knob setting (150 train tasks each) the oracle's steps and success, and the
  success of two weaker privileged policies: *noisy oracle* (each gold call dropped with probability
  0.1) and *no-lookup oracle* (the gold calls without the read-only lookups that feed a later call of
  the turn, e.g. ``get_symbol_by_name``, ``get_user_id``, an intermediate ``add``: it passes their
  values without looking them up, so the response check misses their results);
* BFCL's official ``multi_turn_checker`` on 500 generated entries: gold result, empty result, and a
  perturbed result (each gold call dropped with probability 0.2), against our checker;
* generation cost per scenario vs the oracle episode's cost, split disjointness (turn skeletons,
  concrete calls), benchmark duplicates, function coverage, example tasks.

The official checker ``eval``s call strings: it only sees the generator's ground truth and subsets of
it here, never model or user text.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import itertools
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parent / "results" / "procedural"
ENV_ID = "coalm/BFCL-Procedural-v0"
KNOBS: list[tuple[str, dict[str, Any]]] = [
    ("default (n_turns=3, calls_per_turn=3, max_depth=2, n_classes=2, distractors=0, p_miss_func=p_miss_param=0.2)", {}),
    ("n_turns=1", {"n_turns": 1}), ("n_turns=5", {"n_turns": 5}),
    ("calls_per_turn=1", {"calls_per_turn": 1}), ("calls_per_turn=2", {"calls_per_turn": 2}),
    ("calls_per_turn=5", {"calls_per_turn": 5}),
    ("max_depth=0", {"max_depth": 0}), ("max_depth=1", {"max_depth": 1}),
    ("max_depth=4, calls_per_turn=5", {"max_depth": 4, "calls_per_turn": 5}),
    ("n_classes=1", {"n_classes": 1}), ("distractors=3", {"distractors": 3}),
    ("category=base", {"category": "base"}), ("category=miss_func", {"category": "miss_func"}),
    ("category=miss_param", {"category": "miss_param"}),
]


# -- policies (functions of the env and its last info) ------------------------------------------------
def _turn_index(env) -> int:
    return sum(1 for m in env.unwrapped.trajectory.messages if m.role == "user") - 1


def _sent_this_turn(env, turn: int) -> bool:
    return any(s.turn == turn + 1 and s.kind == "tool_calls" for s in env.unwrapped.trajectory.steps)


def _oracle(env, info, rng):
    return info["oracle_action"]


def _subset_policy(choose):
    """Per user turn: send ``choose(gold calls of the turn, steps feeding a later one, rng)`` once, then reply."""
    from coalm_env.domains.bfcl.calls import render_calls

    def act(env, info, rng):
        turn = _turn_index(env)
        scenario = env.unwrapped.scenario
        gold = env.unwrapped.domain.gold(scenario.id)
        calls = gold[turn] if 0 <= turn < len(gold) else []
        fed = scenario.meta["generator"]["fed"]
        chosen = choose(calls, set(fed[turn]) if turn < len(fed) else set(), rng)
        if chosen and not _sent_this_turn(env, turn):
            return render_calls(chosen)
        return "Done: I have completed this request." if calls else "I cannot complete this request."
    return act


def _noisy(p: float):
    return _subset_policy(lambda calls, fed, rng: [c for c in calls if rng.random() >= p])


def _no_lookup():
    from coalm_env.domains.bfcl.proc_actions import ACTIONS

    def choose(calls, fed, rng):
        return [c for j, c in enumerate(calls) if not (ACTIONS[c.name].implicit and j in fed)]
    return _subset_policy(choose)


def _random_policy(seed: int):
    from policies.random import RandomPolicy

    policy = RandomPolicy(seed=seed)

    def act(env, info, rng):
        return policy.act([env.unwrapped._last_obs], [info])[0]
    return act


def play(env, scenario_id: str, act, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng([seed, int(scenario_id.rsplit("_", 1)[1])])
    obs, info = env.reset(seed=seed, options={"scenario_id": scenario_id})
    env.unwrapped._last_obs = obs
    steps = 0
    while True:
        obs, _, terminated, truncated, info = env.step(act(env, info, rng))
        env.unwrapped._last_obs = obs
        steps += 1
        if terminated or truncated:
            m = info["metrics"]
            return {"success": m["success"], "turn_acc": m["bfcl_turn_acc"], "steps": steps,
                    "errors": m.get("internal_errors", 0)}


def run_policy(env, split: str, n: int, act, seed: int = 0) -> dict[str, Any]:
    t0 = time.perf_counter()
    rows = [play(env, f"bfcl_procedural_{split}_{i}", act, seed) for i in range(n)]
    wall = time.perf_counter() - t0
    return {"n": n, "success": statistics.fmean(r["success"] for r in rows),
            "turn_acc": statistics.fmean(r["turn_acc"] for r in rows),
            "steps": statistics.fmean(r["steps"] for r in rows), "internal_errors": sum(r["errors"] for r in rows),
            "ms_per_episode": 1000 * wall / n, "failed": [i for i, r in enumerate(rows) if not r["success"]][:10]}


# -- sections -----------------------------------------------------------------------------------------
def generation_cost(n: int) -> dict[str, Any]:
    from coalm_env.domains.bfcl.procedural import BFCLProceduralDomain, benchmark_keys

    t0 = time.perf_counter()
    benchmark_keys()  # once per process (800 entries parsed), as are the backend imports and route probes
    BFCLProceduralDomain(seed=1).generate("train", 0)
    warmup = time.perf_counter() - t0
    domain = BFCLProceduralDomain(seed=0)
    times, attempts = [], collections.Counter()
    for i in range(n):
        t0 = time.perf_counter()
        s = domain.generate("train", i)
        times.append(1000 * (time.perf_counter() - t0))
        attempts[s.meta["generator"]["attempt"]] += 1
    return {"n": n, "warmup_s": warmup, "ms_mean": statistics.fmean(times), "ms_median": statistics.median(times),
            "ms_p95": float(np.percentile(times, 95)), "attempts": dict(sorted(attempts.items()))}


def official_agreement(n: int) -> dict[str, Any]:
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker

    from coalm_env.domains.bfcl.calls import parse_call
    from coalm_env.domains.bfcl.checker import check_entry
    from coalm_env.domains.bfcl.procedural import ProceduralBFCL
    from coalm_env.domains.bfcl.runtime import signatures

    gen = ProceduralBFCL(seed=0)
    run = itertools.count()
    counts = collections.Counter()
    disagreements = []
    rng = np.random.default_rng(11)
    for i in range(n):
        e = gen.entry("train", i)
        test_entry = {"id": e.id, "initial_config": e.initial_config, "involved_classes": e.involved_classes}
        sig = signatures(e.involved_classes)

        def official(turns):
            return multi_turn_checker(turns, e.ground_truth, test_entry, e.category, f"proc_exp_{next(run)}")

        gold = official([[list(t)] if t else [] for t in e.ground_truth])
        empty = official([[] for _ in e.ground_truth])
        counts["gold_valid"] += gold["valid"]
        counts["empty_valid"] += empty["valid"]
        perturbed = [[c for c in t if rng.random() >= 0.2] for t in e.ground_truth]
        off = official([[t] if t else [] for t in perturbed])
        ours = check_entry(e, [[[parse_call(c, sig) for c in t]] if t else [] for t in perturbed])
        same = ours.valid == off["valid"] and (ours.valid or ours.error_type == off.get("error_type"))
        counts["perturbed_agree"] += same
        counts["perturbed_valid_official"] += off["valid"]
        if not same:
            disagreements.append({"id": e.id, "ours": ours.error_type, "official": off.get("error_type")})
    return {"n": n, **counts, "disagreements": disagreements[:10]}


def disjointness(n_train: int, n_eval: int) -> dict[str, Any]:
    from coalm_env.backend.generate import content_key
    from coalm_env.domains.bfcl.checker import gold_calls
    from coalm_env.domains.bfcl.procedural import ProceduralBFCL, benchmark_keys, task_key

    gen = ProceduralBFCL(seed=0)
    keys = benchmark_keys()
    skel, content, funcs = {}, {}, collections.Counter()
    dup = 0
    for split, n in (("train", n_train), ("val", n_eval), ("test", n_eval)):
        skel[split], content[split] = set(), set()
        for i in range(n):
            e = gen.entry(split, i)
            calls = gold_calls(e)
            skel[split].update(e.__dict__["skeletons"])
            content[split].add(content_key([c for t in calls for c in t]))
            dup += task_key(e.involved_classes, calls) in keys
            funcs.update(p for p in e.path)
    pairs = (("train", "val"), ("train", "test"), ("val", "test"))
    return {"skeletons": {s: len(v) for s, v in skel.items()},
            "skeleton_overlap": {f"{a}&{b}": len(skel[a] & skel[b]) for a, b in pairs},
            "content_overlap": {f"{a}&{b}": len(content[a] & content[b]) for a, b in pairs},
            "benchmark_duplicates": dup, "functions_used": len(funcs),
            "class_calls": dict(collections.Counter(p.split(".")[0] for p in funcs.elements()))}


def examples() -> list[dict[str, Any]]:
    from coalm_env.domains.bfcl.procedural import ProceduralBFCL

    gen = ProceduralBFCL(seed=0)
    out, seen = [], set()
    for i in range(60):
        e = gen.entry("train", i)
        kind = (e.category, len(e.involved_classes) > 1)
        if kind in seen:
            continue
        seen.add(kind)
        out.append({"id": e.id, "category": e.category, "classes": e.involved_classes,
                    "missed_function": e.missed_function,
                    "turns": [{"user": t, "ground_truth": g} for t, g in zip(e.turns, e.ground_truth)]})
        if len(out) == 4:
            break
    return out


def main(argv: list[str] | None = None) -> int:
    import gymnasium as gym

    import coalm_env  # noqa: F401
    from coalm_env.domains.bfcl.procedural import Knobs, ProceduralBFCL

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small counts (a pipeline check)")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    os.environ.setdefault("COALM_ENV_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    q = args.quick
    n_train, n_eval, n_rand, n_knob, n_off = (40, 20, 20, 15, 30) if q else (1000, 500, 200, 150, 500)
    result: dict[str, Any] = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                              "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, "
                                         f"Python {platform.python_version()}", "quick": q}
    t_all = time.perf_counter()
    result["generation"] = generation_cost(n_train)
    env = gym.make(ENV_ID, split="train", oracle_hints=True)
    result["oracle"] = {s: run_policy(env, s, n_train if s == "train" else n_eval, _oracle)
                        for s in ("train", "val", "test")}
    result["random"] = run_policy(env, "train", n_rand, _random_policy(0))
    env.close()
    knobs = []
    for label, opts in KNOBS:
        env = gym.make(ENV_ID, split="train", oracle_hints=True, **opts)
        row = {"knob": label, "options": opts}
        fresh = ProceduralBFCL(seed=0, knobs=Knobs(**opts))  # uncached: the generation cost of this setting
        t0 = time.perf_counter()
        for i in range(n_knob):
            fresh.entry("train", i)
        row["gen_ms"] = 1000 * (time.perf_counter() - t0) / n_knob
        entries = [env.unwrapped.domain.entry(f"bfcl_procedural_train_{i}") for i in range(n_knob)]
        row["turns"] = statistics.fmean(len(e.turns) for e in entries)
        row["gold_calls"] = statistics.fmean(sum(map(len, e.ground_truth)) for e in entries)
        row["depth"] = statistics.fmean(d for e in entries for d in e.__dict__["depths"])
        row["tools"] = statistics.fmean(len(env.unwrapped.domain.get_scenario(e.id).tools) for e in entries)
        for name, act in (("oracle", _oracle), ("noisy", _noisy(0.1)), ("no_lookup", _no_lookup())):
            r = run_policy(env, "train", n_knob, act)
            row[name] = {"success": r["success"], "steps": r["steps"], "turn_acc": r["turn_acc"]}
        env.close()
        knobs.append(row)
        print(f"{label}: oracle {row['oracle']['success']:.3f} steps {row['oracle']['steps']:.2f} "
              f"noisy {row['noisy']['success']:.3f} no_lookup {row['no_lookup']['success']:.3f}", flush=True)
    result["knobs"] = knobs
    result["official"] = official_agreement(n_off)
    result["disjointness"] = disjointness(n_train, n_eval)
    result["examples"] = examples()
    result["wall_s"] = time.perf_counter() - t_all
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "bfcl-quick" if q else "bfcl"
    (out / f"{stem}.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    (out / f"{stem}.md").write_text(render(result))
    print(f"wrote {out / (stem + '.md')} ({result['wall_s']:.0f} s)")
    return 0


def render(r: dict[str, Any]) -> str:
    g, o, d, off = r["generation"], r["oracle"], r["disjointness"], r["official"]
    ep = o["train"]["ms_per_episode"]
    lines = [
        "# Procedural BFCL (`coalm/BFCL-Procedural-v0`): figures",
        "",
        f"Measured {r['date']} on {r['machine']} (shared, loaded machine), `python -m experiments.procedural_bfcl"
        f"{' --quick' if r['quick'] else ''}` ({r['wall_s']:.0f} s). Generator seed 0, default knobs unless stated.",
        "",
        "## Oracle and random policy (replay user, official-checker verdict = `success`)",
        "",
        "| policy | split | episodes | success | turn acc | steps/episode | internal errors | ms/episode |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split, row in o.items():
        lines.append(f"| oracle | {split} | {row['n']} | {row['success']:.3f} | {row['turn_acc']:.3f} | "
                     f"{row['steps']:.2f} | {row['internal_errors']} | {row['ms_per_episode']:.1f} |")
    rr = r["random"]
    lines += [f"| random (`policies.random`, seed 0) | train | {rr['n']} | {rr['success']:.3f} | {rr['turn_acc']:.3f} | "
              f"{rr['steps']:.2f} | {rr['internal_errors']} | {rr['ms_per_episode']:.1f} |", ""]
    lines += [
        "## Difficulty knobs (150 train tasks per row)",
        "",
        "Weaker policies (privileged, both built from the gold): **noisy** = the oracle dropping each gold call "
        "with probability 0.1; **no-lookup** = the oracle without the read-only lookups that feed a later call "
        "of the same turn (it passes their values without calling them, so their results are missing). "
        "*turns*: user turns incl. reveal/follow-up turns; *turn depth*: mean longest data-dependency chain of a "
        "turn's plan; *oracle steps*: agent steps per episode (the oracle sends a turn's calls in one action, then "
        "replies). Both weaker policies are handed the gold, so `distractors` (more tools listed) and the miss_func / "
        "miss_param variants (an empty-gold turn where the agent must say it cannot, then a reveal or follow-up) "
        "leave them unchanged; those knobs act on a real agent's tool choice and asking, not measured here.",
        "",
        "| knob | turns | gold calls | turn depth | tools listed | oracle steps | oracle success | noisy success | no-lookup success | gen ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k in r["knobs"]:
        lines.append(f"| {k['knob']} | {k['turns']:.2f} | {k['gold_calls']:.2f} | {k['depth']:.2f} | {k['tools']:.1f} | "
                     f"{k['oracle']['steps']:.2f} | {k['oracle']['success']:.3f} | {k['noisy']['success']:.3f} | "
                     f"{k['no_lookup']['success']:.3f} | {k['gen_ms']:.1f} |")
    lines += [
        "",
        "## Official checker (`bfcl_eval` multi_turn_checker) on generated entries",
        "",
        f"{off['n']} train entries: gold result valid **{off['gold_valid']}/{off['n']}**, empty result valid "
        f"**{off['empty_valid']}/{off['n']}**; a perturbed result (each gold call dropped with p=0.2, "
        f"{off['perturbed_valid_official']} of them still valid officially): our checker agrees on valid flag and "
        f"error type in **{off['perturbed_agree']}/{off['n']}**."
        + (f" Disagreements: {off['disagreements']}" if off["disagreements"] else ""),
        "",
        "## Generation cost",
        "",
        f"{g['n']} train scenarios: {g['ms_mean']:.1f} ms mean, {g['ms_median']:.1f} ms median, {g['ms_p95']:.1f} ms p95 "
        f"per scenario (task + its Scenario; attempts used: {g['attempts']}; once per process before that: "
        f"{g['warmup_s']:.1f} s of imports, benchmark keys and route probes), vs {ep:.1f} ms per oracle episode "
        f"(reset, steps, official-verdict scoring): generation is {g['ms_mean'] / ep:.2f}x an oracle episode's cost "
        "(an LLM agent's episode costs seconds).",
        "",
        "## Splits and benchmark duplicates",
        "",
        f"Distinct turn skeletons: {d['skeletons']}; shared between splits: {d['skeleton_overlap']} (disjoint by "
        f"construction); identical concrete call lists between splits: {d['content_overlap']}. Generated tasks equal "
        f"to a BFCL V3 test entry (same classes, calls, arguments): {d['benchmark_duplicates']}. Functions used: "
        f"{d['functions_used']} (of the 118 the generator may ask for; 129 in the eight classes). Calls per class: "
        f"{d['class_calls']}.",
        "",
        "## How the tasks are built, and caveats",
        "",
        "- Each turn is one skeleton of `sample_skeleton` over 118 of the 129 functions and 187 curated same-class "
        "edges (`coalm_env/domains/bfcl/proc_actions.py`), bound to the current state and executed on one session "
        "that carries over between turns; attempts with an error result are undone and drawn again. The file "
        "system has no data edges: its turns are independent calls whose state (the working folder) carries over.",
        "- Not requested: logins/logouts (`message_login`, `authenticate_twitter`, `ticket_login`, `trading_login`, "
        "`trading_logout`, `logout`: configs start logged in; `authenticate_travel` is requested), `rmdir`, "
        "`setCruiseControl` (needs a running engine), `update_stock_price`, `display_log`, `imperial_si_conversion`.",
        "- Requests are template clauses; values are said literally except those fed by an earlier call of the "
        "same turn, which are named by the source (\"the airport nearest to Rivermist\"), and ids an earlier "
        "turn created (once), named by that request (\"the ticket you opened for me in an earlier request\"). Fillers are word salad "
        "('Budget travel survey quarter!'): readable, not natural.",
        "- `TwitterAPI.post_tweet`'s default `tags`/`mentions` are shared mutable lists in the official class: "
        "`mention` on a tweet posted without them edits the default, which leaks into every later default tweet "
        "of the process (our gold always passes both lists; an agent that omits them can trip over it).",
        "- Split disjointness is by turn skeleton: a val/test turn plan never occurs in train, so some short plans "
        "(e.g. a single `ls`) exist in one split only.",
        "",
        "## Example generated tasks",
        "",
    ]
    for ex in r["examples"]:
        lines.append(f"**{ex['id']}** ({ex['category']}, classes {ex['classes']}"
                     + (f", missed_function {ex['missed_function']}" if ex["missed_function"] else "") + ")")
        lines.append("")
        for i, t in enumerate(ex["turns"]):
            user = "*(reveal turn: the held-out function is added)*" if t["user"] is None else t["user"]
            lines.append(f"{i}. user: {user}  ")
            lines.append(f"   gold: `{t['ground_truth']}`")
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
