"""BFCL entries as :class:`~coalm_env.types.Scenario` objects.

``user_turns[i]`` is the text of user turn ``i`` (a miss_func reveal turn, which has no user message
in BFCL, says :data:`~coalm_env.domains.bfcl.entries.REVEAL_TEXT`). ``meta["turn_meta"][i]`` tells a
user simulator what turn ``i`` is:

- ``kind``: ``"request"``; ``"reveal"`` (miss_func: the held-out functions in ``reveal`` join the
  tool list); ``"no_call_expected"`` (empty ground truth: the agent should say it cannot do it, e.g.
  a missing function or parameter); ``"follow_up"`` (miss_param: the turn after a
  ``no_call_expected`` turn, which supplies the missing value);
- ``expects_calls``: whether the ground truth of the turn has calls.

``goal["turns"][i]`` holds the same as a structured request (``request`` text, ``expected_calls``
as named-argument call strings), so a goal-driven user can phrase the requests itself.
"""

from __future__ import annotations

from typing import Any

from coalm_env.domains.bfcl.apis import functions_of
from coalm_env.domains.bfcl.checker import gold_calls
from coalm_env.domains.bfcl.entries import REVEAL_TEXT, BFCLEntry
from coalm_env.types import Gold, GoldCall, Scenario, ToolCall

__all__ = ["to_scenario", "turn_meta", "SPLIT"]

SPLIT = "test"


def _has_calls(entry: BFCLEntry, i: int) -> bool:
    return i < len(entry.ground_truth) and bool(entry.ground_truth[i])


def _kind(entry: BFCLEntry, i: int) -> str:
    if i in entry.missed_function:
        return "reveal"
    if not _has_calls(entry, i):
        return "no_call_expected"
    if entry.category == "miss_param" and i > 0 and not _has_calls(entry, i - 1):
        return "follow_up"
    return "request"


def turn_meta(entry: BFCLEntry) -> list[dict[str, Any]]:
    """Per user turn: ``turn``, ``kind``, ``expects_calls`` and (reveal turns) ``reveal``."""
    out = []
    for i in range(len(entry.turns)):
        meta: dict[str, Any] = {
            "turn": i,
            "kind": _kind(entry, i),
            "expects_calls": _has_calls(entry, i),
        }
        if i in entry.missed_function:
            meta["reveal"] = list(entry.missed_function[i])
        out.append(meta)
    return out


def _goal(
    entry: BFCLEntry, texts: list[str], calls: list[list[ToolCall]], meta: list[dict[str, Any]]
) -> dict[str, Any]:
    turns = []
    for i, text in enumerate(texts):
        expected = calls[i] if i < len(calls) else []
        turns.append({**meta[i], "request": text, "expected_calls": [c.signature() for c in expected]})
    return {"category": entry.category, "involved_classes": list(entry.involved_classes), "turns": turns}


def to_scenario(entry: BFCLEntry, calls: list[list[ToolCall]] | None = None) -> Scenario:
    """The scenario of one entry (gold plan = every ground-truth call, in order); ``calls`` is the
    parsed ground truth when the caller has it already."""
    calls = gold_calls(entry) if calls is None else calls
    texts = [REVEAL_TEXT if text is None else text for text in entry.turns]
    meta = turn_meta(entry)
    hidden = entry.held_out()
    tools = [n for n in functions_of(entry.involved_classes) if n not in hidden]  # shown at start
    gold = Gold(
        calls=[GoldCall(c.name, dict(c.arguments)) for turn in calls for c in turn],
        extra={"ground_truth": [list(t) for t in entry.ground_truth]},
    )
    return Scenario(
        id=entry.id,
        domain="bfcl",
        split=SPLIT,
        goal=_goal(entry, texts, calls, meta),
        tools=tools,
        gold=gold,
        initial_state={"initial_config": entry.initial_config, "long_context": entry.long_context},
        user_turns=texts,
        meta={
            "category": entry.category,
            "involved_classes": list(entry.involved_classes),
            "missed_function": {str(k): v for k, v in entry.missed_function.items()},
            "turn_meta": meta,
        },
    )
