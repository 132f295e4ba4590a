"""The random policy: a floor for every metric. Each step it either calls a random visible tool with
arguments drawn from the tool's JSON schema, or sends a random short reply.

Deterministic for a seed: each episode (keyed by ``info["episode_id"]``) has its own generator seeded
from ``seed`` and a stable hash of the episode id, so results do not depend on batch composition.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from coalm_env.types import ToolCall

__all__ = ["RandomPolicy", "REPLIES"]

REPLIES = (
    "Hello, how can I help you?", "Could you tell me more?", "I see.", "Okay.", "Sure, one moment.",
    "Sorry, I did not catch that.", "Is there anything else?", "That sounds good.", "Let me check.",
    "Goodbye!", "What would you like to do?", "Thank you.",
)
_WORDS = ("north", "cheap", "hotel", "train", "monday", "centre", "two", "table", "park", "station", "red", "blue")
_MAX_EPISODES = 4096  # generators kept; older episodes are dropped first


def _stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


class RandomPolicy:
    """Random tool calls and replies.

    Args:
        seed: root seed.
        p_call: probability that a step is a tool call (when tools are visible) rather than a reply.
    """

    name = "random"
    privileged = False

    def __init__(self, seed: int = 0, p_call: float = 0.5):
        if not 0.0 <= float(p_call) <= 1.0:
            raise ValueError(f"p_call must be in [0, 1], got {p_call}")
        self.seed = int(seed)
        self.p_call = float(p_call)
        self._rngs: OrderedDict[str, np.random.Generator] = OrderedDict()

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]] | None = None) -> list:
        """One random action per observation."""
        infos = infos if infos is not None else [{} for _ in observations]
        return [self._one(obs, info) for obs, info in zip(observations, infos)]

    def _rng(self, info: Mapping[str, Any]) -> np.random.Generator:
        key = str(info.get("episode_id") or "")
        rng = self._rngs.get(key)
        if rng is None:
            rng = np.random.default_rng([self.seed, _stable_hash(key)])
            self._rngs[key] = rng
            while len(self._rngs) > _MAX_EPISODES:
                self._rngs.popitem(last=False)
        return rng

    def _one(self, obs: Mapping[str, Any], info: Mapping[str, Any]) -> Any:
        rng = self._rng(info)
        tools = _tools(obs)
        if tools and rng.random() < self.p_call:
            fn = tools[int(rng.integers(len(tools)))]["function"]
            return [ToolCall(fn["name"], random_arguments(fn.get("parameters") or {}, rng))]
        return REPLIES[int(rng.integers(len(REPLIES)))]


def _tools(obs: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = obs.get("tools") or "[]"
    try:
        tools = json.loads(raw) if isinstance(raw, str) else list(raw)
    except json.JSONDecodeError:
        return []
    return [t for t in tools if isinstance(t, dict) and isinstance(t.get("function"), dict) and "name" in t["function"]]


def random_arguments(schema: Mapping[str, Any], rng: np.random.Generator, depth: int = 0) -> dict[str, Any]:
    """Arguments for an object schema: every required property, each optional one with probability 1/2."""
    props = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    return {name: random_value(spec, rng, depth) for name, spec in props.items()
            if name in required or rng.random() < 0.5}


def random_value(spec: Mapping[str, Any], rng: np.random.Generator, depth: int = 0) -> Any:
    """A value for one JSON-schema property: an enum member, a time for ``HH:MM`` patterns, else by type."""
    if spec.get("enum"):
        return spec["enum"][int(rng.integers(len(spec["enum"])))]
    kind = spec.get("type", "string")
    kind = kind[int(rng.integers(len(kind)))] if isinstance(kind, list) and kind else kind
    if kind == "string" and ":" in str(spec.get("pattern", "")):
        return f"{int(rng.integers(24)):02d}:{int(rng.integers(12)) * 5:02d}"
    if kind == "integer":
        return int(rng.integers(0, 10))
    if kind == "number":
        return float(np.round(rng.uniform(0, 100), 2))
    if kind == "boolean":
        return bool(rng.random() < 0.5)
    if kind == "array":
        return [random_value(spec.get("items") or {}, rng, depth + 1) for _ in range(int(rng.integers(0, 3)))] \
            if depth < 3 else []
    if kind == "object":
        return random_arguments(spec, rng, depth + 1) if depth < 3 else {}
    words = rng.choice(len(_WORDS), size=int(rng.integers(1, 3)))
    return " ".join(_WORDS[int(i)] for i in words)
