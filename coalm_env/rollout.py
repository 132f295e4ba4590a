"""Batched rollouts: many episodes in lock-step, one policy call and one user call per tick.

The runner drives :class:`~coalm_env.env.ConversationEnv` through its public pieces
(``begin_episode``, ``agent_step``, ``apply_user_turn``) so that an LLM policy or an LLM user sees the
whole batch of live episodes at once. A tick: episodes start in free slots (one ``user.begin`` call
for all of them), the policy acts once for every episode waiting on the agent (``info`` gains
``episode``, and ``scenario`` for privileged policies), and one ``user.respond`` call answers every
agent reply. Episode ``i`` gets a seed derived from ``(seed, i)`` and a scenario from a seeded order of
the split, so results do not depend on the batch size.

One bad episode never takes the run down: when a batched policy call raises, every episode of the batch
is asked again alone, so only the episodes whose own call raises end ``errored`` (an ``LLMError``, a
backend that failed after its retries, ends the whole batch ``errored`` without asking again; a policy
that returns the wrong number of actions is a contract bug and errors its batch); a user that raises is
recorded by the env per episode; an env call that raises anyway (it should not: ``step()`` turns every
error into an observation) ends that episode ``internal_error`` with the traceback; an episode past
``max_episode_s`` of wall time ends ``errored`` (checked between steps). ``summary.json`` is written
whatever the episodes did.

Outputs under ``out_dir``: ``trajectories.jsonl`` (appended as episodes end, in episode order),
``summary.json`` and ``config.json`` (deterministic for a seed), ``timing.json`` (wall times).
"""

from __future__ import annotations

import enum
import json
import os
import time
import traceback
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coalm_env.backend.faults import parse_faults
from coalm_env.resolve import make_env
from coalm_env.errors import CoalmError, ConfigError, LLMError, UnknownNameError
from coalm_env.heap import quiet_collector
from coalm_env.protocols import UserRequest, oracle_hints_for
from coalm_env.registry import POLICIES
from coalm_env.scoring import mean_metrics
from coalm_env.types import StopReason, Trajectory
from coalm_env.version import __version__

__all__ = [
    "RolloutConfig",
    "RolloutResult",
    "run_rollouts",
    "episode_seed",
    "episode_plan",
    "split_ids",
    "summarize",
    "read_trajectories",
    "check_pairing",
]

# spawn-key prefix of the scenario-order streams; episode seeds use spawn_key=(i,)
_ORDER_KEY = 0x5CE7
#: most episodes one run may ask for (every trajectory of a run is kept in memory for its result)
MAX_EPISODES = 1_000_000


def _name(obj: Any) -> str | None:
    """A plug-in as ``config.json`` records it: its spec string, else its ``name``, else its class name."""
    if obj is None or isinstance(obj, str):
        return obj
    return getattr(obj, "name", type(obj).__name__)


@dataclass
class RolloutConfig:
    """A rollout run, and the single source of the run defaults (the CLI flags read them from here).

    Args:
        env_id: a registered id (``coalm/Travel-v0``).
        policy: a policy object or a registry spec (``"oracle"``, ``"rule"``).
        user: a user simulator object or spec (``"agenda:patience=3"``); ``None``: the domain's default.
        episodes: how many episodes; episode ``i`` is seeded from ``(seed, i)``.
        seed: the run seed (>= 0).
        split: the scenario split, taken in a seeded order (ignored when ``scenario_ids`` is given).
        scenario_ids: play these scenarios in turn instead of sampling the split.
        batch_size: live episodes per tick (one policy call and one user call per tick serve them all).
        env_options: extra ConversationEnv / domain keyword options (``level=2``, ``max_turns=10``).
        out_dir: where to write trajectories.jsonl, summary.json, config.json, timing.json (None: nowhere).
        faults: backend faults at seeded rates (``{"transient": 0.05}`` or ``"transient=0.05,timeout=0.02"``;
            :mod:`coalm_env.backend.faults`), passed to every env.
        max_episode_s: wall-time bound of one episode (None: none); checked between steps, an episode
            past it ends ``errored`` (``errors[-1]["kind"] == "timeout"``).

    ``config.json`` holds :meth:`to_dict` (plug-in objects by name).
    """

    env_id: str
    policy: Any = "oracle"
    user: Any = None
    episodes: int = 10
    seed: int = 0
    split: str = "test"
    scenario_ids: list[str] | None = None
    batch_size: int = 32
    env_options: dict[str, Any] = field(default_factory=dict)
    out_dir: str | None = None
    faults: dict[str, float] | str | None = None
    max_episode_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("episodes", "batch_size", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name} must be an integer, got {value!r}")
        if self.episodes < 1 or self.batch_size < 1:
            raise ConfigError(f"episodes and batch_size must be >= 1, got {self.episodes} and {self.batch_size}")
        if self.episodes > MAX_EPISODES:
            raise ConfigError(f"episodes must be at most {MAX_EPISODES:,}, got {self.episodes:,}",
                              hint="split a bigger run into several runs (or a sweep) with different seeds")
        if self.max_episode_s is not None and not (isinstance(self.max_episode_s, (int, float))
                                                   and self.max_episode_s > 0):
            raise ConfigError(f"max_episode_s must be a positive number of seconds, got {self.max_episode_s!r}")
        if self.seed < 0:
            raise ConfigError(f"seed must be >= 0, got {self.seed}")
        self.scenario_ids = list(self.scenario_ids) if self.scenario_ids else None
        self.env_options = dict(self.env_options or {})
        self.out_dir = str(self.out_dir) if self.out_dir is not None else None
        self.faults = parse_faults(self.faults) or None
        reserved = {"user", "split", "env_id", "oracle_hints", "domain", "faults"} & set(self.env_options)
        if reserved:
            raise ConfigError(f"env options {sorted(reserved)} are set by the runner", hint="use its arguments")

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of field ``name`` (the CLI flags use these)."""
        f = cls.__dataclass_fields__[name]
        return f.default_factory() if f.default_factory is not MISSING else f.default  # type: ignore[misc]

    def to_dict(self) -> dict[str, Any]:
        """The config as ``config.json`` holds it (policy and user by name)."""
        out = {f: getattr(self, f) for f in self.__dataclass_fields__}
        out["policy"], out["user"] = _name(self.policy), _name(self.user)
        return json.loads(json.dumps(out, default=str))


@dataclass
class RolloutResult:
    """What :func:`run_rollouts` returns: the summary, every trajectory (episode order) and timings."""

    summary: dict[str, Any]
    trajectories: list[Trajectory]
    timing: dict[str, float]
    config: RolloutConfig
    out_dir: Path | None = None


def episode_seed(seed: int, index: int) -> int:
    """The reset seed of episode ``index`` of a run seeded ``seed`` (a SeedSequence child)."""
    return int(np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(1, np.uint64)[0])


def split_ids(domain: Any, split: str) -> list[str]:
    """The scenario ids of ``split``: ``domain.scenario_ids(split)`` where the domain offers it (generated
    splits list their ids without building a scenario), else the ids of ``domain.scenarios(split)``."""
    lazy = getattr(domain, "scenario_ids", None)
    return list(lazy(split)) if lazy is not None else [s.id for s in domain.scenarios(split)]


def episode_plan(domain: Any, split: str, episodes: int, seed: int, scenario_ids: Sequence[str] | None = None):
    """Reset options for each episode: the given ids in turn, else the split in seeded orders
    (a fresh permutation for each pass over the split). A lazy sequence: entry ``i`` is computed when
    asked for, so a long run starts at once."""
    if scenario_ids:
        for sid in scenario_ids:
            domain.get_scenario(sid)  # fail before the run starts
        return _Plan(episodes, [{"scenario_id": sid} for sid in scenario_ids], None, seed)
    if split not in domain.splits:
        raise UnknownNameError("split", split, domain.splits)
    pool = split_ids(domain, split)
    if not pool:
        raise ConfigError(f"domain {domain.name!r} has no scenarios in split {split!r}")
    return _Plan(episodes, [{"scenario_id": sid, "split": split} for sid in pool], split, seed)


class _Plan(Sequence):
    """``episode_plan``'s result: ``len`` episodes over ``pool``, in turn (``split`` None) or in a seeded
    permutation per pass over the pool; the permutation of the pass last asked for is cached."""

    def __init__(self, length: int, pool: list[dict[str, Any]], split: str | None, seed: int):
        self.length, self.pool, self.shuffled, self.seed = length, pool, split is not None, seed
        self._cycle: tuple[int, Any] = (-1, None)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.length))]
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(index)
        cycle, j = divmod(index, len(self.pool))
        if not self.shuffled:
            return dict(self.pool[j])
        if self._cycle[0] != cycle:
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(_ORDER_KEY, cycle)))
            self._cycle = (cycle, rng.permutation(len(self.pool)))
        return dict(self.pool[int(self._cycle[1][j])])


def summarize(trajectories: Sequence[Trajectory], **fields: Any) -> dict[str, Any]:
    """Aggregate trajectories: success rate, mean of every metric, stop-reason counts, error count."""
    metrics = mean_metrics(t.metrics for t in trajectories)
    stops = Counter(t.stop_reason.value if t.stop_reason else "none" for t in trajectories)
    return {
        "env_id": fields.pop("env_id", trajectories[0].env_id if trajectories else None),
        "episodes": len(trajectories),
        "success_rate": metrics.get("success", 0.0),
        "metrics": metrics,
        "stop_reasons": dict(sorted(stops.items())),
        "episodes_with_errors": sum(1 for t in trajectories if t.errors),
        "version": __version__,
        **_llm_totals(trajectories),
        **fields,
    }


def _llm_totals(trajectories: Sequence[Trajectory]) -> dict[str, Any]:
    """``{"llm": totals}`` (calls, tokens, latency, cost per role) when any episode has a generation ledger."""
    ledgers = [t.extra["ledger"] for t in trajectories if t.extra.get("ledger")]
    if not ledgers:
        return {}
    from coalm_env.llm.ledger import sum_ledgers

    return {"llm": sum_ledgers(ledgers)}


class _Writer:
    """Appends trajectories to ``trajectories.jsonl`` in episode order, buffering early finishers.
    With ``done`` (a resumed run) it appends after the finished episodes and skips their indices."""

    def __init__(self, out_dir: Path | None, done: Collection[int] = ()):
        self.handle = None
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            self.handle = open(out_dir / "trajectories.jsonl", "a" if done else "w", encoding="utf-8")
        self.pending: dict[int, Trajectory] = {}
        self.done = set(done)
        self.next = 0
        self._skip_done()

    def _skip_done(self) -> None:
        while self.next in self.done:
            self.next += 1

    def add(self, index: int, trajectory: Trajectory) -> None:
        self.pending[index] = trajectory
        while self.next in self.pending:
            traj = self.pending.pop(self.next)
            if self.handle is not None:
                self.handle.write(traj.to_json() + "\n")
                self.handle.flush()
                os.fsync(self.handle.fileno())  # a line, once written, survives a crash (as the sweep's)
            self.next += 1
            self._skip_done()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


class _Phase(enum.StrEnum):
    """What a slot waits for. ``BEGIN`` and ``RESPOND`` are also the names of the user methods called."""

    IDLE = "idle"  # no episode
    BEGIN = "begin"  # the user opens the episode
    ACT = "act"  # the policy acts
    RESPOND = "respond"  # the user answers an agent reply


@dataclass
class _Slot:
    env: Any
    episode: int = -1
    phase: _Phase = _Phase.IDLE
    obs: Any = None
    info: dict[str, Any] | None = None
    request: UserRequest | None = None
    started: float = 0.0


class _CountMismatch(CoalmError):
    """A policy returned another number of actions than it was asked for (a contract bug of the policy)."""


@dataclass
class _Failed:
    exc: BaseException


class _Runner:
    def __init__(self, config: RolloutConfig, policy: Any, user: Any, progress: bool):
        self.config = config
        self.policy = POLICIES.make(policy)
        self.privileged = bool(getattr(self.policy, "privileged", False))
        self.hints = oracle_hints_for(self.policy)  # only the hints the policy reads are worked out
        self.policy_name = _name(policy)
        self.slots = self._build_slots(user, min(config.batch_size, config.episodes))
        self.user = self.slots[0].env.user
        self.user_name = str(self.slots[0].env.user_spec)
        domain = self.slots[0].env.domain
        self.plan = episode_plan(domain, config.split, config.episodes, config.seed, config.scenario_ids)
        check_pairing(self.slots[0].env, self.policy, self.policy_name, self.plan[0]["scenario_id"])
        self.trajectories: list[Trajectory | None] = [None] * config.episodes
        self.clock = {"policy_s": 0.0, "user_s": 0.0}
        self.progress = progress
        self.heap: Any = None  # the run's quiet_collector (coalm_env.heap), set by run()

    def _build_slots(self, user: Any, n: int) -> list[_Slot]:
        c = self.config
        faults = {"faults": c.faults} if c.faults else {}
        first = make_env(c.env_id, user=user, oracle_hints=self.hints, split=c.split, **faults, **c.env_options)
        shared = dict(user=first.user, oracle_hints=self.hints, split=c.split, **faults, **c.env_options)
        envs = [first] + [make_env(c.env_id, **shared) for _ in range(n - 1)]
        for env in envs:  # one simulator object serves every slot, so one call answers the batch
            env.user_spec = first.user_spec
        return [_Slot(env) for env in envs]

    def run(self, writer: _Writer) -> None:
        from tqdm.auto import tqdm

        self.writer = writer
        done = [i for i, t in enumerate(self.trajectories) if t is not None]  # resumed: already finished
        self.bar = tqdm(total=self.config.episodes, initial=len(done), disable=not self.progress,
                        desc=self.config.env_id, unit="ep")
        todo = iter(i for i in range(self.config.episodes) if self.trajectories[i] is None)
        try:
            # the datasets, indexes and caches out of the cyclic collector's walks (coalm_env.heap); again once the
            # first episode is over, when what loads lazily (the understanding) is in
            with quiet_collector() as self.heap:
                while self._start(todo):
                    self._user_phase(_Phase.BEGIN)
                    self._policy_phase()
                    self._user_phase(_Phase.RESPOND)
        finally:
            self.bar.close()

    def _start(self, todo: Any) -> bool:
        for slot in self.slots:
            while slot.phase is _Phase.IDLE and (i := next(todo, None)) is not None:
                seed = episode_seed(self.config.seed, i)
                slot.episode, slot.phase, slot.started = i, _Phase.BEGIN, time.perf_counter()
                try:
                    slot.request = slot.env.begin_episode(seed=seed, options=self.plan[i])
                except Exception as exc:  # a scenario that cannot be played: this episode only
                    self._finish(slot, _unplayable(slot.env, self.config, self.plan[i], seed, exc))
        return any(s.phase is not _Phase.IDLE for s in self.slots)

    def _user_phase(self, phase: _Phase) -> None:
        waiting = [s for s in self.slots if s.phase is phase]
        if not waiting:
            return
        turns = self._timed("user_s", self._call_user, phase.value, [s.request for s in waiting])
        for slot, turn in zip(waiting, turns):
            self._handle(slot, _guarded(slot.env, "user", slot.env.apply_user_turn, turn, first=phase is _Phase.BEGIN))

    def _call_user(self, method: str, requests: list[UserRequest]) -> list[Any]:
        try:
            turns = list(getattr(self.user, method)(requests))
            if len(turns) != len(requests):
                raise CoalmError(f"user {self.user_name!r} returned {len(turns)} turns for {len(requests)} requests")
            return turns
        except Exception as exc:  # the env records it per episode (ERRORED for LLMError, else internal)
            return [exc] * len(requests)

    def _policy_phase(self) -> None:
        acting = [s for s in self.slots if s.phase is _Phase.ACT]
        if not acting:
            return
        if self.config.max_episode_s is not None:
            over = [s for s in acting if time.perf_counter() - s.started > self.config.max_episode_s]
            for slot in over:
                self._handle(slot, _timeout(slot.env, self.config.max_episode_s))
            acting = [s for s in acting if s not in over]
            if not acting:
                return
        try:
            actions = self._timed("policy_s", self._call_policy, acting)
        except Exception as exc:
            if len(acting) == 1 or isinstance(exc, (LLMError, _CountMismatch)):
                for slot in acting:
                    self._handle(slot, _abort(slot.env, exc))
                return
            actions = [self._alone(slot) for slot in acting]  # isolate the episode(s) that raise
        for slot, action in zip(acting, actions):
            if isinstance(action, _Failed):
                self._handle(slot, _abort(slot.env, action.exc))
            else:
                self._handle(slot, _guarded(slot.env, "env", slot.env.agent_step, action))

    def _alone(self, slot: _Slot) -> Any:
        """The policy's action for one episode asked alone, or :class:`_Failed` with what it raised."""
        try:
            return self._timed("policy_s", self._call_policy, [slot])[0]
        except Exception as exc:
            return _Failed(exc)

    def _call_policy(self, acting: list[_Slot]) -> list[Any]:
        infos = [self._policy_info(s) for s in acting]
        actions = list(self.policy.act([s.obs for s in acting], infos))
        if len(actions) != len(acting):
            raise _CountMismatch(f"policy {self.policy_name!r} returned {len(actions)} actions for {len(acting)} episodes")
        return actions

    def _policy_info(self, slot: _Slot) -> dict[str, Any]:
        info = dict(slot.info or {})
        info["episode"] = slot.episode
        if self.privileged:
            info["scenario"] = slot.env.scenario
        return info

    def _handle(self, slot: _Slot, outcome: Any) -> None:
        if isinstance(outcome, UserRequest):
            slot.request, slot.phase = outcome, _Phase.RESPOND
            return
        obs, _reward, terminated, truncated, info = outcome
        if terminated or truncated:
            self._finish(slot, info["trajectory"])
        else:
            slot.obs, slot.info, slot.phase = obs, info, _Phase.ACT

    def _finish(self, slot: _Slot, traj: Trajectory) -> None:
        traj.policy = self.policy_name
        traj.extra["episode"] = slot.episode
        self.trajectories[slot.episode] = traj
        self.writer.add(slot.episode, traj)
        slot.phase, slot.obs, slot.info, slot.request = _Phase.IDLE, None, None, None
        self.bar.update(1)
        self.heap.episode_done()

    def _timed(self, key: str, fn: Any, *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.clock[key] += time.perf_counter() - start


def check_pairing(env: Any, policy: Any, policy_name: Any, scenario_id: str) -> None:
    """Refuse, before any episode runs, a policy or a user that cannot play ``env`` (a run at 0% that
    says nothing): a policy whose ``can_play(tool_names)`` gives a reason, a user that replays recorded
    user turns (``follows_dataset``) on scenarios that have none."""
    from coalm_env.protocols import follows_dataset

    scenario = env.domain.get_scenario(scenario_id)
    hook = getattr(policy, "can_play", None)
    if callable(hook):
        problem = hook(list(env.domain.api_graph(scenario).names))
        if problem:
            raise ConfigError(f"policy {policy_name!r} cannot play {env.env_id}: {problem}",
                              hint="use --policy oracle, gold_replay, react (with a model) or random; "
                                   f"`coalm-env list --details {env.env_id}` shows what the env offers")
    if follows_dataset(env.user) and not scenario.user_turns:
        raise ConfigError(f"user {str(env.user_spec)!r} replays a scenario's recorded user turns, but the scenarios "
                          f"of {env.env_id} have none (it would end every episode at once)",
                          hint=f"use the env's default user ({env.domain.default_user!r}), or an env with dialogues "
                               "(coalm/MultiWOZ-v0, coalm/BFCL-MultiTurn-v0, coalm/APIBank-v0)")


def _guarded(env: Any, where: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` of one episode's env; should it raise (the env turns every error it knows
    of into an observation), that episode alone ends ``internal_error`` with the traceback."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return _broken(env, where, exc)


def _broken(env: Any, where: str, exc: BaseException) -> tuple:
    error = {"where": where, "kind": "internal", "error": repr(exc), "traceback": "".join(traceback.format_exception(exc))}
    try:
        return env.abort(StopReason.INTERNAL_ERROR, error)
    except Exception:  # the env cannot even end the episode: end it here, unscored
        traj = env.trajectory
        traj.stop_reason = StopReason.INTERNAL_ERROR
        traj.errors.append(error)
        return None, 0.0, True, False, {"trajectory": traj}


def _unplayable(env: Any, config: RolloutConfig, options: dict[str, Any], seed: int, exc: BaseException) -> Trajectory:
    """The trajectory of an episode whose reset raised: ``internal_error``, nothing played."""
    return Trajectory(
        env_id=config.env_id, scenario_id=str(options.get("scenario_id")), domain=getattr(env.domain, "name", ""),
        split=str(options.get("split", config.split)), stop_reason=StopReason.INTERNAL_ERROR, seeds={"reset": seed},
        version=__version__, errors=[{"where": "reset", "kind": "internal", "error": repr(exc),
                                      "traceback": "".join(traceback.format_exception(exc))}],
    )


def _timeout(env: Any, limit: float) -> tuple:
    error = {"where": "runner", "kind": "timeout", "error": f"the episode ran past max_episode_s={limit:g} s"}
    return env.abort(StopReason.ERRORED, error)


def _abort(env: Any, exc: BaseException) -> tuple:
    """End an episode whose policy call failed: ``errored``, with the exception recorded."""
    kind = "llm" if isinstance(exc, LLMError) else "policy"
    error = {"where": "policy", "kind": kind, "error": repr(exc), "traceback": "".join(traceback.format_exception(exc))}
    return env.abort(StopReason.ERRORED, error)


def run_rollouts(config: RolloutConfig, *, progress: bool = True, resume: bool = False) -> RolloutResult:
    """Run ``config.episodes`` episodes of ``config.env_id`` with ``config.policy`` against
    ``config.user``, ``config.batch_size`` at a time (see :class:`RolloutConfig` for every field and
    its default): ``run_rollouts(RolloutConfig("coalm/Travel-v0", "rule", episodes=50))``.

    Args:
        config: the run.
        progress: show a progress bar.
        resume: keep the episodes already in ``config.out_dir`` (from a run of the same config, perhaps
            killed: a torn last line is dropped) and play only the missing ones; without it the output
            is truncated. Episodes are keyed by their index, which fixes their seed and scenario.

    Returns:
        A :class:`RolloutResult`; its ``summary`` equals ``summary.json``.
    """
    if not isinstance(config, RolloutConfig):
        raise ConfigError(f"run_rollouts takes a RolloutConfig, got {type(config).__name__}",
                          hint='run_rollouts(RolloutConfig("coalm/Travel-v0", "oracle", episodes=10))')
    start = time.perf_counter()
    runner = _Runner(config, config.policy, config.user, progress)
    path = Path(config.out_dir) if config.out_dir is not None else None
    done = _resume(path, config, runner) if resume else []
    writer = _Writer(path, done)
    if path is not None:  # now, so that a killed run can be resumed against it
        _write_config(path, config)
    try:
        runner.run(writer)
    finally:
        writer.close()
    trajectories = [t for t in runner.trajectories if t is not None]
    summary = summarize(
        trajectories,
        env_id=config.env_id,
        policy=runner.policy_name,
        user=runner.user_name,
        seed=config.seed,
        split=config.split,
        scenario_ids=config.scenario_ids,
        options=config.env_options,
    )
    timing = _timing(time.perf_counter() - start, trajectories, runner.clock)
    if path is not None:
        _write_outputs(path, summary, config, timing)
    return RolloutResult(summary, trajectories, timing, config, path)


def _resume(path: Path | None, config: RolloutConfig, runner: _Runner) -> list[int]:
    """Load the finished episodes of an earlier run into ``runner``; returns their indices."""
    from coalm_env.jsonl import read_lines, repair

    if path is None or not (path / "trajectories.jsonl").exists():
        return []
    _check_same_config(path, config)
    repair(path / "trajectories.jsonl")  # a torn last line: cut off before appending
    done = []
    for line in read_lines(path / "trajectories.jsonl"):
        traj = Trajectory.from_dict(line)
        index = traj.extra.get("episode")
        if (not isinstance(index, int) or not 0 <= index < config.episodes or runner.trajectories[index] is not None
                or runner.plan[index]["scenario_id"] != traj.scenario_id):
            raise ConfigError(f"{path}/trajectories.jsonl holds an episode index {index!r} this run cannot resume",
                              hint="rerun without --resume (or into a fresh --out)")
        runner.trajectories[index] = traj
        done.append(index)
    return done


def _check_same_config(path: Path, config: RolloutConfig) -> None:
    """The sweep's rule: results of different configs are never mixed (``out_dir`` and ``episodes`` aside)."""
    saved_file = path / "config.json"
    if not saved_file.exists():  # an output written before config.json came first: nothing to check against
        return
    saved = json.loads(saved_file.read_text(encoding="utf-8"))
    now = config.to_dict()
    diff = sorted(k for k in set(saved) | set(now) if k not in ("out_dir", "episodes", "batch_size")
                  and saved.get(k) != now.get(k))
    if diff:
        raise ConfigError(f"{path} holds a run of another config (differs in {', '.join(diff)})",
                          hint="resume with the same arguments, or write into a fresh --out")


def _timing(wall: float, trajectories: list[Trajectory], clock: dict[str, float]) -> dict[str, float]:
    steps = sum(len(t.steps) for t in trajectories)
    return {
        "wall_s": wall,
        "episodes_per_s": len(trajectories) / wall if wall > 0 else 0.0,
        "steps_per_s": steps / wall if wall > 0 else 0.0,
        "steps": float(steps),
        **clock,
    }


def _write_config(path: Path, config: RolloutConfig) -> None:
    (path / "config.json").write_text(json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _write_outputs(path: Path, summary: dict[str, Any], config: RolloutConfig, timing: dict[str, float]) -> None:
    (path / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _write_config(path, config)
    (path / "timing.json").write_text(json.dumps(timing, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_trajectories(path: str | Path) -> list[Trajectory]:
    """Load ``trajectories.jsonl`` (or a run directory holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "trajectories.jsonl"
    if not path.exists():
        raise ConfigError(f"no trajectories at {path}", hint="pass a run directory written by `coalm-env rollout`")
    with open(path, encoding="utf-8") as fh:
        return [Trajectory.from_json(line) for line in fh if line.strip()]

