"""One flat record per episode, read leniently from a trajectory (and a sweep result line).

The statistics never look inside a :class:`~coalm_env.types.Trajectory` themselves: they read
:class:`EpisodeRecord`, which says which cell the episode belongs to, which repetition of its scenario it
is, whether it succeeded, whether it errored or a user fault was flagged, and what its ledger cost. Fields
that other parts of the project are still adding (personas, user faults, the ledger) are read from every
place they may appear and default to "absent".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.jsonl import read_lines
from coalm_env.registry import parse_spec
from coalm_env.types import Trajectory

__all__ = ["EpisodeRecord", "from_trajectory", "from_result", "load_records", "records_of", "cell_label"]

# reset options that pick the episode, not the cell
_EPISODE_OPTIONS = {"scenario_id", "split", "scenario"}


@dataclass
class EpisodeRecord:
    """What the statistics need of one episode."""

    cell: str
    scenario_id: str
    rep: str
    env_id: str
    domain: str
    split: str
    policy: str
    user: str
    persona: str
    stop_reason: str
    success: float
    metrics: dict[str, float] = field(default_factory=dict)
    errored: bool = False
    user_fault: bool = False
    ledger: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pair_key(self) -> tuple[str, str, str, str]:
        """What pairs two cells' episodes: the same env, split, scenario and repetition."""
        return (self.env_id, self.split, self.scenario_id, self.rep)


def cell_label(env_id: str, options: Mapping[str, Any], split: str, policy: str, user: str) -> str:
    """A readable, stable name of a cell: ``coalm/Travel-v0 test | rule | agenda``."""
    opts = ",".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(options.items()))
    env = f"{env_id}[{opts}]" if opts else env_id
    return f"{env} {split} | {policy} | {user}"


def _persona(traj: Trajectory) -> str:
    personas = traj.extra.get("personas")  # what the env records: the persona specs of a `user+p+q` chain
    if isinstance(personas, list) and personas:
        return "+".join(str(p) for p in personas)
    for place in (traj.extra, traj.options):
        value = place.get("persona")
        if isinstance(value, Mapping):
            value = value.get("name") or value.get("id") or json.dumps(value, sort_keys=True)
        if value:
            return str(value)
    try:
        name, kwargs = parse_spec(traj.user) if traj.user else ("", {})
    except Exception:  # a user name that is not a spec string: no persona in it
        return "-"
    if "persona" in kwargs:
        return str(kwargs["persona"])
    return name if name.startswith("persona") else "-"


def _user_fault(traj: Trajectory) -> bool:
    try:
        if float(traj.metrics.get("user_fault", 0) or 0) > 0:
            return True
    except (TypeError, ValueError):
        pass
    return bool(traj.extra.get("user_faults"))


def _ledger(traj: Trajectory) -> list[dict[str, Any]]:
    ledger = traj.extra.get("ledger") or []
    if isinstance(ledger, Mapping):
        ledger = ledger.get("entries", [ledger])
    return [dict(e) for e in ledger if isinstance(e, Mapping)]


def from_trajectory(traj: Trajectory, *, cell: str | None = None, rep: str = "0") -> EpisodeRecord:
    """The record of one trajectory; ``cell`` defaults to its label (env, options, split, policy, user)."""
    options = {k: v for k, v in traj.options.items() if k not in _EPISODE_OPTIONS}
    stop = traj.stop_reason.value if traj.stop_reason else "none"
    return EpisodeRecord(
        cell=cell or cell_label(traj.env_id, options, traj.split, traj.policy, traj.user),
        scenario_id=traj.scenario_id,
        rep=rep,
        env_id=traj.env_id,
        domain=traj.domain,
        split=traj.split,
        policy=traj.policy,
        user=traj.user,
        persona=_persona(traj),
        stop_reason=stop,
        success=float(traj.metrics.get("success", traj.reward) or 0.0),
        metrics={k: float(v) for k, v in traj.metrics.items() if isinstance(v, (int, float))},
        errored=stop == "errored",
        user_fault=_user_fault(traj),
        ledger=_ledger(traj),
    )


def from_result(line: Mapping[str, Any]) -> EpisodeRecord:
    """The record of one sweep result line (``results.jsonl``): its cell label, seed and trial."""
    traj = Trajectory.from_dict(line["trajectory"])
    return from_trajectory(traj, cell=line.get("label") or line["cell"], rep=f"s{line['seed']}t{line['trial']}")


def _number_repeats(records: list[EpisodeRecord]) -> list[EpisodeRecord]:
    """Rollout files have no trial numbers: the i-th play of a scenario in a cell is repetition i."""
    seen: dict[tuple[str, str], int] = {}
    for rec in records:
        key = (rec.cell, rec.scenario_id)
        rec.rep = str(seen.get(key, 0))
        seen[key] = seen.get(key, 0) + 1
    return records


def load_records(path: str | Path) -> list[EpisodeRecord]:
    """Records from a sweep directory (``results.jsonl``), a rollout directory (``trajectories.jsonl``)
    or either file. A torn last line (a run killed mid-write) is skipped."""
    path = Path(path)
    for name in ("results.jsonl", "trajectories.jsonl"):
        if path.is_dir() and (path / name).exists():
            path = path / name
            break
    if not path.is_file():
        raise ConfigError(f"no results.jsonl or trajectories.jsonl at {path}",
                          hint="pass a directory written by `coalm-env sweep` or `coalm-env rollout`")
    lines = read_lines(path)
    if lines and "trajectory" in lines[0]:
        return [from_result(line) for line in lines]
    return _number_repeats([from_trajectory(Trajectory.from_dict(line)) for line in lines])


def records_of(trajectories: Iterable[Trajectory]) -> list[EpisodeRecord]:
    """Records of in-memory trajectories (repetitions numbered per cell and scenario)."""
    return _number_repeats([from_trajectory(t) for t in trajectories])
