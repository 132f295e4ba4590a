"""Episodes for a report: each trajectory beside its statistics record, and scenario goals looked up.

Sweep directories (``results.jsonl``) and rollout directories (``trajectories.jsonl``) are read the way
:func:`coalm_env.stats.load_records` reads them (a torn last line skipped), keeping the trajectory.
A trajectory holds the scenario id, env id and options but not the goal: :class:`GoalLookup` asks the
domain for it at report time and falls back to the id when the domain (or its data) is not available.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.jsonl import read_lines
from coalm_env.stats.records import EpisodeRecord, _number_repeats, from_result, from_trajectory
from coalm_env.types import Trajectory

__all__ = ["Episode", "load_episodes", "GoalLookup"]

# reset options that pick the episode, not the domain
_EPISODE_OPTIONS = {"scenario_id", "split", "scenario"}


@dataclass
class Episode:
    """One scored episode: its statistics record and its trajectory."""

    record: EpisodeRecord
    trajectory: Trajectory


def _results_file(path: Path) -> Path:
    for name in ("results.jsonl", "trajectories.jsonl"):
        if path.is_dir() and (path / name).exists():
            return path / name
    if not path.is_file():
        raise ConfigError(f"no results.jsonl or trajectories.jsonl at {path}",
                          hint="pass a directory written by `coalm-env sweep` or `coalm-env rollout`")
    return path


def load_dir(path: str | Path) -> list[Episode]:
    """The episodes of one sweep or rollout directory (or file)."""
    lines = read_lines(_results_file(Path(path)))
    if lines and "trajectory" in lines[0]:
        return [Episode(from_result(line), Trajectory.from_dict(line["trajectory"])) for line in lines]
    trajs = [Trajectory.from_dict(line) for line in lines]
    records = _number_repeats([from_trajectory(t) for t in trajs])
    return [Episode(r, t) for r, t in zip(records, trajs)]


def load_episodes(dirs: Iterable[str | Path]) -> list[Episode]:
    """The episodes of every directory, in order."""
    return [ep for d in dirs for ep in load_dir(d)]


class GoalLookup:
    """``goal(trajectory) -> (text, source)``: the scenario's goal from its domain, cached per domain;
    ``source`` is ``"domain"`` or ``"id"`` (the domain could not be built or lacks the scenario)."""

    def __init__(self) -> None:
        self._domains: dict[str, Any] = {}

    def _domain(self, traj: Trajectory) -> Any:
        options = {k: v for k, v in traj.options.items() if k not in _EPISODE_OPTIONS}
        key = json.dumps([traj.env_id, options], sort_keys=True, default=str)
        if key not in self._domains:
            try:
                from coalm_env.resolve import domain_for

                self._domains[key] = domain_for(traj.env_id, **options)
            except Exception:  # unknown id, missing data, an option this version lacks: show the id
                self._domains[key] = None
        return self._domains[key]

    def goal(self, traj: Trajectory) -> tuple[str, str]:
        domain = self._domain(traj)
        if domain is None:
            return traj.scenario_id, "id"
        try:
            scenario = domain.get_scenario(traj.scenario_id)
        except Exception:  # the scenario is not in this version of the data
            return traj.scenario_id, "id"
        return _goal_text(domain, scenario), "domain"


def _goal_text(domain: Any, scenario: Any) -> str:
    """The domain's goal text when it writes one, then the structured goal as JSON."""
    parts = []
    text_of = getattr(domain, "user_goal_text", None)
    if callable(text_of):
        try:
            parts.append(str(text_of(scenario)))
        except Exception:  # a goal text the domain cannot write for this scenario: the JSON suffices
            pass
    parts.append(json.dumps(scenario.goal, indent=1, sort_keys=True, default=str))
    return "\n\n".join(p for p in parts if p)
