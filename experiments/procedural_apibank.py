"""Figures of ``coalm/APIBank-Procedural-v0`` (issue 11): oracle / weaker policies x ``apibank_goal``.

``python -m experiments.procedural_apibank [--train N] [--heldout N] [--knob-n N] [--out FILE]`` writes
``experiments/results/procedural/apibank.md`` (and a JSON of the numbers next to it):

* oracle x apibank_goal success on ``N`` train scenarios per level and on val/test;
* random policy x apibank_goal (near 0);
* a knob table: each knob varied from the defaults, level 1 (and level 2 for ``n_calls``), with the
  oracle's env steps, and the success / turns of weaker policies. There is no rule policy for API-Bank;
  the weaker policies here are variants of the oracle restricted to what the user has said
  (:func:`informed_action`): ``ask`` (asks for facts the user has not said yet), ``no-ask`` (never
  asks: waits for the user to volunteer them), ``no-decline`` (ask, but never says it cannot do an
  infeasible sub-goal), and random;
* generation cost per scenario (ms) against the rollout's time per episode;
* example generated tasks per level.

Policies are plain functions of the env here (the privileged oracle reads ``info["oracle_action"]``;
the informed variants read the scenario's gold, as an analysis device, never as a baseline).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["informed_action", "play", "run_cell", "main"]

_IMPATIENT = "apibank_goal:patience=2"
_OUT = Path(__file__).resolve().parent / "results" / "procedural" / "apibank.md"
_CLOSING = "Is there anything else I can help you with?"


def _user_text(env: Any) -> str:
    return " ".join(m.content for m in env.trajectory.messages if m.role == "user")


def informed_action(env: Any, ask: bool = True, decline: bool = True, chain: bool = True) -> Any:
    """The gold next action restricted to the facts the user has said: the next gold call when every
    scalar fact it takes occurs in the user's messages, else a question for the missing facts
    (``ask``) or a neutral reply; the final summary without its refusal when not ``decline``; without
    ``chain`` it cannot use an earlier result as an argument (a call fed by one is never made: it
    answers with the final summary instead)."""
    from coalm_env.domains.apibank.domain import _gold_progress, _said_verbatim
    from coalm_env.parsing import format_reply

    domain, scenario, backend = env.domain, env.scenario, env.backend
    steps = scenario.meta["steps"]
    done = _gold_progress(steps, backend)
    if done < len(steps) and steps[done]["name"] != "ToolSearcher":
        said = _user_text(env)
        facts = scenario.gold.calls[done].arguments
        missing = [p for p, v in facts.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)
                   and len(str(v)) >= 2 and not _said_verbatim(v, said)]
        if not chain and scenario.gold.calls[done].sources:
            return format_reply(scenario.meta["replies"][-1], "react", thought="I can answer the user now.")
        if missing:
            if ask:
                return format_reply("Could you tell me the " + " and the ".join(p.replace("_", " ") for p in missing)
                                    + "?", "react", thought="I need more facts.")
            return format_reply(_CLOSING, "react", thought="I will wait.")
    action = domain.oracle_action(scenario, backend, env.trajectory)
    if done >= len(steps) and not decline:
        final = scenario.meta["replies"][-1].split(" I'm sorry,")[0]
        return format_reply(final, "react", thought="I can answer the user now.")
    return action


def play(env: Any, scenario_id: str, policy: Callable[[Any, dict, dict], Any], seed: int = 0) -> dict[str, Any]:
    """One episode; returns ``{metrics, steps, turns, stop_reason, seconds}``."""
    t0 = time.perf_counter()
    obs, info = env.reset(seed=seed, options={"scenario_id": scenario_id})
    steps = 0
    while True:
        obs, _, terminated, truncated, info = env.step(policy(env, obs, info))
        steps += 1
        if terminated or truncated:
            break
    turns = sum(1 for m in env.trajectory.messages if m.role == "user")
    return {"metrics": dict(info.get("metrics") or {}), "steps": steps, "turns": turns,
            "stop_reason": str(info.get("stop_reason")), "seconds": time.perf_counter() - t0}


def _policies() -> dict[str, Callable[[Any, dict, dict], Any]]:
    from policies.random import RandomPolicy

    rand = RandomPolicy(seed=0)
    return {
        "oracle": lambda env, obs, info: info["oracle_action"],
        "ask": lambda env, obs, info: informed_action(env, ask=True),
        "no-ask": lambda env, obs, info: informed_action(env, ask=False),
        "no-decline": lambda env, obs, info: informed_action(env, ask=True, decline=False),
        "no-chain": lambda env, obs, info: informed_action(env, ask=True, chain=False),
        "random": lambda env, obs, info: rand.act([obs], [info])[0],
    }


def run_cell(level: int, split: str, n: int, policy: str, start: int = 0, user: str = "apibank_goal",
             **knobs: Any) -> dict[str, Any]:
    """Mean metrics of ``policy`` x ``user`` on scenarios ``start..start+n-1`` of ``split``."""
    import gymnasium as gym

    import coalm_env  # noqa: F401  (registers the ids)

    env = gym.make("coalm/APIBank-Procedural-v0", split=split, level=level, oracle_hints=True, user=user,
                   **knobs).unwrapped
    fn = _policies()[policy]
    play(env, f"APIBankP-L{level}-{split}-{start}", fn)  # warm-up (per-process caches), not counted
    rows = [play(env, f"APIBankP-L{level}-{split}-{i}", fn, seed=i) for i in range(start, start + n)]
    mean = lambda key: statistics.fmean(r["metrics"].get(key, 0.0) for r in rows)  # noqa: E731
    return {"level": level, "split": split, "n": n, "policy": policy, "user": user, "knobs": knobs,
            "success": mean("success"), "calls_success": mean("calls_success"),
            "api_call_accuracy": mean("api_call_accuracy"), "infeasible_declined": mean("infeasible_declined"),
            "results_told": mean("results_told"), "steps": statistics.fmean(r["steps"] for r in rows),
            "turns": statistics.fmean(r["turns"] for r in rows),
            "gave_up": sum(r["stop_reason"].endswith("user_gave_up") for r in rows) / n,
            "ms_per_episode": 1000 * statistics.fmean(r["seconds"] for r in rows)}


def generation_cost(level: int, n: int, split: str = "train", **knobs: Any) -> dict[str, float]:
    """Milliseconds per generated scenario (a fresh domain; graph and databases already loaded)."""
    from coalm_env.domains.apibank.procedural import APIBankProceduralDomain

    domain = APIBankProceduralDomain(level=level, seed=12345, **knobs)  # a seed no other cell uses: no cache
    domain.generate(split, 0)  # warm the per-process caches (graph, databases, benchmark keys)
    t0 = time.perf_counter()
    attempts = 0
    for i in range(1, n + 1):
        attempts += domain.generate(split, i).meta["procedural"]["attempt"] + 1
    return {"ms_per_scenario": 1000 * (time.perf_counter() - t0) / n, "attempts_per_scenario": attempts / n}


#: (knob, values, levels, other knobs set away from the defaults)
_KNOB_ROWS: list[tuple[str, list[Any], tuple[int, ...], dict[str, Any]]] = [
    ("n_calls", [1, 2, 3, 4, 5], (1, 2, 3), {}),
    ("max_depth", [0, 1, 2], (1, 3), {}),
    ("n_user_turns", [1, 2, 3], (1, 3), {}),
    ("n_distractors", [0, 4, 12], (1,), {}),
    ("p_held_back", [0.0, 0.5, 1.0], (1,), {}),
    ("p_held_back", [0.0, 0.5, 1.0], (1,), {"n_user_turns": 3}),
    ("p_infeasible", [0.0, 0.5, 1.0], (1,), {}),
]


def variety(level: int, split: str, n: int, **knobs: Any) -> dict[str, Any]:
    """Distinct plan skeletons and tasks (:func:`~coalm_env.domains.apibank.procedural.task_key`)
    among scenarios ``0..n-1`` of ``split``."""
    from coalm_env.domains.apibank.procedural import APIBankProceduralDomain, task_key

    domain = APIBankProceduralDomain(level=level, **knobs)
    rows = [domain.generate(split, i) for i in range(n)]
    return {"level": level, "split": split, "n": n, "knobs": knobs,
            "skeletons": len({s.meta["procedural"]["skeleton_key"] for s in rows}),
            "tasks": len({task_key(s.meta["steps"]) for s in rows})}


def _variety_report(rows: list[dict[str, Any]], command: str) -> str:
    lines = ["# coalm/APIBank-Procedural-v0: variety of the generated splits (issue 11)", "",
             f"Measured {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} with `{command}`: distinct "
             "plan skeletons and distinct tasks (gold calls as a multiset of API + normalized arguments) among "
             "the first n scenarios of each split.", "",
             "| level | knobs | split | n | skeletons | distinct tasks |", "|---|---|---|---|---|---|"]
    for r in rows:
        knobs = json.dumps(r["knobs"]) if r["knobs"] else "defaults"
        lines.append(f"| {r['level']} | {knobs} | {r['split']} | {r['n']} | {r['skeletons']} | {r['tasks']} |")
    return "\n".join(lines) + "\n"


def _examples(level: int, n: int = 2) -> list[dict[str, Any]]:
    from coalm_env.domains.apibank.procedural import APIBankProceduralDomain

    domain = APIBankProceduralDomain(level=level, p_held_back=0.5, p_infeasible=0.5, n_user_turns=2)
    out = []
    for i in range(n):
        s = domain.generate("train", i)
        out.append({"id": s.id, "skeleton": s.meta["procedural"]["skeleton_key"], "user_turns": s.user_turns,
                    "gold": [{"name": x["name"], "input": x["input"]} for x in s.meta["steps"]],
                    "infeasible": s.meta["infeasible"], "held_back": s.meta["held_back"],
                    "must_tell": [t["value"] for t in s.meta["must_tell"]][:6]})
    return out


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=int, default=1000, help="train scenarios per level for the oracle")
    parser.add_argument("--heldout", type=int, default=300, help="val and test scenarios per level")
    parser.add_argument("--knob-n", type=int, default=60, help="scenarios per knob cell")
    parser.add_argument("--gen-n", type=int, default=300, help="scenarios timed per level")
    parser.add_argument("--out", default=str(_OUT))
    parser.add_argument("--render", metavar="JSON", help="only re-render the report from a results JSON")
    parser.add_argument("--variety", type=int, default=0, metavar="N",
                        help="only count distinct skeletons/tasks in N scenarios per split and level "
                             "(writes apibank-variety.md next to --out)")
    args = parser.parse_args(argv)
    if args.render:  # re-render the report from a results JSON
        result = json.loads(Path(args.render).read_text())
        result["examples"] = {int(k): v for k, v in result["examples"].items()}
        Path(args.out).write_text(_report(result))
        print(f"wrote {args.out}")
        return 0
    if args.variety:
        rows = [variety(level, split, args.variety, **knobs) for level in (1, 2, 3)
                for knobs in ({}, {"n_calls": 1}) for split in ("train", "val", "test")]
        path = Path(args.out).with_name("apibank-variety.md")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_variety_report(rows, f"python -m experiments.procedural_apibank --variety {args.variety}"))
        print(f"wrote {path}")
        return 0
    t_start = time.perf_counter()
    result: dict[str, Any] = {"machine": f"{platform.machine()} {platform.processor() or ''} ".strip(),
                              "python": platform.python_version(),
                              "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                              "args": vars(args), "main": [], "knobs": [], "generation": [], "examples": {}}
    for level in (1, 2, 3):
        result["main"].append(run_cell(level, "train", args.train, "oracle"))
        for split in ("val", "test"):
            result["main"].append(run_cell(level, split, args.heldout, "oracle"))
        result["main"].append(run_cell(level, "train", args.heldout, "random"))
        for knobbed in ({}, {"p_held_back": 0.5, "p_infeasible": 0.5, "n_user_turns": 2}):
            result["generation"].append({"level": level, "knobs": knobbed, **generation_cost(level, args.gen_n,
                                                                                            **knobbed)})
        result["examples"][level] = _examples(level)
        print(f"level {level} done ({time.perf_counter() - t_start:.0f} s)", flush=True)
    for knob, values, levels, base in _KNOB_ROWS:
        for level in levels:
            for value in values:
                knobs = {**base, knob: value}
                for policy in ("oracle", "ask", "no-ask", "no-decline", "no-chain", "random"):
                    result["knobs"].append(run_cell(level, "train", args.knob_n, policy, **knobs))
                for policy in ("ask", "no-ask"):  # an impatient user: two replies without progress
                    result["knobs"].append(run_cell(level, "train", args.knob_n, policy, user=_IMPATIENT,
                                                    **knobs))
        print(f"knob {knob} done ({time.perf_counter() - t_start:.0f} s)", flush=True)
    result["seconds"] = time.perf_counter() - t_start
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    out.write_text(_report(result))
    print(f"wrote {out} ({result['seconds']:.0f} s)")
    return 0


def _report(r: dict[str, Any]) -> str:
    lines = ["# coalm/APIBank-Procedural-v0: figures (issue 11)", "",
             f"Measured {r['date']} on {r['machine']} (Python {r['python']}, 2 shared CPU cores) with "
             f"`python -m experiments.procedural_apibank --train {r['args']['train']} --heldout "
             f"{r['args']['heldout']} --knob-n {r['args']['knob_n']} --gen-n {r['args']['gen_n']}` "
             f"({r['seconds']:.0f} s). User: `apibank_goal` everywhere. Default knobs: n_calls=3, max_depth=None, "
             "n_user_turns=1, n_distractors=2, p_held_back=0, p_infeasible=0.", "",
             "## Oracle and random x apibank_goal", "",
             "| level | split | policy | n | success | calls_success | api_call_accuracy | results_told | steps | "
             "ms/episode |", "|---|---|---|---|---|---|---|---|---|---|"]
    for c in r["main"]:
        lines.append(f"| {c['level']} | {c['split']} | {c['policy']} | {c['n']} | {_fmt(c['success'])} | "
                     f"{_fmt(c['calls_success'])} | {_fmt(c['api_call_accuracy'])} | {_fmt(c['results_told'])} | "
                     f"{c['steps']:.2f} | {c['ms_per_episode']:.1f} |")
    lines += ["", "## Knobs (train, one knob varied from the defaults)", "",
              "Weaker policies (there is no rule policy for API-Bank): `ask` = the oracle restricted to the facts "
              "the user has said, asking for the others; `no-ask` = the same, never asking (it waits with a "
              "neutral reply until the user volunteers the facts); `no-decline` = `ask` that never says it cannot "
              "do an infeasible sub-goal; `no-chain` = `ask` that cannot pass an earlier result on as an argument "
              "(it answers instead of making a call fed by one); `random` = policies.random. The oracle is "
              "privileged (it knows every fact) and never asks. The last two columns play `ask` and `no-ask` "
              f"against `{_IMPATIENT}` (the user gives up after two replies without progress; default "
              "patience: its turns + 2).", "",
              "| knob | value | level | oracle steps | oracle success | ask success | ask turns | no-ask success | "
              "no-ask turns | no-decline success | no-chain success | random success | random api_call_accuracy | "
              "ask success, patience 2 | no-ask success, patience 2 |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    cells = {(c["level"], json.dumps(c["knobs"]), c["policy"] + ("@2" if c["user"] == _IMPATIENT else "")): c
             for c in r["knobs"]}
    seen = []
    for c in r["knobs"]:
        key = (c["level"], json.dumps(c["knobs"]))
        if key in seen:
            continue
        seen.append(key)
        g = lambda p: cells[(*key, p)]  # noqa: E731
        *others, (knob, value) = c["knobs"].items()
        knob += "".join(f" ({k}={v})" for k, v in others)
        lines.append(f"| {knob} | {value} | {c['level']} | {g('oracle')['steps']:.2f} | {_fmt(g('oracle')['success'])} | "
                     f"{_fmt(g('ask')['success'])} | {g('ask')['turns']:.2f} | {_fmt(g('no-ask')['success'])} | "
                     f"{g('no-ask')['turns']:.2f} | {_fmt(g('no-decline')['success'])} | "
                     f"{_fmt(g('no-chain')['success'])} | {_fmt(g('random')['success'])} | "
                     f"{_fmt(g('random')['api_call_accuracy'])} | {_fmt(g('ask@2')['success'])} | "
                     f"{_fmt(g('no-ask@2')['success'])} |")
    lines += ["", "## Generation cost", "",
              "Per scenario, after the per-process caches are warm (graph, databases, benchmark keys); "
              "attempts = skeleton draws until one lands in the split, binds, executes and is not a benchmark "
              "duplicate. The rollout time per episode includes generating its scenario on first use (the env's "
              "lazy pool), so generation is that share of it.", "",
              "| level | knobs | ms/scenario | attempts/scenario | oracle rollout ms/episode (train) |",
              "|---|---|---|---|---|"]
    roll = {c["level"]: c["ms_per_episode"] for c in r["main"] if c["split"] == "train" and c["policy"] == "oracle"}
    for g in r["generation"]:
        lines.append(f"| {g['level']} | {json.dumps(g['knobs']) if g['knobs'] else 'defaults'} | "
                     f"{g['ms_per_scenario']:.2f} | {g['attempts_per_scenario']:.1f} | {roll[g['level']]:.1f} |")
    lines += ["", "## Notes", "",
              "- The oracle is privileged (it reads the gold); success 1.0 says the generated tasks are solvable, "
              "executable and scored consistently (scorer, oracle and user agree), not that they are easy.",
              "- `apibank_goal` says an unsaid turn when the agent does not ask, so held-back facts cost turns, "
              "and they cost success only against an impatient user (last two columns), most when the requests "
              "are spread over several turns.",
              "- `infeasible_declined` reads refusal cues (cannot, unable, not possible, no API, failed, ...) in "
              "the agent's replies: a heuristic, not a judge.",
              "- `n_distractors` changes what an agent sees (level 1), not what these gold-driven policies do; "
              "random's accuracy is near 0 either way.",
              "- Level-3 lookups answer only the inputs `level-3.json` records, so level-3 variety is small "
              "(see `apibank-variety.md`; with n_calls=1 the test split has one skeleton).",
              "- ms/episode figures are wall times on 2 shared, loaded cores: noisy."]
    lines += ["", "## Example generated tasks (train; p_held_back=0.5, p_infeasible=0.5, n_user_turns=2)", ""]
    for level, examples in r["examples"].items():
        lines.append(f"### Level {level}")
        for e in examples:
            lines += ["", f"`{e['id']}` skeleton `{e['skeleton']}`", "", "User turns:"]
            lines += [f"{i + 1}. {t}" for i, t in enumerate(e["user_turns"])]
            lines += ["", "Gold calls: " + "; ".join(f"`{x['name']}({json.dumps(x['input'], ensure_ascii=False)})`"
                                                     for x in e["gold"])]
            if e["infeasible"]:
                lines.append(f"Infeasible: {e['infeasible']}")
            if e["held_back"]:
                lines.append(f"Held back (step: params): {e['held_back']}")
            lines.append(f"Must tell (first values): {e['must_tell']}")
        lines.append("")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
