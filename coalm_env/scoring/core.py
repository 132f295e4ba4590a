"""Domain-independent metrics: graph credit, parse/tool error counts, efficiency, aggregation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from coalm_env.backend.plan import PlanMatcher, matched_steps
from coalm_env.scoring.user_faults import USER_FAULT_METRICS, user_fault_metrics
from coalm_env.types import GoldCall, StepRecord, StopReason, ToolCall, ToolResult

__all__ = [
    "METRICS", "graph_credit", "GraphCredit", "dense_components", "DenseComponents", "finalize_metrics",
    "mean_metrics",
]

#: endings that void the task: whatever the scorer says, ``success`` is 0
VOID_ENDINGS = frozenset({StopReason.INTERNAL_ERROR, StopReason.ERRORED})

#: Every metric key the project writes, with its meaning. Domains add theirs here too.
METRICS: dict[str, str] = {
    "success": "task success in {0,1} as the domain scorer decides; the terminal reward",
    "graph_credit": "fraction of gold-plan API nodes reached with gold constants and correctly sourced arguments",
    "parse_errors": "agent actions that could not be parsed",
    "tool_errors": "tool calls that returned an error result",
    "tool_calls": "tool calls executed",
    "turns": "user turns in the episode",
    "steps": "agent steps (actions) in the episode",
    "internal_errors": "bugs caught inside the env or its plug-ins (must be 0)",
    "inform": "Inform rate: every goal domain had a matching entity offered (MultiWOZ definition)",
    "book": "Book rate: every booking the goal asks for was made with the goal's booking values",
    "requests": "fraction of requested slots whose value was given to the user",
    "goal_met": "the user simulator ended the episode satisfied",
    "book_rate": "MultiWOZ: ConvLab book rate, mean over booked goal domains of the goal constraints the first booked entity meets",
    "inform_precision": "MultiWOZ: ConvLab Inform precision (informed slots that were requested or constrained)",
    "inform_recall": "MultiWOZ: ConvLab Inform recall (requested slots informed)",
    "inform_f1": "MultiWOZ: ConvLab Inform F1",
    "task_success": "MultiWOZ: inform, every requested value and every booking made right (the strict tod success)",
    "jga": "MultiWOZ: joint goal accuracy of the reported dialogue state on the turns that follow the gold dialogue",
    "jga_turns": "MultiWOZ: number of turns JGA was computed on",
    "bfcl_turn_acc": "BFCL: fraction of turns with ground-truth calls that pass the official per-turn checks",
    "bfcl_empty_turn": "BFCL: the verdict failed on a turn without any call (empty_turn_model_response)",
    "bfcl_state_mismatch": "BFCL: the verdict failed on backend state (instance_state_mismatch)",
    "bfcl_response_mismatch": "BFCL: the verdict failed on missing call results (execution_response_mismatch)",
    "bfcl_force_terminated": "BFCL: fewer turns played than the ground truth has (step limit hit)",
    "strict_valid": "BFCL: the official verdict and the strict per-turn rules (coalm_env.domains.bfcl.strict)",
    "api_call_accuracy": "API-Bank: fraction of gold calls an agent call reproduced under the API's rule",
    "api_calls_gold": "API-Bank: gold API calls in the dialogue",
    "api_calls_correct": "API-Bank: gold API calls reproduced by the agent",
    "level": "API-Bank: the level played (1, 2 or 3)",
    "end_state_match": "API-Bank: the backend's end state hash equals the gold end state's (Gold.end_state: the gold calls run in order)",
    "rouge_l": "ROUGE-L F-measure of the agent's replies against the gold replies (rouge-score; 0..1)",
    "rouge_1": "ROUGE-1 F-measure of the agent's replies against the gold replies (0..1)",
    "rouge_2": "ROUGE-2 F-measure of the agent's replies against the gold replies (0..1)",
    "bleu_4": "sentence BLEU-4 of the agent's replies against the gold replies (sacrebleu; 0..1)",
    **USER_FAULT_METRICS,
}


def graph_credit(gold: Sequence[GoldCall], history: Sequence[tuple[ToolCall, ToolResult]]) -> float:
    """Fraction of gold-plan steps the agent reached (see :func:`~coalm_env.backend.plan.matched_steps`)."""
    if not gold:
        return 0.0
    hits = matched_steps(gold, history)
    return sum(hits) / len(hits)


class GraphCredit:
    """:func:`graph_credit` for one episode, kept up to date as its history grows: each
    :meth:`update` matches only the calls made since the last one (:class:`~coalm_env.backend.plan.PlanMatcher`)."""

    def __init__(self, gold: Sequence[GoldCall]):
        self._matcher = PlanMatcher(gold) if gold else None

    def update(self, history: Sequence[tuple[ToolCall, ToolResult]]) -> float:
        if self._matcher is None:
            return 0.0
        hits = self._matcher.update(history)
        return sum(hits) / len(hits)


def dense_components(steps: Sequence[StepRecord], credit: float, turns: int) -> dict[str, float]:
    """The per-step shaping terms RL users can combine; all are cumulative over the episode so far."""
    calls = sum(len(s.calls) for s in steps)
    tool_errors = sum(1 for s in steps for r in s.results if not r.ok)
    return {
        "graph_credit": credit,
        "parse_errors": float(sum(1 for s in steps if s.kind == "error")),
        "tool_errors": float(tool_errors),
        "tool_calls": float(calls),
        "turns": float(turns),
        "steps": float(len(steps)),
    }


def _counts(steps: Sequence[StepRecord]) -> tuple[int, int, int]:
    """Calls, error results and parse errors of ``steps`` (one pass: this runs at every step)."""
    calls = errors = parse = 0
    for s in steps:
        calls += len(s.calls)
        for r in s.results:
            if not r.ok:
                errors += 1
        if s.kind == "error":
            parse += 1
    return calls, errors, parse


class DenseComponents:
    """:func:`dense_components` for one episode whose steps only grow: the steps before the last are
    counted once (the last may still gain calls, so it is counted at every call), so the cost per step
    does not grow with the dialogue. Another list, a shorter one or a replaced last counted step is
    counted afresh; earlier steps must not change (the env only appends steps and adds to the last)."""

    def __init__(self) -> None:
        self._steps: Any = None
        self._done = 0  # steps[:_done] are in _prefix
        self._mark: Any = None  # steps[_done - 1], to notice a replaced step
        self._prefix = (0, 0, 0)

    def __call__(self, steps: Sequence[StepRecord], credit: float, turns: int) -> dict[str, float]:
        stale = self._done and (len(steps) < self._done or steps[self._done - 1] is not self._mark)
        if steps is not self._steps or stale:
            self._steps, self._done, self._mark, self._prefix = steps, 0, None, (0, 0, 0)
        complete = max(self._done, len(steps) - 1)
        if complete > self._done:
            more = _counts(steps[self._done : complete])
            self._prefix = tuple(a + b for a, b in zip(self._prefix, more))  # type: ignore[assignment]
            self._done, self._mark = complete, steps[complete - 1]
        calls, tool_errors, parse_errors = (a + b for a, b in zip(self._prefix, _counts(steps[self._done :])))
        return {
            "graph_credit": credit,
            "parse_errors": float(parse_errors),
            "tool_errors": float(tool_errors),
            "tool_calls": float(calls),
            "turns": float(turns),
            "steps": float(len(steps)),
        }


def finalize_metrics(
    scored: Mapping[str, Any],
    stop_reason: StopReason | None,
    errors: Sequence[Mapping[str, Any]],
    components: Mapping[str, float],
    user_report: Mapping[str, Any] | None = None,
) -> dict[str, float]:
    """An episode's final metrics, the one rule the env and re-scoring share: the domain scorer's
    metrics (``scored``), ``success`` forced to 0 when the episode ended ``errored`` or on an internal
    error, the dense ``components`` merged in, ``internal_errors`` = recorded errors that are not
    LLM failures (``kind == "llm"``), and the user-fault flags when the user reported on itself
    (``trajectory.extra["user_metrics"]``, :mod:`coalm_env.scoring.user_faults`)."""
    metrics = dict(scored)
    if stop_reason in VOID_ENDINGS:
        metrics["success"] = 0.0
    metrics.update(components)
    metrics["internal_errors"] = float(sum(1 for e in errors if e.get("kind") != "llm"))
    metrics.update(user_fault_metrics(user_report, metrics.get("success", 0.0)))
    return metrics


def mean_metrics(rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Mean of every numeric metric over episodes (a key missing from an episode is skipped there)."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for row in rows:
        for key, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) or isinstance(value, bool):
                sums[key] = sums.get(key, 0.0) + float(value)
                counts[key] = counts.get(key, 0) + 1
    return {k: sums[k] / counts[k] for k in sorted(sums)}
