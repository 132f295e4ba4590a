"""BFCL V3 multi-turn entries and function docs, read through :mod:`coalm_env.data`.

An entry joins a question line (``BFCL_v3_multi_turn_<category>.json``) with its ground truth
(``possible_answer/...``): per turn the user text and the gold call strings, plus the backend
classes it involves, their ``initial_config`` and, for ``miss_func``, the held-out functions and
the turn that reveals them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from coalm_env import data
from coalm_env.errors import DataCorruptError, UnknownNameError

__all__ = [
    "CATEGORIES",
    "CLASS_STEMS",
    "REVEAL_TEXT",
    "BFCLEntry",
    "load_entries",
    "load_func_docs",
    "category_of",
]

CATEGORIES = ("base", "miss_func", "miss_param", "long_context")

#: backend class -> file stem of its function doc (``multi_turn_func_doc/<stem>.json``) and of its
#: source module in ``bfcl_eval/eval_checker/multi_turn_eval/func_source_code/<stem>.py``.
CLASS_STEMS = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}

#: The user text of a miss_func turn that adds the held-out functions (BFCL's FC wording; its
#: prompting handlers also paste the docs, which our observation lists as tools instead).
REVEAL_TEXT = "I have updated some more functions you can choose from. What about now?"


@dataclass
class BFCLEntry:
    """One multi-turn entry. ``turns[i]`` is the user text of turn ``i`` (``None`` for a miss_func
    reveal turn, which has no user message); ``ground_truth[i]`` its gold call strings."""

    id: str
    category: str
    turns: list[str | None]
    ground_truth: list[list[str]]
    initial_config: dict[str, Any]
    involved_classes: list[str]
    missed_function: dict[int, list[str]] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)

    @property
    def long_context(self) -> bool:
        """As BFCL decides: the category name (the id without its index) mentions long_context."""
        return "long_context" in self.id.rsplit("_", 1)[0]

    def held_out(self) -> set[str]:
        """Every function hidden at the start (revealed later by a user turn)."""
        return {name for names in self.missed_function.values() for name in names}


def category_of(entry_id: str) -> str:
    """``multi_turn_miss_func_12`` -> ``miss_func``."""
    stem = entry_id.rsplit("_", 1)[0].removeprefix("multi_turn_")
    if stem not in CATEGORIES:
        raise UnknownNameError("BFCL category", stem, CATEGORIES)
    return stem


def _turn_text(messages: list[dict[str, Any]]) -> str | None:
    texts = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
    return "\n".join(texts) if texts else None


def _entry(question: dict[str, Any], answer: dict[str, Any], category: str) -> BFCLEntry:
    return BFCLEntry(
        id=question["id"],
        category=category,
        turns=[_turn_text(t) for t in question["question"]],
        ground_truth=[list(t) for t in answer["ground_truth"]],
        initial_config=question.get("initial_config") or {},
        involved_classes=list(question["involved_classes"]),
        missed_function={int(k): list(v) for k, v in (question.get("missed_function") or {}).items()},
        path=list(question.get("path") or []),
    )


@functools.cache
def load_entries(category: str) -> tuple[BFCLEntry, ...]:
    """The entries of one category, in file order (cached per process)."""
    if category not in CATEGORIES:
        raise UnknownNameError("BFCL category", category, CATEGORIES)
    name = f"BFCL_v3_multi_turn_{category}.json"
    questions = data.read_jsonl("bfcl", name)
    answers = {a["id"]: a for a in data.read_jsonl("bfcl", "possible_answer", name)}
    missing = [q["id"] for q in questions if q["id"] not in answers]
    if missing:
        path = str(data.require("bfcl", "possible_answer", name))
        raise DataCorruptError(path, f"no ground truth for {missing[:3]}", "run `coalm-env data fetch bfcl --force`")
    return tuple(_entry(q, answers[q["id"]], category) for q in questions)


@functools.cache
def load_func_docs() -> dict[str, tuple[dict[str, Any], ...]]:
    """Backend class -> its function docs (``name``, ``description``, ``parameters``, ``response``)."""
    docs = {}
    for cls, stem in CLASS_STEMS.items():
        rows = data.read_jsonl("bfcl", "multi_turn_func_doc", f"{stem}.json")
        for lineno, row in enumerate(rows, 1):
            problem = _doc_problem(row)
            if problem:
                path = data.require("bfcl", "multi_turn_func_doc", f"{stem}.json")
                raise DataCorruptError(f"{path}:{lineno}", problem, "run `coalm-env data fetch bfcl --force`")
        docs[cls] = tuple(rows)
    return docs


def _doc_problem(row: Any) -> str | None:
    """Why a function-doc line cannot be used: its ``name`` becomes a method looked up on the backend
    object, so only a public method name (an identifier not starting with ``_``) is accepted; a
    ``__class__`` or ``_load_scenario`` would reach the backend's internals."""
    if not isinstance(row, dict):
        return f"a function doc must be a JSON object, got {type(row).__name__}"
    name = row.get("name")
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        return f"function name {name!r} is not a public method name (an identifier not starting with '_')"
    if not isinstance(row.get("parameters", {}), dict):
        return f"function {name!r}: 'parameters' must be a JSON object"
    return None
