"""Env trajectories -> training samples: CoALM-IT (CRA layout) and chat-with-tools.

- CoALM-IT: one sample per assistant message, through the one CRA renderer
  (:mod:`coalm_env.render_coalm`): ``instruction`` = the prompt blocks and earlier turns, ``input`` = the
  current turn, ``output`` = the completion (``Action: fn(...)`` = action prediction, ``System: ...`` =
  response generation; an ``update_state`` call, where the domain has one, is dialogue-state tracking).
  ``join_prompt(instruction, input)`` is exactly what the ``react`` policy prompts with at that step.
- chat: one sample per trajectory, ``{"messages": [...], "tools": [...]}`` in the shapes
  ``tokenizer.apply_chat_template(messages, tools=tools)`` takes (TRL's conversational tool format).

The leak check: by default only ``train`` trajectories are exported; one from any other split raises
(``on_leak="skip"`` drops it and counts it; ``allow_splits`` widens the set on purpose). Samples are
deduplicated; by default only successful episodes are kept (they are the demonstrations).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.render_coalm import completion_text, cra_parts
from coalm_env.types import Message, Trajectory

__all__ = ["ExportStats", "EXPORT_FORMATS", "coalm_it_samples", "chat_sample", "export", "load_trajectories",
           "scenario_tools", "write_samples"]

EXPORT_FORMATS = ("coalm-it", "chat")
DST_TOOL = "update_state"
#: keys of ``Trajectory.options`` that are reset options or runner-set, not env constructor options
_RESET_KEYS = frozenset({"scenario_id", "scenario", "split", "user", "faults", "seed", "oracle_hints"})


@dataclass
class ExportStats:
    """What an export kept and dropped."""

    trajectories: int = 0
    kept_trajectories: int = 0
    samples: int = 0
    duplicates: int = 0
    leaked_skipped: int = 0
    failed_skipped: int = 0
    objectives: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def load_trajectories(paths: str | Path | Sequence[str | Path]) -> list[Trajectory]:
    """Trajectories from run directories or ``trajectories.jsonl`` files."""
    from coalm_env.rollout import read_trajectories

    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    return [t for p in items for t in read_trajectories(p)]


@functools.lru_cache(maxsize=4096)
def _tools_cached(env_id: str, options_json: str, scenario_id: str) -> str:
    from coalm_env.resolve import make_env

    options = {k: v for k, v in json.loads(options_json).items() if k not in _RESET_KEYS}
    env = make_env(env_id, **options)
    obs, _ = env.reset(seed=0, options={"scenario_id": scenario_id})
    return obs["tools"]


def scenario_tools(traj: Trajectory) -> list[dict[str, Any]]:
    """The tool schemas the agent saw at the start of ``traj``'s episode (rebuilt from its env and scenario)."""
    options = {k: v for k, v in (traj.options or {}).items() if isinstance(v, (str, int, float, bool, type(None)))}
    return json.loads(_tools_cached(traj.env_id, json.dumps(options, sort_keys=True), traj.scenario_id))


def _objective(msg: Message) -> str:
    if not msg.tool_calls:
        return "response"
    return "dst" if all(c.name == DST_TOOL for c in msg.tool_calls) else "action"


def coalm_it_samples(traj: Trajectory, tools: Sequence[dict[str, Any]], *, compact: bool = False,
                     history: int | None = None, results: int | None = None,
                     preamble: bool = True) -> list[dict[str, str]]:
    """One CoALM-IT row per assistant message of ``traj`` (plus ``objective``/``scenario_id``/``env_id``)."""
    rows = []
    for k, msg in enumerate(traj.messages):
        if msg.role != "assistant":
            continue
        instruction, input_ = cra_parts(traj.messages[:k], tools, compact=compact, history=history,
                                     results=results, preamble=preamble)
        rows.append({"instruction": instruction, "input": input_, "output": completion_text(msg),
                     "objective": _objective(msg), "scenario_id": traj.scenario_id, "env_id": traj.env_id})
    return rows


def chat_sample(traj: Trajectory, tools: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The whole episode as ``{"messages", "tools"}`` for ``apply_chat_template(messages, tools=tools)``."""
    return {"messages": [m.to_openai() for m in traj.messages], "tools": list(tools),
            "scenario_id": traj.scenario_id, "env_id": traj.env_id}


def _check_split(traj: Trajectory, allow: set[str], on_leak: str, stats: ExportStats) -> bool:
    if traj.split in allow:
        return True
    if on_leak == "skip":
        stats.leaked_skipped += 1
        return False
    raise ConfigError(f"trajectory of scenario {traj.scenario_id!r} is from split {traj.split!r}, not a training split",
                      hint="export train-split rollouts only (or --allow-split / --skip-leaks on purpose)")


def _key(sample: dict[str, Any]) -> str:
    core = {k: v for k, v in sample.items() if k not in ("scenario_id", "env_id", "objective")}
    return hashlib.sha1(json.dumps(core, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def export(trajectories: Iterable[Trajectory], fmt: str = "coalm-it", *, allow_splits: Iterable[str] = ("train",),
           on_leak: str = "error", only_success: bool = True, compact: bool = False,
           history: int | None = None, results: int | None = None,
           preamble: bool = True) -> tuple[list[dict[str, Any]], ExportStats]:
    """Samples of format ``fmt`` (:data:`EXPORT_FORMATS`) from ``trajectories``, deduplicated, and the stats."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}", hint=f"one of {', '.join(EXPORT_FORMATS)}")
    if on_leak not in ("error", "skip"):
        raise ConfigError(f"on_leak must be 'error' or 'skip', got {on_leak!r}")
    allow, stats, seen, out = set(allow_splits), ExportStats(), set(), []
    for traj in trajectories:
        stats.trajectories += 1
        if not _check_split(traj, allow, on_leak, stats):
            continue
        if only_success and traj.metrics.get("success", traj.reward) < 1:
            stats.failed_skipped += 1
            continue
        stats.kept_trajectories += 1
        tools = scenario_tools(traj)
        samples = (coalm_it_samples(traj, tools, compact=compact, history=history, results=results,
                                     preamble=preamble) if fmt == "coalm-it"
                   else [chat_sample(traj, tools)])
        for s in samples:
            key = _key(s)
            if key in seen:
                stats.duplicates += 1
                continue
            seen.add(key)
            out.append(s)
            obj = s.get("objective", "chat")
            stats.objectives[obj] = stats.objectives.get(obj, 0) + 1
    stats.samples = len(out)
    return out, stats


def write_samples(samples: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write samples as JSONL (``.jsonl``) or one JSON list (``.json``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":
        path.write_text(json.dumps(list(samples), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples), encoding="utf-8")
    return path
