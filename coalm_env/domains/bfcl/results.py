"""Rescoring BFCL result files (``{"id": ..., "result": [turn][step]}`` JSON lines) with the checker.

Steps are decoded as BFCL's evaluator does: a step that does not decode (chat text) or decodes to
no call is dropped; a result that is not a list is an ``inference_error``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from coalm_env.domains.bfcl.calls import CallSyntaxError, decode_step
from coalm_env.domains.bfcl.checker import ModelTurns, Verdict, check_entry
from coalm_env.domains.bfcl.entries import CATEGORIES, BFCLEntry, category_of, load_entries
from coalm_env.domains.bfcl.runtime import signatures
from coalm_env.errors import ConfigError

__all__ = ["EntryScore", "decode_result", "score_results", "category_accuracy"]


@dataclass
class EntryScore:
    """The verdict on one result-file entry."""

    id: str
    category: str
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **self.verdict.to_dict()}


def _decode_turn(turn: Any, entry: BFCLEntry) -> list[list[Any]]:
    sig = signatures(entry.involved_classes)
    steps = []
    for item in turn if isinstance(turn, list) else [turn]:
        try:
            calls = decode_step(item, sig)
        except CallSyntaxError:
            continue
        if calls:
            steps.append(calls)
    return steps


def decode_result(result: Any, entry: BFCLEntry) -> ModelTurns | None:
    """The decoded calls per turn, per step; ``None`` when ``result`` is not a list of turns."""
    if not isinstance(result, list):
        return None
    return [_decode_turn(turn, entry) for turn in result]


def _entries_by_id(ids: Iterable[str]) -> dict[str, BFCLEntry]:
    categories = {category_of(i) for i in ids}
    return {e.id: e for c in CATEGORIES if c in categories for e in load_entries(c)}


def score_results(rows: Iterable[dict[str, Any]]) -> list[EntryScore]:
    """Verdicts for result-file rows (each with ``id`` and ``result``), in input order."""
    rows = list(rows)
    for row in rows:
        if not isinstance(row, dict) or "id" not in row or "result" not in row:
            raise ConfigError("each result line must be a JSON object with 'id' and 'result'")
    entries = _entries_by_id(str(r["id"]) for r in rows)
    scores = []
    for row in rows:
        entry = entries.get(str(row["id"]))
        if entry is None:
            raise ConfigError(f"unknown BFCL multi-turn id {row['id']!r}")
        turns = decode_result(row["result"], entry)
        verdict = (
            check_entry(entry, turns)
            if turns is not None
            else Verdict(False, "multi_turn:inference_error", "Model did not output a list of model responses.")
        )
        scores.append(EntryScore(entry.id, entry.category, verdict))
    return scores


def category_accuracy(scores: Iterable[EntryScore]) -> dict[str, tuple[int, int]]:
    """``{category: (valid, scored)}`` in BFCL's category order."""
    counts: dict[str, list[int]] = {}
    for s in scores:
        pair = counts.setdefault(s.category, [0, 0])
        pair[0] += int(s.verdict.valid)
        pair[1] += 1
    return {c: (counts[c][0], counts[c][1]) for c in CATEGORIES if c in counts}
