"""Re-score saved trajectories with the domain scorer, by replaying their tool calls.

A domain scorer reads the episode's backend (bookings made, end state), which a trajectory file does
not hold. :func:`replay_backend` rebuilds it: a fresh backend from the scenario and the recorded
backend seed, then every recorded tool call executed again in order. Calls that failed only because
the tool was not visible at the time (``unknown_tool``) are not executed again, they are put back in
the history as recorded; every other call is run with its tool made visible, so domains that reveal
tools on user turns replay without their user-turn hooks. Each replayed result is compared with the
recorded one (ok flag, value, error type) and differences are counted (``replay_mismatches``): a
non-zero count means the domain's backend is not deterministic for a seed, or the trajectory came from
another version of the domain. Mismatches of calls whose API writes state (:attr:`ApiSpec.writes`) are
counted apart (``write_mismatches``): only those make the replayed state diverge, while a read-only call
(a clock, a search) may differ without consequence. Where the env recorded the end state's hash
(``trajectory.extra["state_hash"]``), the replayed state's hash is compared with it (``state_mismatches``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from coalm_env.backend.faults import fault_metrics, is_fault
from coalm_env.backend.graph import BackendSession
from coalm_env.stress import changed_scenario
from coalm_env.resolve import domain_for
from coalm_env.scoring import dense_components, finalize_metrics, graph_credit
from coalm_env.limits import MAX_TOOL_RESULT_CHARS, MIN_BOUND_CHARS, TRUNCATION_MARK
from coalm_env.types import ToolCall, ToolResult, Trajectory, to_json

__all__ = ["replay_backend", "rescore", "rescore_all", "RescoreReport", "RESET_OPTION_KEYS"]

#: reset options the env records in ``trajectory.options`` beside the domain options
RESET_OPTION_KEYS = frozenset({"split", "scenario_id", "scenario"})


@dataclass
class RescoreReport:
    """How a re-scoring went: counts, and why some trajectories kept their recorded metrics."""

    rescored: int = 0
    kept: int = 0
    changed: int = 0
    replay_mismatches: int = 0
    write_mismatches: int = 0
    state_mismatches: int = 0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _outcome(result: ToolResult) -> str:
    # ok, value and error type; error messages are prose for the agent (they may quote arguments and
    # change wording between versions), so they do not decide whether a replay matches
    return to_json([result.ok, result.value, (result.error or {}).get("type")])


def _same(replayed: ToolResult, recorded: ToolResult) -> bool:
    # the env keeps results over its size limits truncated (ToolResult.bounded): such a result matches
    # a replayed one that is over the limit too, with the same outcome and the same head
    if replayed.bounded(MAX_TOOL_RESULT_CHARS) is not replayed or len(replayed.content()) > MIN_BOUND_CHARS and (
            TRUNCATION_MARK.split("{n}")[1].strip() in recorded.content()):
        head = replayed.bounded(MIN_BOUND_CHARS)
        return head.ok == recorded.ok and recorded.content().startswith(head.content()[:MIN_BOUND_CHARS // 2])
    return to_json(json.loads(_outcome(replayed))) == _outcome(recorded)


def replay_backend(
    domain: Any, trajectory: Trajectory, mismatched: list[ToolCall] | None = None
) -> tuple[BackendSession, int]:
    """A backend in the state the episode left it in, and the number of calls whose replayed result
    differs from the recorded one (those calls are appended to ``mismatched`` when it is given)."""
    scenario = changed_scenario(domain.get_scenario(trajectory.scenario_id), trajectory)
    backend = domain.build_backend(scenario, np.random.default_rng(trajectory.seeds.get("backend", 0)))
    mismatches = 0
    for step in trajectory.steps:
        for call, recorded in zip(step.calls, step.results):
            if is_fault(recorded):  # an injected fault never executed (coalm_env.backend.faults)
                continue
            if not recorded.ok and (recorded.error or {}).get("type") == "unknown_tool":
                backend.history.append((call, recorded))
                continue
            backend.reveal([call.name])
            if not _same(backend.call(call), recorded):
                mismatches += 1
                if mismatched is not None:
                    mismatched.append(call)
    return backend, mismatches


def domain_options(trajectory: Trajectory) -> dict[str, Any]:
    """The domain options the episode ran with (its recorded options minus reset options)."""
    return {k: v for k, v in trajectory.options.items() if k not in RESET_OPTION_KEYS}


def rescore(
    trajectory: Trajectory, domain: Any, report: RescoreReport | None = None
) -> tuple[dict[str, float], int]:
    """The metrics the env would give ``trajectory`` now, and the replay mismatch count; ``report``
    (when given) also counts the writing-call and end-state mismatches."""
    scenario = changed_scenario(domain.get_scenario(trajectory.scenario_id), trajectory)
    mismatched: list[ToolCall] = []
    backend, mismatches = replay_backend(domain, trajectory, mismatched)
    if report is not None:
        _check_state(report, trajectory, backend, mismatched)
    scored = {k: float(v) for k, v in domain.score(trajectory, scenario, backend).items()}
    turns = sum(1 for m in trajectory.messages if m.role == "user" and m.content)
    credit = graph_credit(scenario.gold.calls, backend.history)
    components = dense_components(trajectory.steps, credit, turns)
    metrics = finalize_metrics(scored, trajectory.stop_reason, trajectory.errors, components,
                               trajectory.extra.get("user_metrics"))  # the user-fault flags, as the env
    if trajectory.extra.get("faults"):
        metrics.update(fault_metrics(trajectory.steps))
    return metrics, mismatches


def rescore_all(trajectories: Sequence[Trajectory]) -> tuple[list[Trajectory], RescoreReport]:
    """Re-score every trajectory where its domain can be rebuilt; others keep their recorded metrics.

    Returns new :class:`Trajectory` objects (the inputs are not changed) and a report.
    """
    report = RescoreReport()
    domains: dict[str, Any] = {}
    out = []
    for traj in trajectories:
        copy = Trajectory.from_dict(traj.to_dict())
        try:
            domain = _domain(domains, traj)
            copy.metrics, mismatches = rescore(traj, domain, report)
        except Exception as exc:  # a missing dataset, an unknown id, a scorer bug: keep and report
            report.kept += 1
            _note(report, f"{traj.env_id} {traj.scenario_id}: kept recorded metrics ({exc})")
        else:
            report.rescored += 1
            report.replay_mismatches += mismatches
            report.changed += to_json(copy.metrics) != to_json(traj.metrics)
            copy.reward = float(copy.metrics.get("success", 0.0))
        out.append(copy)
    return out, report


def _check_state(report: RescoreReport, traj: Trajectory, backend: BackendSession, mismatched: list[ToolCall]) -> None:
    writes_state = getattr(backend, "writes", lambda name: True)  # a backend of its own: every call may write
    writes = sum(1 for call in mismatched if writes_state(call.name))
    report.write_mismatches += writes
    recorded = traj.extra.get("state_hash")
    replayed = backend.state_hash() if recorded is not None and hasattr(backend, "state_hash") else None
    if recorded is not None and replayed != recorded:
        report.state_mismatches += 1
        _note(report, f"{traj.env_id} {traj.scenario_id}: the replayed end state differs from the recorded one")
    elif writes:
        _note(report, f"{traj.env_id} {traj.scenario_id}: {writes} state-changing call(s) replayed differently")


def _domain(cache: dict[str, Any], traj: Trajectory) -> Any:
    options = domain_options(traj)
    key = to_json([traj.env_id, options])
    if key not in cache:
        cache[key] = domain_for(traj.env_id, **options)
    return cache[key]


def _note(report: RescoreReport, problem: str, limit: int = 20) -> None:
    if len(report.problems) < limit:
        report.problems.append(problem)
