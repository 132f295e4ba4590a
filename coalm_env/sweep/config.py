"""The sweep config: a YAML grid of envs x splits x policies x users, repeated over seeds and trials.

Example (``experiments/sweeps/example.yaml`` is a full one)::

    name: travel-baselines
    envs:
      - coalm/Travel-v0                      # an id, or a mapping with options and overrides:
      - {id: coalm/APIBank-v0, options: {level: 1}, users: [null], scenarios: 5}
    splits: [test]
    policies: [oracle, rule, random]         # registry specs
    users: [agenda]                          # registry specs; null: the domain's default user
    seeds: [0]
    trials: 3                                # plays of each scenario per seed (pass^k needs k <= seeds x trials)
    scenarios: 10                            # N: the first N of a seeded order of the split; or a list of ids
    execution: {workers: 2, chunk_size: 4, start_method: spawn}

A *cell* is one (env, options, split, policy, user); its :attr:`CellSpec.id` is a hash of exactly those,
and an episode's key is ``cell id / scenario / seed / trial``. The :meth:`SweepConfig.hash` covers
everything but ``name`` and ``execution``: results written under one hash are never mixed with another's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.stats.records import cell_label

__all__ = ["EnvEntry", "Execution", "SweepConfig", "CellSpec", "load_config", "stable_hash"]

START_METHODS = ("spawn", "forkserver")


def stable_hash(obj: Any, length: int = 16) -> str:
    """Hex SHA-256 prefix of ``obj`` as canonical JSON (sorted keys): the same on every machine."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _check_keys(cls: type, data: dict[str, Any], where: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__}")
    known = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in known:
            raise UnknownNameError(f"key in {where}", str(key), known)


def _str_list(value: Any, where: str, allow_none: bool = False) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not (isinstance(item, str) or (allow_none and item is None)):
            raise ConfigError(f"{where} must be strings{' or null' if allow_none else ''}, got {item!r}")
    if not items:
        raise ConfigError(f"{where} must not be empty")
    return items


def _scenarios(value: Any, where: str) -> int | list[str] | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where} must be a positive count or a list of scenario ids, got {value!r}")


@dataclass
class EnvEntry:
    """One env of the grid: ``id``, keyword ``options``, and optional per-env ``splits``, ``policies``
    (e.g. an LLM policy on one env only), ``users`` (e.g. ``[null]``: the domain's default user, for
    benchmarks whose users replay their dataset) and ``scenarios``."""

    id: str
    options: dict[str, Any] = field(default_factory=dict)
    splits: list[str] | None = None
    policies: list[str] | None = None
    users: list[str | None] | None = None
    scenarios: int | list[str] | None = None

    @classmethod
    def from_raw(cls, raw: Any) -> EnvEntry:
        if isinstance(raw, str):
            return cls(raw)
        _check_keys(cls, raw, "an envs entry")
        if "id" not in raw or not isinstance(raw["id"], str):
            raise ConfigError(f"an envs entry needs an 'id' string, got {raw!r}")
        entry = cls(**raw)
        if not isinstance(entry.options, dict):
            raise ConfigError(f"options of {entry.id} must be a mapping, got {entry.options!r}")
        entry.splits = None if entry.splits is None else _str_list(entry.splits, f"splits of {entry.id}")
        entry.policies = None if entry.policies is None else _str_list(entry.policies, f"policies of {entry.id}")
        if "users" in raw:
            entry.users = _str_list(entry.users, f"users of {entry.id}", allow_none=True)
        entry.scenarios = _scenarios(entry.scenarios, f"scenarios of {entry.id}")
        return entry


@dataclass
class Execution:
    """How to run (not part of the config hash): pool size, episodes per task, process start method."""

    workers: int = 1
    chunk_size: int = 4
    start_method: str = "spawn"

    def __post_init__(self) -> None:
        for name in ("workers", "chunk_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"execution.{name} must be a positive integer, got {value!r}")
        if self.start_method not in START_METHODS:
            raise UnknownNameError("execution.start_method", str(self.start_method), START_METHODS)


@dataclass(frozen=True)
class CellSpec:
    """One cell of the grid; ``scenarios`` is what the episodes of the cell play (count, ids or all)."""

    env_id: str
    options: dict[str, Any]
    split: str
    policy: str
    user: str | None
    scenarios: int | list[str] | None = None

    def identity(self) -> dict[str, Any]:
        return {"env_id": self.env_id, "options": self.options, "split": self.split, "policy": self.policy,
                "user": self.user}

    @property
    def id(self) -> str:
        return stable_hash(self.identity(), 12)

    @property
    def label(self) -> str:
        return cell_label(self.env_id, self.options, self.split, self.policy, self.user or "default")


@dataclass
class SweepConfig:
    """A parsed sweep config (see the module docstring for the YAML layout)."""

    envs: list[EnvEntry]
    policies: list[str]
    users: list[str | None] = field(default_factory=lambda: [None])
    splits: list[str] = field(default_factory=lambda: ["test"])
    seeds: list[int] = field(default_factory=lambda: [0])
    trials: int = 1
    scenarios: int | list[str] | None = 10
    scenario_seed: int = 0
    name: str = "sweep"
    execution: Execution = field(default_factory=Execution)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepConfig:
        _check_keys(cls, data, "the sweep config")
        for required in ("envs", "policies"):
            if required not in data:
                raise ConfigError(f"the sweep config needs {required!r}", hint="see experiments/sweeps/example.yaml")
        data = dict(data)
        envs = data.pop("envs")
        data["envs"] = [EnvEntry.from_raw(e) for e in (envs if isinstance(envs, list) else [envs])]
        data["policies"] = _str_list(data["policies"], "policies")
        data["users"] = _str_list(data.get("users", [None]), "users", allow_none=True)
        data["splits"] = _str_list(data.get("splits", ["test"]), "splits")
        raw_exec = data.get("execution") or {}
        _check_keys(Execution, raw_exec, "execution")
        data["execution"] = Execution(**raw_exec)
        config = cls(**data)
        config._validate()
        return config

    def _validate(self) -> None:
        seeds = self.seeds if isinstance(self.seeds, list) else [self.seeds]
        if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
            raise ConfigError(f"seeds must be a list of integers >= 0, got {self.seeds!r}")
        if len(set(seeds)) != len(seeds):
            raise ConfigError(f"seeds must be distinct, got {seeds}")
        self.seeds = seeds
        if not isinstance(self.trials, int) or isinstance(self.trials, bool) or self.trials < 1:
            raise ConfigError(f"trials must be a positive integer, got {self.trials!r}")
        self.scenarios = _scenarios(self.scenarios, "scenarios")

    def cells(self) -> list[CellSpec]:
        """Every cell, in config order (env, split, policy, user)."""
        out = []
        for env in self.envs:
            for split in env.splits or self.splits:
                for policy in self.policies if env.policies is None else env.policies:
                    for user in self.users if env.users is None else env.users:
                        scenarios = env.scenarios if env.scenarios is not None else self.scenarios
                        out.append(CellSpec(env.id, dict(env.options), split, policy, user, scenarios))
        return out

    def grid(self) -> dict[str, Any]:
        """What the hash covers: the cells with their scenarios, the seeds, trials and scenario seed."""
        cells = [{**c.identity(), "scenarios": c.scenarios} for c in self.cells()]
        return {"cells": cells, "seeds": self.seeds, "trials": self.trials, "scenario_seed": self.scenario_seed}

    def hash(self) -> str:
        return stable_hash(self.grid())

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_config(path: str | Path) -> SweepConfig:
    """Read a sweep config from YAML (``yaml.safe_load``: data only, no tags that build objects)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no sweep config at {path}", hint="see experiments/sweeps/example.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    return SweepConfig.from_dict(data or {})
