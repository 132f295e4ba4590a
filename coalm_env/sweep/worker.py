"""What a worker process runs: chunks of one cell's episodes, through the env's public loop.

A worker builds a cell's env (with its user) and policy once and keeps them for the next chunk of the
same cell (a small per-process cache), so an LLM policy or user loads its backend once per worker.
Workers never write files: they return each episode's trajectory to the parent, which alone appends
to ``results.jsonl``.

The loop is ``env.reset(seed=..., options={"scenario_id": ...})`` then ``policy.act`` / ``env.step``
until the episode ends; a policy that raises ends its episode as ``errored`` (``env.abort``), like the
batched runner in :mod:`coalm_env.rollout` does; a ``reset()`` or ``step()`` that raises anyway (the env
turns every error it knows of into an observation) ends that episode ``internal_error``, with the
traceback, and the chunk goes on.
"""

from __future__ import annotations

import traceback
from collections import OrderedDict
from typing import Any

from coalm_env.errors import LLMError
from coalm_env.heap import quiet_collector
from coalm_env.protocols import oracle_hints_for
from coalm_env.types import StopReason, Trajectory
from coalm_env.version import __version__

__all__ = ["run_chunk", "play_episode", "build_cell", "clear_cache"]

_CACHE_SIZE = 2
_BUILT: OrderedDict[str, tuple[Any, Any, bool]] = OrderedDict()


def build_cell(cell: dict[str, Any]) -> tuple[Any, Any, bool]:
    """``(env, policy, privileged)`` of a cell (``CellSpec.identity()`` plus ``id``), cached per process."""
    key = cell["id"]
    if key in _BUILT:
        _BUILT.move_to_end(key)
        return _BUILT[key]
    from coalm_env.registry import POLICIES
    from coalm_env.resolve import make_env

    policy = POLICIES.make(cell["policy"])
    privileged = bool(getattr(policy, "privileged", False))
    env = make_env(cell["env_id"], user=cell["user"], split=cell["split"], oracle_hints=oracle_hints_for(policy),
                   **cell["options"])
    _BUILT[key] = (env, policy, privileged)
    while len(_BUILT) > _CACHE_SIZE:
        old_env = _BUILT.popitem(last=False)[1][0]
        old_env.close()
    return _BUILT[key]


def clear_cache() -> None:
    """Drop the built cells: a policy may keep per-episode state (the random policy keeps a generator per
    episode id), so a new sweep in the same process starts from fresh objects, as a new worker does."""
    while _BUILT:
        _BUILT.popitem()[1][0].close()


def _act(policy: Any, obs: Any, info: dict[str, Any], env: Any, privileged: bool) -> Any:
    info = dict(info)
    info["episode"] = info.get("episode_id")
    if privileged:
        info["scenario"] = env.scenario
    actions = list(policy.act([obs], [info]))
    if len(actions) != 1:
        raise RuntimeError(f"policy returned {len(actions)} actions for 1 episode")
    return actions[0]


def play_episode(env: Any, policy: Any, privileged: bool, scenario_id: str, split: str, seed: int) -> Any:
    """Play one episode to its end; returns the scored :class:`~coalm_env.types.Trajectory`."""
    try:
        obs, info = env.reset(seed=seed, options={"scenario_id": scenario_id, "split": split})
    except Exception as exc:  # this scenario cannot be played: this episode only
        return Trajectory(env_id=getattr(env, "env_id", ""), scenario_id=scenario_id,
                          domain=getattr(env.domain, "name", ""), split=split,
                          stop_reason=StopReason.INTERNAL_ERROR, seeds={"reset": seed}, version=__version__,
                          errors=[_error("reset", "internal", exc)])
    terminated = truncated = bool(info.get("stop_reason"))
    while not (terminated or truncated):
        try:
            action = _act(policy, obs, info, env, privileged)
        except Exception as exc:  # the policy's failure ends this episode, not the sweep
            kind = "llm" if isinstance(exc, LLMError) else "policy"
            obs, _, terminated, truncated, info = env.abort(StopReason.ERRORED, _error("policy", kind, exc))
            break
        try:
            obs, _, terminated, truncated, info = env.step(action)
        except Exception as exc:
            from coalm_env.rollout import _broken

            obs, _, terminated, truncated, info = _broken(env, "env", exc)
    return info.get("trajectory") or env.trajectory


def _error(where: str, kind: str, exc: BaseException) -> dict[str, Any]:
    return {"where": where, "kind": kind, "error": repr(exc), "traceback": "".join(traceback.format_exception(exc))}


def run_chunk(cell: dict[str, Any], episodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Play ``episodes`` (``Episode.to_dict()``) of ``cell``; one result line (without the config hash)
    per episode, in order."""
    env, policy, privileged = build_cell(cell)
    out = []
    with quiet_collector() as heap:  # the long-lived data out of the collector's walks (coalm_env.heap)
        for ep in episodes:
            traj = play_episode(env, policy, privileged, ep["scenario_id"], cell["split"], ep["reset_seed"])
            traj.policy = cell["policy"]
            traj.extra["sweep"] = {"key": ep["key"], "cell": cell["id"], "seed": ep["seed"], "trial": ep["trial"]}
            out.append({**{k: ep[k] for k in ("key", "cell", "scenario_id", "seed", "trial")},
                        "label": cell["label"], "trajectory": traj.to_dict()})
            heap.episode_done()  # settles once, after the first episode (what it loaded lazily)
    return out
