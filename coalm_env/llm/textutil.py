"""Small text helpers shared by the backends (no heavy imports)."""

from __future__ import annotations

from coalm_env.parsing import parse_action
from coalm_env.types import ToolCall

__all__ = ["cut_at_stop", "tool_calls_from_text"]


def cut_at_stop(text: str, stop: tuple[str, ...] | list[str]) -> str:
    """``text`` up to (not including) the earliest stop string, OpenAI-style."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return text if cut < 0 else text[:cut]


def tool_calls_from_text(text: str) -> list[ToolCall]:
    """Tool calls written in the completion, read by the project's one parser (none for a reply)."""
    parsed = parse_action(text)
    return parsed.calls if parsed.kind == "tool_calls" else []
