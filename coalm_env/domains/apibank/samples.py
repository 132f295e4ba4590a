"""API-Bank dialogues as :class:`~coalm_env.types.Scenario` objects.

A level-1/2 dialogue file is a list of ``User`` / ``AI`` / ``API`` turns. It is cut into *segments*:
segment ``s`` is everything the assistant does after user turn ``s`` and before user turn ``s+1``
(API calls, with the AI text just before each call as its thought, and the AI text after the last
call as the reply). A level-3 sample is one segment: the requirement, the gold calls, the response.

``scenario.meta`` holds ``level``, ``file``, ``steps`` (the gold calls: ``name``, ``input`` as the
API received it, recorded ``output``, ``segment``, ``thought``), ``replies`` (one per segment) and
``apis`` (the APIs the official level-1 prompt describes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from coalm_env import data
from coalm_env.types import Gold, GoldCall, Scenario

__all__ = ["load_scenarios", "LEVEL_DIRS", "gold_sources"]

LEVEL_DIRS = {1: "level-1-given-desc", 2: "level-2-toolsearcher"}
_DIALOGUE_ROOT = "lv1-lv2-samples"
#: old API names that dialogue file names still use
_RENAMED = {"GetReminder": "QueryReminder", "GetMeeting": "QueryMeeting"}


def load_scenarios(level: int) -> list[Scenario]:
    """Every scenario of ``level`` (1 and 2: one per non-empty dialogue file; 3: one per sample)."""
    if level == 3:
        rows = data.read_json("apibank", "test-data", "level-3.json")
        return [_level3_scenario(i, row) for i, row in enumerate(rows)]
    folder = data.require("apibank", _DIALOGUE_ROOT, LEVEL_DIRS[level])
    out = []
    for path in sorted(folder.glob("*.jsonl")):
        turns = data.read_jsonl("apibank", _DIALOGUE_ROOT, LEVEL_DIRS[level], path.name)
        if turns:
            out.append(_dialogue_scenario(level, path, turns))
    return out


def _file_apis(path: Path) -> list[str]:
    stem = re.split(r"-level-\d", path.stem)[0]
    return [_RENAMED.get(n, n) for n in stem.split("-") if n]


def _segments(turns: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    user_turns: list[str] = []
    steps: list[dict[str, Any]] = []
    replies: list[str] = []
    pending: list[str] = []  # AI texts since the last user turn or API call
    for turn in turns:
        role = turn["role"]
        if role == "User":
            if user_turns and not replies[-1] and not pending and not _has_calls(steps, len(user_turns) - 1):
                user_turns[-1] += " " + turn["text"]  # consecutive user turns read as one
                continue
            if user_turns:
                replies[-1] = " ".join(pending)
            user_turns.append(turn["text"])
            replies.append("")
            pending = []
        elif role == "AI":
            pending.append(turn["text"])
        elif role == "API":
            steps.append(_step(turn, max(len(user_turns) - 1, 0), " ".join(pending)))
            pending = []
    if user_turns:
        replies[-1] = " ".join(pending)
    return user_turns, steps, replies


def _has_calls(steps: list[dict[str, Any]], segment: int) -> bool:
    return any(s["segment"] == segment for s in steps)


def _step(turn: dict[str, Any], segment: int, thought: str) -> dict[str, Any]:
    result = turn.get("result") or {}
    received = result.get("input")
    arguments = received if isinstance(received, dict) else dict(turn.get("param_dict") or {})
    return {
        "name": turn["api_name"],
        "input": arguments,
        "output": result.get("output"),
        "exception": result.get("exception"),
        "segment": segment,
        "thought": thought,
    }


def _dialogue_scenario(level: int, path: Path, turns: list[dict[str, Any]]) -> Scenario:
    user_turns, steps, replies = _segments(turns)
    apis = sorted({*_file_apis(path), *(s["name"] for s in steps)})
    return _scenario(f"L{level}-{path.stem}", level, path.name, user_turns, steps, replies, apis)


def _level3_scenario(index: int, row: dict[str, Any]) -> Scenario:
    steps = []
    for api in row["apis"]:
        result = api["output"]
        steps.append({
            "name": api["api_name"],
            "input": dict(api["input"]),
            "output": result.get("output"),
            "exception": result.get("exception"),
            "segment": 0,
            "thought": "",
        })
    apis = sorted({s["name"] for s in steps})
    return _scenario(f"L3-{index}", 3, "level-3.json", [row["requirement"].strip()], steps, [row["response"]], apis)


def _scenario(sid, level, file, user_turns, steps, replies, apis) -> Scenario:
    gold = Gold(calls=[_gold_call(i, s, steps) for i, s in enumerate(steps)])
    return Scenario(
        id=sid,
        domain="apibank",
        split="test",
        goal={"request": user_turns[0] if user_turns else "", "apis": apis},
        tools=apis,
        gold=gold,
        user_turns=user_turns,
        meta={"level": level, "file": file, "steps": steps, "replies": replies, "apis": apis},
    )


def _gold_call(index: int, step: dict[str, Any], steps: list[dict[str, Any]]) -> GoldCall:
    if step["name"] == "ToolSearcher":  # any retrieval counts toward the plan; keywords are free text
        return GoldCall(name="ToolSearcher")
    sources = gold_sources(step, steps[:index])
    arguments = {k: v for k, v in step["input"].items() if k not in sources}
    return GoldCall(name=step["name"], arguments=arguments, sources=sources)


def gold_sources(step: dict[str, Any], earlier: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Parameters of ``step`` whose value an earlier gold call returned: ``{param: [index, path]}``."""
    sources: dict[str, list[Any]] = {}
    for param, value in step["input"].items():
        if not _linkable(value):
            continue
        for index in range(len(earlier) - 1, -1, -1):
            if earlier[index]["name"] == "ToolSearcher":
                continue
            path = find_value(earlier[index]["output"], value)
            if path is not None:
                sources[param] = [index, path]
                break
    return sources


def _linkable(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return len(value.strip()) >= 3 and value.strip().lower() not in {"success", "failed"}
    if isinstance(value, list):
        return bool(value) and all(_linkable(v) for v in value)
    return isinstance(value, (int, float))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return isinstance(a, str) and isinstance(b, str) and a.strip() == b.strip()


def find_value(output: Any, value: Any, path: str = "") -> str | None:
    """The dotted path of ``value`` inside ``output`` (list items as indices), or None."""
    if isinstance(output, dict):
        for key, item in output.items():
            if str(key).isdigit():  # a numeric key (an appointment id) would read as a list index
                continue
            found = find_value(item, value, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(output, list):
        if isinstance(value, list) and output == value:
            return path
        for i, item in enumerate(output):
            found = find_value(item, value, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
        return None
    return path if _same(output, value) else None
