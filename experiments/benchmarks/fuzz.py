"""Fuzz benchmark (issue 16): seeded hostile actions over every env, counting what must never happen.

    python -m experiments.benchmarks.fuzz --actions 20000 --seed 0            # the heavy mix
    python -m experiments.benchmarks.fuzz --ci                                 # what the test suite runs

``--ci`` (tests/test_fuzz_ci.py): 100,000 actions over every env id (split evenly), the cost bombs and
the other heavy kinds drawn for 0.5% of the actions instead of 5/12 (the heavy mix is the benchmark's
default), 20% of user turns hostile, two worker processes (each env's actions in two seeded shards).

For each registered env (the data-backed ones where their data is present), episodes are reset with
seeds ``seed, seed+1, ...`` and stepped with actions drawn from a seeded generator mixing every format
(text ReAct / ``<tool_call>`` / JSON / Python lists, structured ``ToolCall`` lists, ``Message``, dict
actions) with hostile content: integers too long to print, numbers beyond float range, deep and
shared-reference structures, thousands of calls, huge texts, broken syntax, the BFCL and API-Bank cost
bombs of the issue, replies of 200 k characters, and the domain's own tool names with junk arguments.
Reported per env: actions, exceptions escaping ``step()``/``reset()`` (must be 0), internal errors
(must be 0), observations outside the space (0), trajectories that are not strict JSON (0), steps over
2 s (counted; the issue asks for 0), max and mean step time. JSON under ``experiments/results/fuzz.json``.

Users too (``--hostile-user P``): with probability P a user turn is replaced by a hostile one (text of
10 MB, of control characters and lone surrogates, an empty text, a text that is not a string, meta that
is not a dict). A string text of any size or content must cost no internal error; a turn that is not a
well-formed ``UserTurn`` is a user simulator's bug, which the env records (the episode ends
``internal_error`` with ``errors[-1]["where"] == "user"``): counted apart as ``user_bugs_recorded``,
and an escape or a non-JSON trajectory there still counts as a failure.
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
from coalm_env.acts_env import ACT_DOMAINS
from coalm_env.errors import CoalmError
from coalm_env.parsing import FORMATS, format_calls
from coalm_env.specs import ENV_SPECS
from coalm_env.types import Message, ToolCall
from experiments.benchmarks import save_results

#: every registered id (a new one is fuzzed without being listed here), with its make() options; the
#: act-level mode of the task-oriented ids as ``ID@acts`` (``interface="acts"``, act-shaped hostile actions)
ENVS = {env_id: {"user": "agenda"} if env_id == "coalm/Travel-v0" else {} for env_id in sorted(ENV_SPECS)}
ENVS.update({f"{env_id}@acts": {"user": "agenda", "interface": "acts"} for env_id in sorted(ENV_SPECS)
             if ENV_SPECS[env_id].domain in ACT_DOMAINS})
SLOW_S = 2.0
#: the kinds of :func:`fuzz_action` that cost the most per step (bombs, shared/deep structures, many
#: calls, long texts); ``heavy`` is the probability of drawing one of them
HEAVY_KINDS = (0, 5, 6, 7, 8)
LIGHT_KINDS = tuple(k for k in range(12) if k not in HEAVY_KINDS)
CI = {"actions": 100_000, "heavy": 0.005, "hostile_user": 0.2, "workers": 2}

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


def fuzz_action(rng: random.Random, tools: list[str], heavy: float | None = None) -> Any:
    """One seeded hostile action (see the module docstring); ``heavy``: the probability of a heavy kind
    (``None``: every kind equally likely)."""
    names = tools + ["", "end_conversation", "__import__", "os.system", "x" * 300]
    calls = [ToolCall(rng.choice(names), {rng.choice(["area", "a", "name", "file_name", "x"]): _junk_value(rng)
                                          for _ in range(rng.randint(0, 3))}) for _ in range(rng.randint(1, 3))]
    if heavy is None:
        kind = rng.randrange(12)
    else:
        kind = rng.choice(HEAVY_KINDS) if rng.random() < heavy else rng.choice(LIGHT_KINDS)
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


_INTENTS = ["Inform", "Recommend", "Select", "Request", "NoOffer", "OfferBook", "OfferBooked", "Book", "NoBook",
            "Reqmore", "Welcome", "Greet", "Bye", "inform", "", "Hack", "__class__"]
_DOMAINS = ["restaurant", "hotel", "attraction", "train", "taxi", "general", "Restaurant", "", "bfcl", "x" * 300]
_SLOTS = ["name", "trainID", "food", "area", "phone", "reference", "Ref", "people", "day", "leaveAt", "car type",
          "", "choice", "bogus"]


def _act_value(rng: random.Random) -> Any:
    return rng.choice(["italian", "centre", "?", "TR1234", "", "x" * rng.choice([10, 257, 5_000]), 10 ** 5000, 2,
                       1e308 * 10, None, [], {"a": 1}, True, "\ud800", "the orchid trattoria"])


def fuzz_act_action(rng: random.Random, tools: list[str], heavy: float | None = None) -> Any:
    """One seeded hostile act-level action: acts with random (often unknown) intents, domains, slots and
    values of every type, wrong arities, too many acts, calls with junk, JSON text (whole or cut), or any
    text-level hostile action of :func:`fuzz_action`."""
    kind = rng.randrange(8)
    if kind <= 1:
        return fuzz_action(rng, tools, heavy)
    acts = [[rng.choice(_INTENTS), rng.choice(_DOMAINS), rng.choice(_SLOTS), _act_value(rng)][:rng.choice([4, 4, 4, 3, 2, 1, 5])]
            for _ in range(rng.randint(0, 4))]
    calls = [{"name": rng.choice(tools + ["", "end_conversation", "x" * 300]),
              "arguments": {rng.choice(["area", "name", "people"]): _act_value(rng)}} for _ in range(rng.randint(0, 2))]
    action: Any = {"acts": acts, "calls": calls}
    if kind == 2:
        action["end"] = rng.choice([True, False, "yes", 1])
    elif kind == 3:
        action = rng.choice([acts, {"acts": "Inform"}, {"acts": [None]}, {"calls": {"a": 1}}, {"oops": 1},
                             {"acts": [acts[0] if acts else []] * rng.choice([33, 1_000])}])
    elif kind == 4:
        try:
            text = json.dumps(action)
        except (TypeError, ValueError):
            text = "{\"acts\": []}"
        return text[:rng.randint(0, len(text))] if rng.random() < 0.5 else text
    elif kind == 5:
        action["acts"] = [{"intent": rng.choice(_INTENTS), "domain": rng.choice(_DOMAINS), "slot": rng.choice(_SLOTS),
                           "value": _act_value(rng)}]
    elif kind == 6:
        action = {"acts": [["Inform", "restaurant", "name", _nested(rng.randint(10, 5_000))]]}
    return action


def _strict_json(text: str) -> bool:
    try:
        json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        return True
    except ValueError:
        return False


_TEN_MB = "word " * 2_000_000


class HostileUser:
    """Wraps a user simulator: with probability ``rate`` (seeded) a turn it returns is replaced by a
    hostile one. ``bad_turns`` counts, per episode, the turns that are not a well-formed UserTurn."""

    def __init__(self, inner: Any, rate: float, seed: str, acts: bool = False):
        self.inner, self.rate, self.rng, self.acts = inner, rate, random.Random(seed), acts
        self.bad_turns = 0
        self.name = getattr(inner, "name", "hostile")

    def __getattr__(self, item: str) -> Any:  # capabilities, persona specs...: those of the wrapped user
        return getattr(self.inner, item)

    def _spoil(self, turn: Any) -> Any:
        import dataclasses

        from coalm_env.types import UserTurn

        if self.rng.random() >= self.rate or not isinstance(turn, UserTurn):
            return turn
        if self.acts and self.rng.random() < 0.5:  # act level: the acts themselves are junk
            return dataclasses.replace(turn, acts=self.rng.choice([None, 5, [None], [[10**5000] * 4], [["x" * 10**6]],
                                                                  [[1, 2, 3, 4, 5]], [["inform", "", "", ""]] * 500]))
        roll, text = self.rng.randrange(8), turn.text
        if roll == 0 and self.rng.random() < 0.05:
            text = _TEN_MB  # 10 MB: truncated with a mark
        elif roll <= 1:
            text = "".join(self.rng.choice("\x00\x1b\ud800\udfff\u202e\ufeff{}<>\"'\\ \n") for _ in
                           range(self.rng.randint(0, 2_000)))
        elif roll == 2:
            text = ""
        elif roll == 3:
            text = "<tool_call>{\"name\": \"end_conversation\"}</tool_call> " * self.rng.randint(1, 500)
        elif roll == 4:
            self.bad_turns += 1
            return dataclasses.replace(turn, text=self.rng.choice([None, 5, b"bytes", ["x"], {"a": 1}, 10**5000]))
        elif roll == 5:
            self.bad_turns += 1
            return dataclasses.replace(turn, meta=self.rng.choice([None, [], "meta"]))
        elif roll == 6:
            text = f"{text} {10 ** self.rng.randint(10, 4_000)}"
        else:
            text = text * self.rng.randint(1, 200)
        return dataclasses.replace(turn, text=text)

    def begin(self, requests: list[Any]) -> list[Any]:
        return [self._spoil(t) for t in self.inner.begin(requests)]

    def respond(self, requests: list[Any]) -> list[Any]:
        return [self._spoil(t) for t in self.inner.respond(requests)]


def fuzz_env(env_id: str, actions: int, seed: int, max_steps: int = 12, heavy: float | None = None,
             hostile_user: float = 0.0, shard: int = 0) -> dict[str, Any]:
    """Fuzz one env with ``actions`` actions; counts of every failure the issue names."""
    import gymnasium as gym

    tag = f"{env_id}:{seed}" if shard == 0 else f"{env_id}:{seed}:{shard}"
    at_acts = env_id.endswith("@acts")
    draw = fuzz_act_action if at_acts else fuzz_action
    rng = random.Random(tag)
    cpu_start = time.process_time()
    try:
        env = gym.make(env_id.split("@")[0], **ENVS.get(env_id, {})).unwrapped
        env.reset(seed=seed)
        env.step("Hello! How can I help?")  # warm-up (lazy imports, caches): not counted
        env.abort()
    except CoalmError as exc:  # data not present: reported, not fuzzed
        return {"env_id": env_id, "skipped": str(exc)[:200]}
    user = None
    if hostile_user > 0:
        user = env.user = HostileUser(env.user, hostile_user, "user:" + tag, acts=at_acts)
    row = {"env_id": env_id, "actions": 0, "episodes": 0, "escapes": 0, "internal_errors": 0,
           "user_bugs_recorded": 0, "obs_outside_space": 0, "not_strict_json": 0, "slow_steps": 0,
           "max_step_s": 0.0, "total_step_s": 0.0}
    examples: list[str] = []
    episode = 0
    base = seed * 1_000_003 + shard * 100_000_007
    while row["actions"] < actions:
        if user is not None:
            user.bad_turns = 0
        try:
            env.reset(seed=base + episode)
        except Exception:
            row["escapes"] += 1
            examples.append("reset: " + traceback.format_exc(limit=2)[-300:])
            episode += 1
            continue
        row["episodes"] += 1
        episode += 1
        tools = [t["function"]["name"] for t in env.backend.tool_schemas()] if env.backend is not None else []
        for _ in range(max_steps):
            action = draw(rng, tools, heavy)
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
        errors = [e for e in traj.errors if e.get("where") != "oracle"]
        user_bug = (user is not None and user.bad_turns and errors and all(
            e.get("where") == "user" and "user simulator returned" in str(e.get("error")) for e in errors))
        if user_bug:
            row["user_bugs_recorded"] += 1
        elif errors or (traj.stop_reason and traj.stop_reason.value == "internal_error"):
            row["internal_errors"] += 1
            examples.append("internal: " + str(traj.errors[-1].get("error") if traj.errors else "")[:300])
        try:
            ok = _strict_json(traj.to_json())
        except Exception:
            ok = False
        row["not_strict_json"] += not ok
    row["mean_step_ms"] = round(1000 * row.pop("total_step_s") / max(1, row["actions"]), 2)
    row["max_step_s"] = round(row["max_step_s"], 3)
    row["cpu_s"] = round(time.process_time() - cpu_start, 1)  # the whole shard, env construction included
    row["examples"] = examples[:5]
    return row


def _task(args: tuple) -> dict[str, Any]:
    return fuzz_env(*args)


def _merge(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One row per env from its shards."""
    if any("skipped" in r for r in rows):
        return rows[0]
    out = {"env_id": rows[0]["env_id"]}
    for key in ("actions", "episodes", "escapes", "internal_errors", "user_bugs_recorded", "obs_outside_space",
                "not_strict_json", "slow_steps"):
        out[key] = sum(r[key] for r in rows)
    out["max_step_s"] = max(r["max_step_s"] for r in rows)
    out["cpu_s"] = round(sum(r["cpu_s"] for r in rows), 1)
    out["mean_step_ms"] = round(sum(r["mean_step_ms"] * r["actions"] for r in rows) / max(1, out["actions"]), 2)
    out["examples"] = [e for r in rows for e in r["examples"]][:5]
    return out


def run(actions: int, seed: int, env_ids: list[str], heavy: float | None = None, hostile_user: float = 0.0,
        workers: int = 1) -> list[dict[str, Any]]:
    """Every env fuzzed with ``ceil(actions / len(env_ids))`` actions, each in ``workers`` seeded shards run
    by ``workers`` processes; one merged row per env. The same arguments give the same counts."""
    per_env = -(-actions // len(env_ids))  # rounded up: at least ``actions`` in all
    shards = max(1, workers)
    tasks = [(env_id, per_env // shards + (1 if k < per_env % shards else 0), seed, 12, heavy, hostile_user, k)
             for env_id in env_ids for k in range(shards)]
    if workers <= 1:
        results = [_task(t) for t in tasks]
    else:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_task, tasks, chunksize=1)
    return [_merge([r for r, t in zip(results, tasks) if t[0] == env_id]) for env_id in env_ids]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=20_000, help="fuzzed actions in total, split over the envs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--envs", default=",".join(ENVS))
    parser.add_argument("--heavy", type=float, default=None, help="probability of a heavy kind (default: 5/12)")
    parser.add_argument("--hostile-user", type=float, default=0.0, help="probability of a hostile user turn")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--ci", action="store_true", help="the test suite's settings: " + json.dumps(CI))
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.ci:
        args.actions, args.heavy, args.hostile_user, args.workers = (CI["actions"], CI["heavy"], CI["hostile_user"],
                                                                     CI["workers"])
    env_ids = [e for e in args.envs.split(",") if e]
    start = time.perf_counter()
    rows = run(args.actions, args.seed, env_ids, args.heavy, args.hostile_user, args.workers)
    shown = [{k: v for k, v in r.items() if k != "examples"} for r in rows]
    print(tabulate(shown, headers="keys"))
    results = {
        "benchmark": "fuzz", "date": dt.date.today().isoformat(), "seed": args.seed,
        "settings": {"actions": args.actions, "heavy": args.heavy, "hostile_user": args.hostile_user,
                     "workers": args.workers, "ci": args.ci},
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "wall_s": round(time.perf_counter() - start, 1),
        "cpu_s": round(sum(r.get("cpu_s", 0.0) for r in rows), 1), "rows": rows,
    }
    print(f"wall {results['wall_s']} s, CPU {results['cpu_s']} s in the workers "
          f"(load average {results['machine']['load_avg']})")
    save_results(results, args.out, "fuzz-ci.json" if args.ci else "fuzz.json")
    return results


if __name__ == "__main__":
    main()
