"""Figures of ``coalm/MultiWOZ-Procedural-v0`` (issue 11, MultiWOZ part).

Measures, on this machine, and writes ``experiments/results/procedural/multiwoz.md`` (+ ``.json``):

1. generation cost: learning the statistics from the mirror (cold), loading them from the cache, and
   generating one scenario per split (fresh domain, nothing cached), next to the cost of one
   oracle x agenda episode;
2. oracle x agenda success on 1,000 train scenarios and on val/test; rule x agenda; random x agenda;
3. the difficulty knobs: knob value vs oracle steps and rule success;
4. statistics fit: generated vs dataset distributions (domains per goal, combinations, fail_info /
   fail_book / booking rates, a few slot value distributions), as total variation distances;
5. disjointness audit: constraint signatures shared across generated splits, generated goals equal to a
   dataset val/test goal, and how often an unfiltered draw would repeat a dataset goal;
6. example generated goals.

    python -m experiments.procedural_multiwoz [--quick] [--out experiments/results/procedural/multiwoz.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

ENV_ID = "coalm/MultiWOZ-Procedural-v0"
KNOBS: list[tuple[str, dict[str, Any]]] = [
    ("default (learned)", {}),
    ("min_domains=max_domains=1", {"min_domains": 1, "max_domains": 1}),
    ("min_domains=max_domains=2", {"min_domains": 2, "max_domains": 2}),
    ("min_domains=max_domains=3", {"min_domains": 3, "max_domains": 3}),
    ("p_fail_info=0", {"p_fail_info": 0.0}),
    ("p_fail_info=1, p_name=0", {"p_fail_info": 1.0, "p_name": 0.0}),
    ("p_book=0", {"p_book": 0.0}),
    ("p_book=1", {"p_book": 1.0}),
    ("p_book=1, p_fail_book=1", {"p_book": 1.0, "p_fail_book": 1.0}),
    ("p_name=1", {"p_name": 1.0}),
    ("p_name=0, max_constraints=1", {"p_name": 0.0, "max_constraints": 1}),
    ("p_name=0 (constraints up to 4)", {"p_name": 0.0}),
]


def _ids(split: str, n: int) -> list[str]:
    return [f"mwzgen-{split}-{i:07d}" for i in range(n)]


def rollout(policy: str, split: str, n: int, options: dict[str, Any] | None = None, seed: int = 0) -> dict[str, Any]:
    from coalm_env.rollout import RolloutConfig, run_rollouts

    res = run_rollouts(RolloutConfig(ENV_ID, policy, user="agenda", episodes=n, scenario_ids=_ids(split, n),
                                     split=split, seed=seed, env_options=dict(options or {})), progress=False)
    m = res.summary["metrics"]
    return {"policy": policy, "split": split, "episodes": n, "success": res.summary["success_rate"],
            "task_success": m.get("task_success"), "book_rate": m.get("book_rate"), "inform": m.get("inform"),
            "steps": m.get("steps"), "turns": m.get("turns"), "tool_calls": m.get("tool_calls"),
            "stop_reasons": res.summary["stop_reasons"], "errors": res.summary["episodes_with_errors"],
            "wall_s": res.timing.get("wall_s"), "episodes_per_s": res.timing.get("episodes_per_s")}


def generation_cost(n_train: int, n_other: int) -> dict[str, Any]:
    from coalm_env.domains.multiwoz import procedural as proc

    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    domain = proc.MultiWOZProceduralDomain()  # databases + cached statistics
    out["domain_build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    proc.load_statistics(domain.database)
    out["stats_cache_load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    stats = proc.learn_statistics(domain.database)
    out["stats_learn_cold_s"] = time.perf_counter() - t0
    out["stats_json_bytes"] = len(json.dumps(stats, sort_keys=True))
    for split, n in (("train", n_train), ("val", n_other), ("test", n_other)):
        fresh = proc.MultiWOZProceduralDomain()  # nothing generated yet; query caches of the DB are warm
        t0, c0 = time.perf_counter(), time.process_time()
        scenarios = [fresh.generate(split, i) for i in range(n)]
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        out[split] = {"n": n, "ms_per_scenario": 1000 * dt / n, "cpu_ms_per_scenario": 1000 * cpu / n,
                      "mean_attempts": float(np.mean([s.meta["attempts"] for s in scenarios]))}
    return out


def _tvd(p: Counter, q: Counter) -> float:
    sp, sq = sum(p.values()) or 1, sum(q.values()) or 1
    return 0.5 * sum(abs(p[k] / sp - q[k] / sq) for k in set(p) | set(q))


def _top(c: Counter, k: int = 8) -> str:
    total = sum(c.values()) or 1
    return ", ".join(f"{v} {n / total:.2f}" for v, n in c.most_common(k))


def statistics_fit(domain: Any, dataset_val: list[dict], n: int) -> dict[str, Any]:
    from coalm_env.domains.multiwoz import procedural as proc

    gen = [domain.generate("train", i).goal for i in range(n)]
    stats = domain.stats

    def describe(goals: list[dict]) -> dict[str, Counter]:
        c: dict[str, Counter] = {k: Counter() for k in ("n_domains", "combo", "food", "restaurant_area", "hotel_area",
                                                         "hotel_type", "train_day", "attraction_type", "book_people",
                                                         "restaurant_pattern")}
        rates = Counter()
        for g in goals:
            c["n_domains"][len(g)] += 1
            c["combo"]["+".join(sorted(g))] += 1
            for d, sub in g.items():
                info = sub["info"]
                rates[f"{d}:n"] += 1
                if d in proc.VENUES and "name" not in info:
                    rates[f"{d}:eligible"] += 1
                    rates[f"{d}:fail_info"] += bool(sub["fail_info"])
                if sub.get("book"):
                    rates[f"{d}:book"] += 1
                    rates[f"{d}:fail_book"] += bool(sub.get("fail_book"))
                    if "people" in sub["book"]:
                        c["book_people"][sub["book"]["people"]] += 1
                if d == "restaurant":
                    c["restaurant_pattern"]["|".join(sorted(info))] += 1
                    for s, key in (("food", "food"), ("area", "restaurant_area")):
                        if s in info:
                            c[key][info[s]] += 1
                if d == "hotel":
                    for s, key in (("area", "hotel_area"), ("type", "hotel_type")):
                        if s in info:
                            c[key][info[s]] += 1
                if d == "train" and "day" in info:
                    c["train_day"][info["day"]] += 1
                if d == "attraction" and "type" in info:
                    c["attraction_type"][info["type"]] += 1
        return {**c, "rates": rates}

    real, made = describe(dataset_val), describe(gen)
    train_states = Counter()
    for combo, k in stats["combos"]["train"].items():
        train_states[len(combo.split("|"))] += k
    learned_nd = Counter()
    for part in stats["combos"].values():
        for combo, k in part.items():
            if len(combo.split("|")) <= 3:
                learned_nd[len(combo.split("|"))] += k
    learned = {"n_domains": learned_nd, "combo": Counter()}
    for part in stats["combos"].values():
        for combo, k in part.items():
            if len(combo.split("|")) <= 3:
                learned["combo"]["+".join(sorted(combo.split("|")))] += k
    for key, (d, s) in {"food": ("restaurant", "food"), "restaurant_area": ("restaurant", "area"),
                        "hotel_area": ("hotel", "area"), "hotel_type": ("hotel", "type"), "train_day": ("train", "day"),
                        "attraction_type": ("attraction", "type")}.items():
        learned[key] = Counter(stats["values"][d][s])
    learned["book_people"] = Counter()
    for d in ("restaurant", "hotel", "train"):
        learned["book_people"].update(stats["book_values"][d]["people"])
    rows = []
    for key in ("n_domains", "combo", "restaurant_pattern", "food", "restaurant_area", "hotel_area", "hotel_type",
                "train_day", "attraction_type", "book_people"):
        rows.append({"what": key, "tvd_vs_val": _tvd(made[key], real[key]),
                     "tvd_vs_learned": _tvd(made[key], learned[key]) if key in learned else float("nan"),
                     "val": _top(real[key]), "learned": _top(learned.get(key, Counter())), "generated": _top(made[key])})
    rate_rows = []
    for d in ("restaurant", "hotel", "attraction", "train"):
        def r(c, num, den):
            return c[f"{d}:{num}"] / c[f"{d}:{den}"] if c[f"{d}:{den}"] else float("nan")
        rate_rows.append({"domain": d, "share_val": real["rates"][f"{d}:n"] / len(dataset_val),
                          "share_gen": made["rates"][f"{d}:n"] / n,
                          "fail_info_val": r(real["rates"], "fail_info", "eligible"),
                          "fail_info_gen": r(made["rates"], "fail_info", "eligible"),
                          "book_val": r(real["rates"], "book", "n"), "book_gen": r(made["rates"], "book", "n"),
                          "fail_book_val": r(real["rates"], "fail_book", "book"),
                          "fail_book_gen": r(made["rates"], "fail_book", "book")})
    return {"n_generated": n, "rows": rows, "rates": rate_rows,
            "n_domains": {"val_goals": dict(sorted(real["n_domains"].items())),
                          "train_states": dict(sorted(train_states.items())),
                          "learned (val+train, <= 3)": dict(sorted(learned_nd.items())),
                          "generated": dict(sorted(made["n_domains"].items()))}}


def disjointness(domain: Any, n_train: int, n_other: int, n_raw: int) -> dict[str, Any]:
    from coalm_env.domains.multiwoz import procedural as proc

    sig = {s: {proc.signature(domain.generate(s, i).goal) for i in range(n)}
           for s, n in (("train", n_train), ("val", n_other), ("test", n_other))}
    keys = {s: {proc.content_key(domain.generate(s, i).goal) for i in range(n)}
            for s, n in (("train", n_train), ("val", n_other), ("test", n_other))}
    dataset = frozenset(domain.stats["dataset_keys"])
    rng = np.random.default_rng(12345)
    raw_hits = 0
    drawn = 0
    while drawn < n_raw:
        got = domain.sampler.draw(rng, domain.seed, range(100), frozenset())
        if got is None:
            continue
        drawn += 1
        raw_hits += proc.content_key(got[0]) in dataset
    return {"shared_signatures": {"train&val": len(sig["train"] & sig["val"]), "train&test": len(sig["train"] & sig["test"]),
                                  "val&test": len(sig["val"] & sig["test"])},
            "distinct_signatures": {s: len(v) for s, v in sig.items()},
            "dataset_goal_repeats": {s: len(v & dataset) for s, v in keys.items()},
            "unfiltered_draws": n_raw, "unfiltered_dataset_repeats": raw_hits}


def _fmt(x: Any, nd: int = 3) -> str:
    if isinstance(x, float):
        return "nan" if x != x else f"{x:.{nd}f}"
    return str(x)


def write_markdown(res: dict[str, Any], path: Path) -> None:
    L: list[str] = []
    L.append("# coalm/MultiWOZ-Procedural-v0: figures (issue 11, MultiWOZ part)\n")
    L.append(f"Measured {res['date']} on {res['machine']} (loadavg at start {res['loadavg']}; shared machine, "
             f"timings are indicative). Command: `{res['command']}`. Generator version {res['generator_version']}, "
             f"statistics {res['stats_digest']}.\n")
    L.append("## Success (agenda user)\n")
    L.append("| policy | split | episodes | success | task_success | book_rate | inform | steps | turns | stops | errors |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in res["success"]:
        L.append(f"| {r['policy']} | {r['split']} | {r['episodes']} | {_fmt(r['success'])} | {_fmt(r['task_success'])} | "
                 f"{_fmt(r['book_rate'])} | {_fmt(r['inform'])} | {_fmt(r['steps'], 2)} | {_fmt(r['turns'], 2)} | "
                 f"{', '.join(f'{k} {v}' for k, v in r['stop_reasons'].items())} | {r['errors']} |")
    L.append("\n`success` is mwzeval Success (Inform + requests), `task_success` adds the bookings (strict).\n")
    L.append("## Difficulty knobs (train scenarios 0..N-1 of each setting)\n")
    L.append("| knobs | N | oracle steps | oracle tool calls | oracle turns | oracle success | rule success | rule task_success | rule steps |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k in res["knobs"]:
        o, r = k["oracle"], k["rule"]
        L.append(f"| {k['name']} | {o['episodes']} | {_fmt(o['steps'], 2)} | {_fmt(o['tool_calls'], 2)} | {_fmt(o['turns'], 2)} | "
                 f"{_fmt(o['success'])} | {_fmt(r['success'])} | {_fmt(r['task_success'])} | {_fmt(r['steps'], 2)} |")
    c = res["cost"]
    L.append("\n## Generation cost\n")
    L.append(f"- statistics learned from the mirror (cold: val + test goals converted, training states read): "
             f"{c['stats_learn_cold_s']:.2f} s, {c['stats_json_bytes']:,} bytes of JSON; loaded from the cache: "
             f"{1000 * c['stats_cache_load_s']:.1f} ms; domain built (databases + cached statistics): {c['domain_build_s']:.2f} s")
    for s in ("train", "val", "test"):
        L.append(f"- {s}: {c[s]['ms_per_scenario']:.2f} ms wall ({c[s]['cpu_ms_per_scenario']:.2f} ms CPU) per scenario over {c[s]['n']} fresh scenarios "
                 f"(mean {c[s]['mean_attempts']:.1f} draws per accepted goal: the split's bucket share and the exclusions)")
    oracle_train = next(r for r in res["success"] if r["policy"] == "oracle" and r["split"] == "train")
    if oracle_train.get("episodes_per_s"):
        ep_ms = 1000 / oracle_train["episodes_per_s"]
        L.append(f"- for scale: one oracle x agenda episode took {ep_ms:.1f} ms (whole run, batched); generating its "
                 f"train scenario is {100 * c['train']['ms_per_scenario'] / ep_ms:.0f}% of that")
    f = res["fit"]
    L.append("\n## Statistics fit (generated train goals vs the dataset's val goals)\n")
    L.append(f"{f['n_generated']} generated train goals. Domains per goal: " + "; ".join(
        f"{k}: {v}" for k, v in f["n_domains"].items()) + ". The generator samples the val + train-state "
        "combinations (train states dominate by count; the val goals alone are the reference column).\n")
    L.append("TVD: total variation distance of the generated distribution from the val goals' and from the learned "
             "one (val goals + training states: what the generator fits; values of constraints as the states hold them, "
             "names offered by the system included).\n")
    L.append("| distribution | TVD vs val | TVD vs learned | val goals (top) | learned (top) | generated (top) |")
    L.append("|---|---:|---:|---|---|---|")
    for r in f["rows"]:
        L.append(f"| {r['what']} | {r['tvd_vs_val']:.3f} | {_fmt(r['tvd_vs_learned'])} | {r['val']} | {r['learned']} | "
                 f"{r['generated']} |")
    L.append("\n| domain | share of goals val / gen | fail_info (constraint venues) val / gen | book val / gen | fail_book (given book) val / gen |")
    L.append("|---|---|---|---|---|")
    for r in f["rates"]:
        L.append(f"| {r['domain']} | {_fmt(r['share_val'])} / {_fmt(r['share_gen'])} | {_fmt(r['fail_info_val'])} / "
                 f"{_fmt(r['fail_info_gen'])} | {_fmt(r['book_val'])} / {_fmt(r['book_gen'])} | "
                 f"{_fmt(r['fail_book_val'])} / {_fmt(r['fail_book_gen'])} |")
    d = res["disjoint"]
    L.append("\n## Disjointness\n")
    L.append(f"- constraint signatures shared between generated splits: {d['shared_signatures']} "
             f"(distinct signatures: {d['distinct_signatures']})")
    L.append(f"- generated goals equal (same domains, constraints, requests) to a dataset val/test goal: {d['dataset_goal_repeats']}")
    L.append(f"- without the exclusion, {d['unfiltered_dataset_repeats']} of {d['unfiltered_draws']} raw draws "
             f"would repeat a dataset val/test goal")
    L.append("\n## Example generated goals (train)\n")
    for ex in res["examples"]:
        L.append(f"`{ex['id']}`:\n\n```json\n{json.dumps(ex['goal'], indent=1)}\n```\n")
        L.append("Goal text the LLM user reads:\n\n```\n" + ex["text"] + "\n```\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(L) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small counts (a smoke run of the whole script)")
    ap.add_argument("--out", default="experiments/results/procedural/multiwoz.md")
    args = ap.parse_args(argv)
    os.environ.setdefault("COALM_ENV_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    from coalm_env.domains import get_domain
    from coalm_env.domains.multiwoz import procedural as proc
    from coalm_env.domains.multiwoz.dialogues import load_dialogues
    from coalm_env.domains.multiwoz.goals import convert_goal

    q = args.quick
    n_main, n_split, n_rand, n_knob = (40, 20, 20, 20) if q else (1000, 500, 300, 200)
    started = time.perf_counter()
    res: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, Python {platform.python_version()}",
        "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "command": "python -m experiments.procedural_multiwoz" + (" --quick" if q else ""),
        "generator_version": proc.GENERATOR_VERSION,
    }
    domain = get_domain("multiwoz_procedural")
    res["stats_digest"] = domain.stats_digest
    res["cost"] = generation_cost(200 if q else 1000, 50 if q else 300)
    print("cost", json.dumps(res["cost"]), flush=True)
    res["success"] = [rollout("oracle", "train", n_main), rollout("oracle", "val", n_split),
                      rollout("oracle", "test", n_split), rollout("rule", "train", n_main),
                      rollout("rule", "test", n_split), rollout("random", "train", n_rand)]
    for r in res["success"]:
        print(r["policy"], r["split"], r["episodes"], r["success"], r["task_success"], flush=True)
    res["knobs"] = []
    for name, options in KNOBS:
        row = {"name": name, "options": options, "oracle": rollout("oracle", "train", n_knob, options),
               "rule": rollout("rule", "train", n_knob, options)}
        res["knobs"].append(row)
        print("knob", name, row["oracle"]["steps"], row["oracle"]["success"], row["rule"]["success"], flush=True)
    dataset_val = [convert_goal(d, domain.database)[0] for d in load_dialogues("val")]
    res["fit"] = statistics_fit(domain, dataset_val, 300 if q else 3000)
    res["disjoint"] = disjointness(domain, 300 if q else 1000, 100 if q else 500, 500 if q else 5000)
    print("disjoint", json.dumps(res["disjoint"]), flush=True)
    from coalm_env.domains.tod.goal_text import goal_text

    res["examples"] = []
    for i in (0, 1, 4):
        s = domain.generate("train", i)
        res["examples"].append({"id": s.id, "goal": s.goal, "text": goal_text(s.goal)})
    res["total_s"] = time.perf_counter() - started
    out = Path(args.out)
    write_markdown(res, out)
    out.with_suffix(".json").write_text(json.dumps(res, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"wrote {out} ({res['total_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
