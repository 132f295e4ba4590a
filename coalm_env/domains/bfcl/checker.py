"""BFCL's multi-turn verdict, decided as its official checker decides it, over safe execution.

For an entry and the model's calls (per turn, per step), the model's calls and the ground truth run
on two fresh sets of backend instances, turn by turn. The entry is valid when the model played as
many turns as the ground truth has (else ``force_terminated``: BFCL's harness quit after its step
limit) and every turn whose ground truth is non-empty passes, in this order:

1. ``empty_turn_model_response``: the model made at least one call in the turn;
2. ``instance_state_mismatch``: every public attribute of every instance equals the ground
   truth's after the turn;
3. ``execution_response_mismatch``: each ground-truth result of the turn occurs among the
   results of all the model's calls so far (a multiset, any order).

Turns whose ground truth is empty are not checked, but the model's calls there still run (so the
next turn's state check sees them). The first failing turn decides the verdict; the per-turn
results (every turn checked independently) give dense credit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.backend.graph import BackendSession
from coalm_env.domains.bfcl.calls import CallSyntaxError, parse_call
from coalm_env.domains.bfcl.entries import BFCLEntry
from coalm_env.domains.bfcl.runtime import execute, open_session, signatures
from coalm_env.types import ToolCall

__all__ = ["Verdict", "ModelTurns", "check_entry", "gold_calls", "state_differences", "missing_results"]

#: per turn, per step, the calls of that step (a call that did not parse stays as its error)
ModelTurns = Sequence[Sequence[Sequence[ToolCall | CallSyntaxError]]]

_MISSING = object()


@dataclass
class Verdict:
    """The verdict on one entry. ``turn_passed[i]`` is ``None`` for a turn BFCL does not check
    (empty ground truth), else whether turn ``i`` passed its checks (``False`` when not played)."""

    valid: bool
    error_type: str | None = None
    error_message: str | None = None
    turn_passed: list[bool | None] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def turn_accuracy(self) -> float:
        """Fraction of checked turns that passed: the dense credit."""
        checked = [p for p in self.turn_passed if p is not None]
        return sum(checked) / len(checked) if checked else float(self.valid)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": self.valid}
        if not self.valid:
            out.update(error_type=self.error_type, error_message=self.error_message)
        return out


def gold_calls(entry: BFCLEntry) -> list[list[ToolCall]]:
    """The ground truth as calls with named arguments, per turn."""
    sig = signatures(entry.involved_classes)
    return [[parse_call(text, sig) for text in turn] for turn in entry.ground_truth]


def state_differences(model: dict[str, Any], gold: dict[str, Any]) -> list[str]:
    """``Class.attribute`` for each public attribute of a gold instance the model's differs in."""
    diffs = []
    for cls, gold_instance in gold.items():
        for attr, value in vars(gold_instance).items():
            if not attr.startswith("_") and getattr(model[cls], attr, _MISSING) != value:
                diffs.append(f"{cls}.{attr}")
    return diffs


def missing_results(gold: Sequence[str], model: Sequence[str]) -> list[str]:
    """The gold results not found among the model's (each model result matches at most once)."""
    pool = list(model)
    missing = []
    for item in gold:
        if item in pool:
            pool.remove(item)
        else:
            missing.append(item)
    return missing


def _failure(turn: int, kind: str, message: str, **details: Any) -> Verdict:
    return Verdict(False, f"multi_turn:{kind}", message, details={"turn": turn, **details})


def _check_turn(
    i: int,
    steps: Sequence[Sequence[Any]],
    model: BackendSession,
    gold: BackendSession,
    so_far: list[str],
    gold_out: list[str],
) -> Verdict | None:
    if not any(len(step) for step in steps):
        return _failure(i, "empty_turn_model_response", f"Model response list is empty for turn {i}")
    diffs = state_differences(model.state.instances, gold.state.instances)
    if diffs:
        message = f"Model instance state differs from ground truth after turn {i}: {diffs}"
        return _failure(i, "instance_state_mismatch", message, differences=diffs)
    missing = missing_results(gold_out, so_far)
    if missing:
        message = f"Model results so far lack ground truth results of turn {i}"
        return _failure(i, "execution_response_mismatch", message, missing=missing)
    return None


def check_entry(entry: BFCLEntry, model_turns: ModelTurns) -> Verdict:
    """The official verdict on ``entry`` for ``model_turns`` (the model's calls, per turn, per step)."""
    model, gold = open_session(entry), open_session(entry)
    first: Verdict | None = None
    if len(model_turns) != len(entry.ground_truth):
        first = _failure(
            len(model_turns), "force_terminated",
            f"Model result has {len(model_turns)} turns; the ground truth has {len(entry.ground_truth)}",
        )
    passed: list[bool | None] = []
    so_far: list[str] = []
    for i, gold_turn in enumerate(gold_calls(entry)):
        steps = model_turns[i] if i < len(model_turns) else None
        for step in steps or ():
            so_far.extend(execute(model, call) for call in step)
        gold_out = [execute(gold, call) for call in gold_turn]
        if not gold_turn:
            passed.append(None)
            continue
        failed = _failure(i, "turn_not_played", f"turn {i} was not played") if steps is None else (
            _check_turn(i, steps, model, gold, so_far, gold_out)
        )
        passed.append(failed is None)
        first = first or failed
    verdict = first or Verdict(True)
    verdict.turn_passed = passed
    return verdict
