"""BFCL verdict parity through the env: every episode's verdict in full, to diff two trees.

The official verdict of an episode may read the model's results and per-turn state from the episode's
own backend session instead of running its calls again (``check_entry(..., executed=session)``, issue
16). This script plays episodes through ``coalm/BFCL-MultiTurn-v0`` (all 800 entries) and
``coalm/BFCL-Procedural-v0`` (``--procedural`` tasks per split), with a scripted policy per perturbation
kind of ``experiments/bfcl_strict_eval.py`` plus the layouts of ``bfcl_scoring_parity`` (``empty``,
``truncated``: the last turn not played, the agent ends the conversation; ``reordered``) and ``text``
(the ground truth sent as Python call text, a step of at most 8 calls, as the oracle sends it). Each
episode writes one JSON line: the env's metrics, the full official verdict (``valid``, ``error_type``,
``error_message``, ``turn_passed``, ``details``) and the strict verdict given it.

    PYTHONPATH=TREE python -m experiments.benchmarks.bfcl_replay_parity --out DIR   # in each tree (a copy of this file)
    cmp DIR_BEFORE/episodes.jsonl DIR_AFTER/episodes.jsonl

In a tree whose verdict can read the session, each episode's verdict is also computed the old way
(calls run again on fresh instances) in the same process, and the script counts episodes where the two
differ (must be 0) and episodes where the session was read (``--require-replayed``: fail if none).
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from pathlib import Path

from experiments.benchmarks.bfcl_scoring_parity import EXTRA, _extra
from experiments.bfcl_strict_eval import KINDS, gold_flat, perturbed

from coalm_env.domains.bfcl.calls import render_calls
from coalm_env.domains.bfcl.checker import check_entry
from coalm_env.domains.bfcl.domain import trajectory_turns
from coalm_env.domains.bfcl.strict import strict_check
from coalm_env.types import ToolCall
from coalm_env.resolve import make_env

_TEXT_CHUNK = 8


class Scripted:
    """Plays ``turns`` (per user turn, per step, calls): the steps of the current user turn, then a reply;
    past the last scripted turn, ends the conversation when ``end_early``, else replies."""

    def __init__(self, turns, as_text: bool = False, end_early: bool = False):
        self.turns, self.as_text, self.end_early = turns, as_text, end_early
        self.done: dict[int, int] = {}

    def act(self, user_turns: int):
        i = user_turns - 1
        if i >= len(self.turns):
            return "end_conversation()" if self.end_early else "Done."
        n = self.done.get(i, 0)
        if n < len(self.turns[i]):
            self.done[i] = n + 1
            step = self.turns[i][n]
            if self.as_text:
                return render_calls(step) if step else "Nothing to call."
            return [ToolCall(c.name, dict(c.arguments)) for c in step] if step else "Nothing to call."
        return "Done."


def _layout_text(flat):
    return [[t[k:k + _TEXT_CHUNK] for k in range(0, len(t), _TEXT_CHUNK)] for t in flat]


def _cases(entry, seed: int):
    for kind in (*KINDS, *EXTRA, "text"):
        if kind in KINDS:
            turns = perturbed(kind, entry, seed)
        elif kind == "text":
            turns = _layout_text(gold_flat(entry))
        else:
            turns = _extra(kind, entry, seed)
        if turns is not None:
            yield kind, turns


def _verdict_dict(v) -> dict:
    return {"valid": v.valid, "error_type": v.error_type, "error_message": v.error_message,
            "turn_passed": v.turn_passed, "details": v.details}


def play(env, scenario_id: str, kind: str, turns) -> dict:
    policy = Scripted(turns, as_text=kind == "text", end_early=kind == "truncated")
    obs, info = env.reset(seed=0, options={"scenario_id": scenario_id})
    done = False
    while not done:
        user_turns = sum(1 for m in env.unwrapped.trajectory.messages if m.role == "user")
        obs, _r, term, trunc, info = env.step(policy.act(user_turns))
        done = term or trunc
    return info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--per-category", type=int, default=None, help="BFCL entries per category (default: all)")
    p.add_argument("--procedural", type=int, default=100, help="procedural tasks per split (train, test)")
    p.add_argument("--require-replayed", action="store_true")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    envs = [("coalm/BFCL-MultiTurn-v0", None)] + ([("coalm/BFCL-Procedural-v0", s) for s in ("train", "test")]
                                                   if args.procedural else [])
    n = differ = replayed = 0
    start, cpu = time.perf_counter(), time.process_time()
    with open(args.out / "episodes.jsonl", "w", encoding="utf-8") as fh:
        for env_id, split in envs:
            env = make_env(env_id) if split is None else make_env(env_id, split=split)
            domain = env.unwrapped.domain
            reads_session = len(inspect.signature(domain.verdict).parameters) >= 3
            if split is None:
                cats = {}
                for s in domain.scenarios("test"):
                    cats.setdefault(domain.entry(s.id).category, []).append(s.id)
                ids = [i for c in cats.values() for i in c[: args.per_category]]
            else:
                ids = [f"bfcl_procedural_{split}_{i}" for i in range(args.procedural)]
            for sid in ids:
                entry = domain.entry(sid)
                for kind, turns in _cases(entry, args.seed):
                    info = play(env, sid, kind, turns)
                    traj = info["trajectory"]
                    backend = env.unwrapped.backend
                    model_turns = trajectory_turns(traj)
                    if reads_session:
                        verdict = domain.verdict(traj, env.unwrapped.scenario, backend)
                        fresh = check_entry(entry, model_turns)
                        if _verdict_dict(verdict) != _verdict_dict(fresh) or verdict.runs != fresh.runs:
                            differ += 1
                            print(f"DIFFERENT: {sid} {kind}: {_verdict_dict(verdict)} vs {_verdict_dict(fresh)}")
                        from coalm_env.domains.bfcl.checker import _replayed, gold_run
                        replayed += _replayed(entry, gold_run(entry), model_turns, backend) is not None
                    else:
                        verdict = domain.verdict(traj, env.unwrapped.scenario)
                    line = {"env": env_id, "id": sid, "kind": kind, "stop": traj.stop_reason.value,
                            "metrics": traj.metrics, "verdict": _verdict_dict(verdict),
                            "strict": strict_check(entry, model_turns, verdict).to_dict()}
                    fh.write(json.dumps(line, default=str, sort_keys=True) + "\n")
                    n += 1
            env.close()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{n} episodes: {wall:.1f} s wall, {cpu:.1f} s CPU; verdict read from the session in {replayed}, "
          f"different from running the calls again in {differ}")
    if differ or (args.require_replayed and not replayed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
