"""Async rollouts for generation servers: one coroutine per episode, at most ``concurrency`` at once.

Where the lock-step runner (:mod:`coalm_env.rollout`) batches every live episode into one policy call
per tick, this runner lets each episode go at its own pace: an episode awaits its own agent
generation (``policy.aact(observation, info)``, e.g. :meth:`policies.llm_base.LLMPolicy.aact` ->
``Generator.agenerate``) while the others go on, so an OpenAI-compatible server (vLLM, transformers
serve) sees a steady stream of requests and batches them itself (continuous batching). It is the
runner for servers; for in-process batched ``generate`` (hf, vllm offline) the lock-step runner fits.

- Policies without ``aact`` are called synchronously (``policy.act([obs], [info])``) in the event loop,
  which is right for the fast CPU policies (oracle, rule, random) and keeps them single-threaded.
- Users: ``auser.abegin/arespond([request])`` when the user has them; an LLM user (one with a
  ``generator``) runs its sync call in a thread; other users (agenda) are called directly.
- Same config, same results: episode ``i`` gets the seed and the scenario the lock-step runner gives it
  (:func:`~coalm_env.rollout.episode_seed`, :func:`~coalm_env.rollout.episode_plan`), LLM policies
  derive their request seeds from ``(episode, step)``, and ``trajectories.jsonl`` is written in
  episode order; so with deterministic generation the trajectories equal the lock-step runner's.
- Errors as in the lock-step runner: a policy that raises ends its episode ``errored`` with the
  exception recorded; a user's exception is recorded by the env; an env call that raises anyway ends
  that episode ``internal_error``; ``max_episode_s`` ends an episode ``errored`` between steps; the
  other episodes go on and ``summary.json`` is written.

Use :func:`run_rollouts_async` (sync wrapper) or ``await arun_rollouts(config)``; the CLI:
``coalm-env rollout ENV --policy ... --runner async --concurrency 64``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from coalm_env.protocols import UserRequest, oracle_hints_for
from coalm_env.rollout import (
    RolloutConfig, RolloutResult, _abort, _broken, _guarded, _name, _timeout, _timing, _unplayable, _write_outputs,
    _Writer, check_pairing, episode_plan, episode_seed, summarize,
)

__all__ = ["arun_rollouts", "run_rollouts_async"]


class _AsyncRunner:
    def __init__(self, config: RolloutConfig, concurrency: int):
        from coalm_env.registry import POLICIES
        from coalm_env.resolve import make_env

        self.config = config
        self.policy = POLICIES.make(config.policy)
        self.privileged = bool(getattr(self.policy, "privileged", False))
        self.hints = oracle_hints_for(self.policy)  # only the hints the policy reads are worked out
        self.policy_name = _name(config.policy)
        c = config
        faults = {"faults": c.faults} if c.faults else {}
        n = max(1, min(concurrency, c.episodes))
        first = make_env(c.env_id, user=c.user, oracle_hints=self.hints, split=c.split, **faults, **c.env_options)
        shared = dict(user=first.user, oracle_hints=self.hints, split=c.split, **faults, **c.env_options)
        self.envs = [first] + [make_env(c.env_id, **shared) for _ in range(n - 1)]
        for env in self.envs:
            env.user_spec = first.user_spec
        self.user = first.user
        self.user_name = str(first.user_spec)
        self.plan = episode_plan(first.domain, c.split, c.episodes, c.seed, c.scenario_ids)
        check_pairing(first, self.policy, self.policy_name, self.plan[0]["scenario_id"])
        self.trajectories: list[Any] = [None] * c.episodes
        self.clock = {"policy_s": 0.0, "user_s": 0.0}  # summed over episodes (they overlap in time)

    async def run(self, writer: _Writer) -> None:
        self.writer = writer
        todo = iter(range(self.config.episodes))
        await asyncio.gather(*(self._worker(env, todo) for env in self.envs))

    async def _worker(self, env: Any, todo: Any) -> None:
        while (i := next(todo, None)) is not None:  # one env per worker; episodes taken in order
            await self._episode(env, i)

    async def _episode(self, env: Any, i: int) -> None:
        seed, started = episode_seed(self.config.seed, i), time.perf_counter()
        try:
            request = env.begin_episode(seed=seed, options=self.plan[i])
        except Exception as exc:  # a scenario that cannot be played: this episode only
            self._done(i, _unplayable(env, self.config, self.plan[i], seed, exc))
            return
        try:
            traj = await self._play(env, i, request, started)
        except Exception as exc:  # a bug outside the env's own guards: this episode only
            traj = _broken(env, "runner", exc)[4]["trajectory"]
        self._done(i, traj)

    def _done(self, i: int, traj: Any) -> None:
        traj.policy = self.policy_name
        traj.extra["episode"] = i
        self.trajectories[i] = traj
        self.writer.add(i, traj)

    async def _play(self, env: Any, i: int, request: UserRequest, started: float) -> Any:
        limit = self.config.max_episode_s
        outcome = _guarded(env, "user", env.apply_user_turn, await self._user("begin", request), first=True)
        while True:
            if isinstance(outcome, UserRequest):
                outcome = _guarded(env, "user", env.apply_user_turn, await self._user("respond", outcome), first=False)
                continue
            obs, _reward, terminated, truncated, info = outcome
            if terminated or truncated:
                break
            if limit is not None and time.perf_counter() - started > limit:
                outcome = _timeout(env, limit)
                continue
            info = dict(info or {})
            info["episode"] = i
            if self.privileged:
                info["scenario"] = env.scenario
            try:
                action = await self._act(obs, info)
            except Exception as exc:
                outcome = _abort(env, exc)
                continue
            outcome = _guarded(env, "env", env.agent_step, action)
        return info["trajectory"]

    async def _act(self, obs: Any, info: dict[str, Any]) -> Any:
        start = time.perf_counter()
        try:
            if hasattr(self.policy, "aact"):
                return await self.policy.aact(obs, info)
            actions = list(self.policy.act([obs], [info]))
            if len(actions) != 1:
                from coalm_env.errors import CoalmError

                raise CoalmError(f"policy {self.policy_name!r} returned {len(actions)} actions for 1 episode")
            return actions[0]
        finally:
            self.clock["policy_s"] += time.perf_counter() - start

    async def _user(self, method: str, request: UserRequest) -> Any:
        start = time.perf_counter()
        try:
            if hasattr(self.user, "a" + method):
                turns = await getattr(self.user, "a" + method)([request])
            elif getattr(self.user, "generator", None) is not None:
                turns = await asyncio.to_thread(getattr(self.user, method), [request])
            else:
                turns = getattr(self.user, method)([request])
            turns = list(turns)
            if len(turns) != 1:
                from coalm_env.errors import CoalmError

                raise CoalmError(f"user {self.user_name!r} returned {len(turns)} turns for 1 request")
            return turns[0]
        except Exception as exc:  # the env records it (ERRORED for LLMError, else internal)
            return exc
        finally:
            self.clock["user_s"] += time.perf_counter() - start


async def arun_rollouts(config: RolloutConfig, *, concurrency: int | None = None) -> RolloutResult:
    """The async runner (see the module docstring); ``concurrency`` defaults to ``config.batch_size``."""
    start = time.perf_counter()
    runner = _AsyncRunner(config, concurrency or config.batch_size)
    path = Path(config.out_dir) if config.out_dir is not None else None
    writer = _Writer(path)
    try:
        await runner.run(writer)
    finally:
        writer.close()
    trajectories = [t for t in runner.trajectories if t is not None]
    summary = summarize(trajectories, env_id=config.env_id, policy=runner.policy_name, user=runner.user_name,
                        seed=config.seed, split=config.split, scenario_ids=config.scenario_ids,
                        options=config.env_options)
    timing = _timing(time.perf_counter() - start, trajectories, runner.clock)
    if path is not None:
        _write_outputs(path, summary, config, timing)
    return RolloutResult(summary, trajectories, timing, config, path)


def run_rollouts_async(config: RolloutConfig, *, concurrency: int | None = None) -> RolloutResult:
    """:func:`arun_rollouts` from sync code (starts an event loop)."""
    return asyncio.run(arun_rollouts(config, concurrency=concurrency))
