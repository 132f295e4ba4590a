"""From a sweep config to the episodes it holds, each with a stable key and reset seed.

An episode is (cell, scenario, seed, trial). Its reset seed comes from (seed, trial, env, split, scenario)
only, not from the policy or the user: every policy of a sweep meets the same user randomness on the same
scenario (common random numbers), which is what makes the paired comparison paired. The scenarios of an
env and split are the same for every cell too (a seeded order of the split, ``scenario_seed``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coalm_env.errors import ConfigError, DataNotFoundError
from coalm_env.sweep.config import CellSpec, SweepConfig

__all__ = ["Episode", "CellPlan", "SweepPlan", "plan_sweep", "reset_seed"]

_SCENARIO_ORDER_KEY = 0x5E1EC7


@dataclass(frozen=True)
class Episode:
    key: str
    cell: str
    scenario_id: str
    seed: int
    trial: int
    reset_seed: int

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "cell": self.cell, "scenario_id": self.scenario_id, "seed": self.seed,
                "trial": self.trial, "reset_seed": self.reset_seed}


@dataclass
class CellPlan:
    spec: CellSpec
    episodes: list[Episode] = field(default_factory=list)


@dataclass
class SweepPlan:
    cells: list[CellPlan]
    skipped: list[tuple[CellSpec, str]]

    @property
    def episodes(self) -> list[Episode]:
        return [e for c in self.cells for e in c.episodes]


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def reset_seed(seed: int, trial: int, env_id: str, split: str, scenario_id: str) -> int:
    """The ``env.reset`` seed of one episode (a SeedSequence child; independent of policy and user)."""
    entropy = [seed, trial, _digest(env_id, split, scenario_id)]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> np.uint64(1))


def _missing_data(env_id: str) -> str | None:
    from coalm_env import data
    from coalm_env.specs import spec

    dataset = spec(env_id).dataset
    if dataset is None:
        return None
    state = data.status(dataset)
    return None if state == "ready" else f"dataset {dataset!r} {state} (coalm-env data fetch {dataset})"


def _scenario_ids(domain: Any, cell: CellSpec, scenario_seed: int) -> list[str]:
    if isinstance(cell.scenarios, list):
        for sid in cell.scenarios:
            domain.get_scenario(sid)  # fail before the sweep starts
        return list(cell.scenarios)
    from coalm_env.rollout import split_ids

    pool = split_ids(domain, cell.split)
    if not pool:
        raise ConfigError(f"{cell.env_id} has no scenarios in split {cell.split!r}")
    if cell.scenarios is None:
        return pool
    rng = np.random.default_rng(np.random.SeedSequence(
        [scenario_seed, _SCENARIO_ORDER_KEY, _digest(cell.env_id, cell.split)]))
    return [pool[i] for i in rng.permutation(len(pool))[: cell.scenarios]]


def _cell_episodes(cell: CellSpec, scenario_ids: list[str], config: SweepConfig) -> list[Episode]:
    cid = cell.id
    return [
        Episode(f"{cid}/{sid}/s{seed}/t{trial}", cid, sid, seed, trial,
                reset_seed(seed, trial, cell.env_id, cell.split, sid))
        for sid in scenario_ids
        for seed in config.seeds
        for trial in range(config.trials)
    ]


def plan_sweep(config: SweepConfig) -> SweepPlan:
    """Every episode of every cell; cells whose dataset is missing are skipped with the reason."""
    from coalm_env.resolve import domain_for

    cells, skipped = [], []
    ids_cache: dict[tuple[str, ...], list[str]] = {}
    for cell in config.cells():
        reason = _missing_data(cell.env_id)
        if reason is None:
            key = (cell.env_id, repr(sorted(cell.options.items())), cell.split, repr(cell.scenarios))
            try:
                if key not in ids_cache:
                    domain = domain_for(cell.env_id, **cell.options)
                    ids_cache[key] = _scenario_ids(domain, cell, config.scenario_seed)
            except DataNotFoundError as exc:
                reason = str(exc)
        if reason is not None:
            skipped.append((cell, reason))
            continue
        cells.append(CellPlan(cell, _cell_episodes(cell, ids_cache[key], config)))
    labels = [c.spec.label for c in cells]
    if len(set(labels)) != len(labels):
        raise ConfigError("the sweep config lists the same cell twice", hint="make envs, policies and users distinct")
    return SweepPlan(cells, skipped)
