"""Fuzz benchmark (issue 16): seeded hostile actions over every env, counting what must never happen.

    python -m experiments.benchmarks.fuzz --actions 20000 --seed 0

For each registered env (the data-backed ones where their data is present), episodes are reset with
seeds ``seed, seed+1, ...`` and stepped with actions drawn from a seeded generator mixing every format
(text ReAct / ``<tool_call>`` / JSON / Python lists, structured ``ToolCall`` lists, ``Message``, dict
actions) with hostile content: integers too long to print, numbers beyond float range, deep and
shared-reference structures, thousands of calls, huge texts, broken syntax, the BFCL and API-Bank cost
bombs of the issue, replies of 200 k characters, and the domain's own tool names with junk arguments.
Reported per env: actions, exceptions escaping ``step()``/``reset()`` (must be 0), internal errors
(must be 0), observations outside the space (0), trajectories that are not strict JSON (0), steps over
2 s (0), max and mean step time. JSON under ``experiments/results/fuzz.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import time
import traceback
from typing import Any

from tabulate import tabulate

import coalm_env  # noqa: F401  (registers the ids)
from coalm_env.errors import CoalmError
from coalm_env.parsing import FORMATS, format_calls
from coalm_env.types import Message, ToolCall
from experiments.benchmarks import save_results

ENVS = {"coalm/Travel-v0": {"user": "agenda"}, "coalm/MultiWOZ-v0": {}, "coalm/BFCL-MultiTurn-v0": {},
        "coalm/APIBank-v0": {}}
SLOW_S = 2.0

BOMBS = [
    "[round_number(number=1, decimal_places=-10000000)]",
    "[power(base=" + "9" * 4000 + ", exponent=10000)]",
    "[multiply(a=" + "9" * 4000 + ", b=" + "9" * 4000 + ")]",
    "[logarithm(value=2, base=10, precision=10000000)]",
    "[Calculator(formula='1e300**2')]", "[Calculator(formula='9**9**9**9')]",
    "[AddScene(name='x', devices='{[1]: 2}')]",
    "[mkdir(dir_name='a'), cd(folder='a'), mkdir(dir_name='b'), cd(folder='..'), cp(source='a', destination='c')]",
    "[du(), find()]",
    "[echo(content='" + "x" * 190_000 + "', file_name='big.txt')]",
    "[" + ", ".join(["cat(file_name='big.txt')"] * 8) + "]",
    "[find_restaurant(area=0x" + "f" * 3600 + ")]",
    "[find_restaurant(area=1" + "0" * 309 + ")]",
    "<tool_call>" * 1_000,
]


def _junk_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.15:
        return 10 ** rng.randint(300, 6_000) * rng.choice([1, -1])
    if roll < 0.25:
        return rng.choice([float("nan"), float("inf"), -0.0, 1e308, 5e-324])
    if roll < 0.4:
        return rng.randint(-(10**9), 10**9)
    if roll < 0.6:
        return "".join(rng.choice("ab\u0000\ud800\"'\\{}[]()<>é😀 ") for _ in range(rng.randint(0, 40)))
    if roll < 0.7 and depth < 4:
        return [_junk_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.8 and depth < 4:
        return {str(rng.randint(0, 9)): _junk_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return rng.choice([None, True, False, "centre", "cheap", 2, "2"])


def _shared(depth: int) -> list:
    x: list = []
    for _ in range(depth):
        x = [x, x]
    return x


def _nested(depth: int) -> list:
    x: list = []
    for _ in range(depth):
        x = [x]
    return x


def fuzz_action(rng: random.Random, tools: list[str]) -> Any:
    """One seeded hostile action (see the module docstring)."""
    names = tools + ["", "end_conversation", "__import__", "os.system", "x" * 300]
    calls = [ToolCall(rng.choice(names), {rng.choice(["area", "a", "name", "file_name", "x"]): _junk_value(rng)
                                          for _ in range(rng.randint(0, 3))}) for _ in range(rng.randint(1, 3))]
    kind = rng.randrange(12)
    if kind == 0:
        return rng.choice(BOMBS)
    if kind == 1:
        try:
            return format_calls(calls, rng.choice(FORMATS))
        except (ValueError, TypeError):
            return calls
    if kind == 2:
        return calls
    if kind == 3:
        return {"tool_calls": [c.to_dict() for c in calls], "extra": {"logprobs": _junk_value(rng)}}
    if kind == 4:
        return Message(role="assistant", content=rng.choice(["", "thinking", None]), tool_calls=calls)
    if kind == 5:
        return [ToolCall(rng.choice(names), {"area": _shared(rng.randint(10, 22))})]
    if kind == 6:
        return {"name": rng.choice(names), "arguments": {"area": _nested(rng.randint(10, 5_000))}}
    if kind == 7:
        return [{"name": rng.choice(names), "arguments": {}}] * rng.choice([9, 100, 1_000, 10_000])
    if kind == 8:
        return rng.choice(["hello ", "the cheap one in the centre please ", "{[("]) * rng.randint(1, 40_000)
    if kind == 9:
        text = format_calls([ToolCall(rng.choice(tools or ["f"]), {"a": 1})], rng.choice(FORMATS))
        cut = rng.randint(0, len(text))
        return text[:cut] + "".join(rng.choice("([{\"'<>:,)]}") for _ in range(rng.randint(0, 20)))
    if kind == 10:
        return rng.choice([None, 1, 1.5, b"bytes", object(), (), [], {}, [[[[]]]], {"content": 5}, {"tool_calls": [None]}])
    return "".join(rng.choice("abc def\n:()[]{}'\"=,<tool_call>Action:Response:") for _ in range(rng.randint(0, 300)))


def _strict_json(text: str) -> bool:
    try:
        json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        return True
    except ValueError:
        return False


def fuzz_env(env_id: str, actions: int, seed: int, max_steps: int = 12) -> dict[str, Any]:
    """Fuzz one env with ``actions`` actions; counts of every failure the issue names."""
    import gymnasium as gym

    rng = random.Random(f"{env_id}:{seed}")
    try:
        env = gym.make(env_id, **ENVS.get(env_id, {})).unwrapped
        env.reset(seed=seed)
        env.step("Hello! How can I help?")  # warm-up (lazy imports, caches): not counted
        env.abort()
    except CoalmError as exc:  # data not present: reported, not fuzzed
        return {"env_id": env_id, "skipped": str(exc)[:200]}
    row = {"env_id": env_id, "actions": 0, "episodes": 0, "escapes": 0, "internal_errors": 0,
           "obs_outside_space": 0, "not_strict_json": 0, "slow_steps": 0, "max_step_s": 0.0, "total_step_s": 0.0}
    examples: list[str] = []
    episode = 0
    while row["actions"] < actions:
        try:
            env.reset(seed=seed + episode)
        except Exception:
            row["escapes"] += 1
            examples.append("reset: " + traceback.format_exc(limit=2)[-300:])
            episode += 1
            continue
        row["episodes"] += 1
        episode += 1
        tools = [t["function"]["name"] for t in env.backend.tool_schemas()] if env.backend is not None else []
        for _ in range(max_steps):
            action = fuzz_action(rng, tools)
            row["actions"] += 1
            start = time.perf_counter()
            try:
                obs, _, terminated, truncated, _ = env.step(action)
            except Exception:
                row["escapes"] += 1
                examples.append("step: " + traceback.format_exc(limit=3)[-400:])
                break
            elapsed = time.perf_counter() - start
            row["total_step_s"] += elapsed
            row["max_step_s"] = max(row["max_step_s"], elapsed)
            row["slow_steps"] += elapsed > SLOW_S
            if not env.observation_space.contains(obs):
                row["obs_outside_space"] += 1
            if terminated or truncated or row["actions"] >= actions:
                break
        traj = env.trajectory
        if traj.stop_reason is None:
            env.abort()
        if any(e.get("where") != "oracle" for e in traj.errors) or (traj.stop_reason and traj.stop_reason.value
                                                                     == "internal_error"):
            row["internal_errors"] += 1
            examples.append("internal: " + str(traj.errors[-1].get("error") if traj.errors else "")[:300])
        try:
            ok = _strict_json(traj.to_json())
        except Exception:
            ok = False
        row["not_strict_json"] += not ok
    row["mean_step_ms"] = round(1000 * row.pop("total_step_s") / max(1, row["actions"]), 2)
    row["max_step_s"] = round(row["max_step_s"], 3)
    row["examples"] = examples[:5]
    return row


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=20_000, help="fuzzed actions in total, split over the envs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--envs", default=",".join(ENVS))
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    env_ids = [e for e in args.envs.split(",") if e]
    start = time.perf_counter()
    rows = [fuzz_env(env_id, args.actions // len(env_ids), args.seed) for env_id in env_ids]
    shown = [{k: v for k, v in r.items() if k != "examples"} for r in rows]
    print(tabulate(shown, headers="keys"))
    results = {
        "benchmark": "fuzz", "date": dt.date.today().isoformat(), "seed": args.seed,
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "wall_s": round(time.perf_counter() - start, 1), "rows": rows,
    }
    save_results(results, args.out, "fuzz.json")
    return results


if __name__ == "__main__":
    main()
