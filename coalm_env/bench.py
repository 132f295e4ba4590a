"""Speed of the env loops, in one table (``coalm-env bench``; issue 16, "Speed").

Sections:

1. **Loops**: MultiWOZ rule/oracle x agenda, Travel oracle/rule x agenda, BFCL and API-Bank oracle
   replay, run interleaved (``rounds`` rounds, every loop once per round, so machine load spreads over
   all of them) through :func:`coalm_env.rollout.run_rollouts`: success, episodes/s (wall),
   episodes per CPU second (``time.process_time`` of this process: steadier than wall time on a loaded
   machine), wall ms per agent step for the whole loop, for the env with its user simulator (loop
   minus policy time) and for the env alone (minus policy and user time), and the ratio of episodes/s
   to a reference: ConvLab-2's rule system x agenda user for the task-oriented loops, tau-bench's
   env-only rate for BFCL/API-Bank (:data:`REFERENCES`: fixed figures with their machine and date, not re-run
   here; ``experiments/benchmarks/convlab2_side_by_side.py`` runs ConvLab-2's loop beside ours).
2. **Flatness**: Travel with a stalling agent (a search, then a reply that moves nothing) against an
   agenda user with endless patience, up to ``turns`` turns: env ms per step (wall and CPU; the last
   step of a dialogue includes its scoring) and the rule policy's ms per call (incremental state and, for contrast, a state rebuilt from every message) by turn index.
3. **Reset**: Travel ``reset()`` ms against ``db_size`` (the copy-on-write store keeps it flat).
4. **Memory**: RSS of ``concurrent`` Travel episodes held open at once (reset plus one exchange each),
   measured in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["LOOPS", "LOOP_OPTIONS", "REFERENCES", "BenchConfig", "run_bench", "format_report"]

#: (name, env id, policy, user or None for the domain's default, reference key)
LOOPS = (
    ("multiwoz_rule_agenda", "coalm/MultiWOZ-v0", "rule", "agenda", "convlab2"),
    ("multiwoz_oracle_agenda", "coalm/MultiWOZ-v0", "oracle", "agenda", "convlab2"),
    ("travel_oracle_agenda", "coalm/Travel-v0", "oracle", "agenda", "convlab2"),
    ("travel_rule_agenda", "coalm/Travel-v0", "rule", "agenda", "convlab2"),
    ("bfcl_oracle", "coalm/BFCL-MultiTurn-v0", "oracle", None, "tau_bench"),
    ("apibank_oracle", "coalm/APIBank-v0", "oracle", None, "tau_bench"),
    # the act-level mode (interface="acts", coalm_env.acts_env): ConvLab-2's own setting, no text either side
    ("multiwoz_rule_acts", "coalm/MultiWOZ-v0", "rule_acts", "agenda", "convlab2"),
    ("travel_rule_acts", "coalm/Travel-v0", "rule_acts", "agenda", "convlab2"),
)

#: env options of a loop beyond its id (the act-level loops run with ``interface="acts"``)
LOOP_OPTIONS: dict[str, dict[str, Any]] = {"multiwoz_rule_acts": {"interface": "acts"},
                                           "travel_rule_acts": {"interface": "acts"}}

#: the figures the loops are compared with. ConvLab-2: measured by experiments/benchmarks/convlab2_side_by_side.py
#: (its loop run beside ours) on a 2-core AMD EPYC (AVX2), 2026-12-04 02:10-02:16 UTC, 2 rounds x 1000 dialogues;
#: on the AVX-512 EPYC of 2026-12-02 it ran 32.7/s, and the issue's own figure, from an earlier machine, was 14.7 at
#: 0.972. Both references come from the same box; rerun the scripts for like-for-like ratios on another machine.
#: tau-bench: measured by experiments/benchmarks/taubench_side_by_side.py (its retail and airline envs, every test
#: task's gold actions replayed through env.step with a no-model user, its own reward) on a 2-core AMD EPYC (AVX2),
#: 2026-12-04 01:58-02:05 UTC, 3 rounds beside our loops; the issue's own figure, from an earlier machine, was 2.5.
REFERENCES = {
    "convlab2": {"episodes_per_s": 15.5, "success": 0.977,
                 "what": "ConvLab-2 rule system x agenda user, act level, measured side by side on a 2-core AMD EPYC "
                         "(AVX2) 2026-12-04 (experiments/results/convlab2_side_by_side.json)"},
    "tau_bench": {"episodes_per_s": 1.51, "success": 1.0,
                  "what": "tau-bench env-only rate (retail + airline test tasks, gold actions), measured side by side "
                          "on a 2-core AMD EPYC 2026-12-04 (experiments/results/taubench_side_by_side.json)"},
}


@dataclass
class BenchConfig:
    """What :func:`run_bench` measures, and how much."""

    loops: Sequence[str] = tuple(name for name, *_ in LOOPS)
    episodes: int = 100  # per loop and round
    rounds: int = 3
    turns: int = 64  # flatness: the longest dialogue
    flat_episodes: int = 2
    db_sizes: Sequence[float] = (0.25, 1.0, 4.0, 16.0)
    resets: int = 50
    concurrent: int = 1000
    seed: int = 0

    @classmethod
    def quick(cls, loops: Sequence[str] | None = None) -> BenchConfig:
        """Tiny counts: a smoke test of every section (figures mean nothing)."""
        return cls(loops=tuple(loops) if loops else cls.loops, episodes=2, rounds=1, turns=4, flat_episodes=1,
                   db_sizes=(0.25, 1.0), resets=2, concurrent=10)


def machine() -> dict[str, Any]:
    """CPU model and count, Python, platform, load average, UTC date."""
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), model)
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {"cpu": model, "cores": cores, "python": platform.python_version(), "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load": _load()}


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# -- 1. loops ------------------------------------------------------------------------------------
def _loop_spec(name: str) -> tuple:
    for spec in LOOPS:
        if spec[0] == name:
            return spec
    from coalm_env.errors import UnknownNameError
    raise UnknownNameError("bench loop", name, [s[0] for s in LOOPS])


def run_loops(cfg: BenchConfig, progress: Any = None) -> list[dict[str, Any]]:
    """Every loop of ``cfg.loops``, ``cfg.rounds`` times in turn; figures summed over the rounds."""
    from coalm_env.rollout import RolloutConfig, run_rollouts

    specs = [_loop_spec(n) for n in cfg.loops]
    for name, env_id, policy, user, _ref in specs:  # warm-up: build domains and caches, untimed
        run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=1, seed=cfg.seed + 10_000,
                                   env_options=dict(LOOP_OPTIONS.get(name, {}))), progress=False)
    totals: dict[str, dict[str, float]] = {s[0]: {} for s in specs}
    loads: list[float] = []
    for r in range(cfg.rounds):
        for name, env_id, policy, user, _ref in specs:
            cpu = time.process_time()
            res = run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=cfg.episodes, seed=cfg.seed + r,
                                             env_options=dict(LOOP_OPTIONS.get(name, {}))), progress=False)
            t = totals[name]
            for key, value in (("cpu_s", time.process_time() - cpu), ("wall_s", res.timing["wall_s"]),
                               ("policy_s", res.timing.get("policy_s", 0.0)), ("user_s", res.timing.get("user_s", 0.0)),
                               ("steps", res.timing["steps"]), ("episodes", len(res.trajectories)),
                               ("successes", sum(tr.metrics.get("success", 0.0) for tr in res.trajectories))):
                t[key] = t.get(key, 0.0) + value
            loads.append(_load()[0] if _load() else float("nan"))
            if progress:
                progress(f"round {r + 1}/{cfg.rounds} {name}: {len(res.trajectories) / res.timing['wall_s']:.1f} eps/s")
    rows = []
    for name, env_id, policy, user, ref in specs:
        t = totals[name]
        eps = t["episodes"] / t["wall_s"]
        steps = max(t["steps"], 1.0)
        rows.append({
            "loop": name, "episodes": int(t["episodes"]), "success": t["successes"] / t["episodes"],
            "eps_per_s": eps, "eps_per_cpu_s": t["episodes"] / t["cpu_s"] if t["cpu_s"] > 0 else float("nan"),
            "steps_per_episode": t["steps"] / t["episodes"],
            "loop_ms_per_step": 1000 * t["wall_s"] / steps,
            "env_user_ms_per_step": 1000 * (t["wall_s"] - t["policy_s"]) / steps,
            "env_ms_per_step": 1000 * (t["wall_s"] - t["policy_s"] - t["user_s"]) / steps,
            "reference": ref, "x_reference": eps / REFERENCES[ref]["episodes_per_s"],
            "x_reference_cpu": (t["episodes"] / t["cpu_s"]) / REFERENCES[ref]["episodes_per_s"] if t["cpu_s"] > 0
            else float("nan"),
        })
    if loads:
        for row in rows:
            row["load_mean"] = sum(loads) / len(loads)
    return rows


# -- 2. flatness ---------------------------------------------------------------------------------
_STALL_CALL = 'Action: find_restaurant(area="centre")'
_STALL_REPLY = "Let me check that for you."


def stalling_env(turns: int) -> Any:
    """The flatness benchmarks' env: Travel with an agenda user of endless patience, ``turns`` long."""
    from coalm_env.resolve import make_env

    return make_env("coalm/Travel-v0", user="agenda:patience=100000", max_turns=turns)


def stall_action(step: int) -> str:
    """The stalling agent's action at ``step``: a search, then a reply that moves nothing, in turn."""
    return _STALL_CALL if step % 2 == 0 else _STALL_REPLY


def flatness(cfg: BenchConfig) -> list[dict[str, Any]]:
    """Env ms per step and rule-policy ms per call by turn index, on dialogues ``cfg.turns`` long."""
    from policies.rule import RulePolicy, decide
    from policies.rule_state import track
    from policies.rule_values import understanding_of

    env = stalling_env(cfg.turns)
    by_turn: dict[int, dict[str, list[float]]] = {}
    for e in range(cfg.flat_episodes):
        policy = RulePolicy()
        obs, info = env.reset(seed=cfg.seed + e)
        step = 0
        while True:
            turn = int(info.get("turn", 0))
            cell = by_turn.setdefault(turn, {"env": [], "env_cpu": [], "rule": [], "rebuild": []})
            t0 = time.perf_counter()
            policy.act([obs], [info])
            t1 = time.perf_counter()
            decide(track(obs, info["vocab"].schemas, understanding_of(info)))
            t2, c2 = time.perf_counter(), time.process_time()
            obs, _r, term, trunc, info = env.step(stall_action(step))
            t3, c3 = time.perf_counter(), time.process_time()
            cell["rule"].append(t1 - t0)
            cell["rebuild"].append(t2 - t1)
            cell["env"].append(t3 - t2)
            cell["env_cpu"].append(c3 - c2)
            step += 1
            if term or trunc:
                break
    rows = []
    edges = _buckets(cfg.turns)
    for lo, hi in edges:
        cells = [by_turn[t] for t in range(lo, hi + 1) if t in by_turn]
        env_t = [x for c in cells for x in c["env"]]
        if not env_t:
            continue
        cpu_t = [x for c in cells for x in c["env_cpu"]]
        rule_t = [x for c in cells for x in c["rule"]]
        rebuild_t = [x for c in cells for x in c["rebuild"]]
        rows.append({"turns": f"{lo}-{hi}" if hi > lo else str(lo), "steps": len(env_t),
                     "env_ms_per_step": 1000 * sum(env_t) / len(env_t), "env_steps_per_s": len(env_t) / sum(env_t),
                     "env_cpu_ms_per_step": 1000 * sum(cpu_t) / len(cpu_t),
                     "rule_ms_per_call": 1000 * sum(rule_t) / len(rule_t),
                     "rule_rebuild_ms_per_call": 1000 * sum(rebuild_t) / len(rebuild_t)})
    return rows


def _buckets(turns: int) -> list[tuple[int, int]]:
    """Turn-index ranges: 0, 1, 2-3, 4-7, 8-15, ... up to ``turns``."""
    out, lo = [(0, 0), (1, 1)], 2
    while lo <= turns:
        out.append((lo, min(2 * lo - 1, turns)))
        lo *= 2
    return out


# -- 3. reset ------------------------------------------------------------------------------------
def reset_vs_db_size(cfg: BenchConfig) -> list[dict[str, Any]]:
    """Travel ``reset()`` ms (mean of ``cfg.resets`` after the first) per ``db_size``."""
    from coalm_env.resolve import make_env
    from coalm_env.rollout import episode_seed

    rows = []
    for size in cfg.db_sizes:
        t0 = time.perf_counter()
        env = make_env("coalm/Travel-v0", db_size=size)
        build = time.perf_counter() - t0
        env.reset(seed=cfg.seed)
        times = []
        for i in range(cfg.resets):
            t0 = time.perf_counter()
            env.reset(seed=episode_seed(cfg.seed, i + 1))
            times.append(time.perf_counter() - t0)
        store = getattr(env.domain, "store", None)
        rows.append({"db_size": size, "db_rows": store.size() if store is not None and hasattr(store, "size") else None,
                     "build_s": build, "reset_ms_mean": 1000 * sum(times) / len(times),
                     "reset_ms_max": 1000 * max(times)})
    return rows


# -- 4. memory -----------------------------------------------------------------------------------
def _rss_kb() -> int:
    try:
        with open("/proc/self/status", encoding="utf-8") as f:
            return next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:"))
    except (OSError, StopIteration):
        import resource
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _memory_child(n: int, seed: int) -> dict[str, Any]:
    """(Run in a fresh interpreter.) RSS before and after ``n`` Travel episodes held open at once."""
    from coalm_env.resolve import make_env
    from coalm_env.rollout import episode_seed

    first = make_env("coalm/Travel-v0", user="agenda")
    first.reset(seed=seed)
    base = _rss_kb()
    envs = [make_env("coalm/Travel-v0", user=first.user) for _ in range(n)]
    messages = 0
    for i, env in enumerate(envs):
        env.reset(seed=episode_seed(seed, i))
        env.step("Hello! What are you looking for?")
        messages += len(env.trajectory.messages)
    rss = _rss_kb()
    return {"episodes": n, "rss_mb": rss / 1024, "rss_before_mb": base / 1024,
            "per_episode_kb": (rss - base) / n, "messages_per_episode": messages / n}


def memory(cfg: BenchConfig) -> dict[str, Any]:
    code = ("import json, sys; from coalm_env.bench import _memory_child; "
            f"print(json.dumps(_memory_child({int(cfg.concurrent)}, {int(cfg.seed)})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                         cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.pathsep.join(
                             p for p in (os.getcwd(), os.environ.get("PYTHONPATH", "")) if p)})
    if out.returncode != 0:
        return {"episodes": cfg.concurrent, "error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- all -----------------------------------------------------------------------------------------
def run_bench(cfg: BenchConfig, progress: Any = None) -> dict[str, Any]:
    """Every section; a dict with ``machine``, ``config``, ``loops``, ``flatness``, ``reset``, ``memory``."""
    start = machine()
    out: dict[str, Any] = {"machine": start, "config": {k: (list(v) if isinstance(v, tuple) else v)
                                                        for k, v in vars(cfg).items()},
                           "references": REFERENCES}
    out["loops"] = run_loops(cfg, progress)
    out["flatness"] = flatness(cfg)
    out["reset"] = reset_vs_db_size(cfg)
    out["memory"] = memory(cfg)
    out["load_end"] = _load()
    return out


def format_report(result: dict[str, Any]) -> str:
    from tabulate import tabulate

    m = result["machine"]
    lines = [f"# coalm-env bench: {m['cpu']} ({m['cores']} cores), Python {m['python']}, {m['date']}, "
             f"load {m['load']} -> {result.get('load_end')}", ""]
    cols = ("loop", "episodes", "success", "eps_per_s", "eps_per_cpu_s", "steps_per_episode", "loop_ms_per_step",
            "env_user_ms_per_step", "env_ms_per_step", "reference", "x_reference", "x_reference_cpu")
    lines.append(tabulate([[r.get(c) for c in cols] for r in result["loops"]], headers=cols, floatfmt=".3g"))
    lines += ["", "references: " + "; ".join(f"{k} = {v['episodes_per_s']} eps/s ({v['what']})"
                                              for k, v in result["references"].items()), ""]
    lines.append("steps vs turn index (Travel, stalling agent, agenda user):")
    lines.append(tabulate(result["flatness"], headers="keys", floatfmt=".3g"))
    lines += ["", "reset() vs db_size (Travel):", tabulate(result["reset"], headers="keys", floatfmt=".3g"), ""]
    mem = result["memory"]
    lines.append("memory: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in mem.items()))
    return "\n".join(lines)
