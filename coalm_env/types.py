"""Core data types shared by every layer: messages, tool calls, scenarios and trajectories.

Everything here is a plain dataclass that round-trips through JSON with ``to_dict`` /
``from_dict``; nothing here imports the env, a domain, a simulator or a policy.
"""

from __future__ import annotations

import enum
import json
import math
import reprlib
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

from coalm_env.limits import int_placeholder, int_too_long, truncate

__all__ = [
    "ToolCall",
    "ToolResult",
    "Message",
    "GoldCall",
    "Gold",
    "Scenario",
    "StopReason",
    "StepKind",
    "StepRecord",
    "AgentAction",
    "Trajectory",
    "UserTurn",
    "to_json",
    "json_safe",
    "safe_value_repr",
]


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass
class ToolCall:
    """One call of an API: ``name(**arguments)``. ``id`` links it to its tool message."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": self.arguments}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        return cls(**_known(cls, data))

    def signature(self) -> str:
        """Python-style rendering, as in CoALM-IT ``Action:`` lines: ``f(a='x', b=2)``."""
        args = ", ".join(f"{k}={safe_value_repr(v)}" for k, v in self.arguments.items())
        return f"{self.name}({args})"


#: ``json.dumps(..., ensure_ascii=False, default=str)`` without building an encoder per call
_CONTENT_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


@dataclass
class ToolResult:
    """What an API call returned: a value when ``ok``, else a structured ``error``.

    ``error`` has ``type`` (stable snake_case, e.g. ``unknown_tool``, ``invalid_arguments``,
    ``not_found``, ``booking_failed``), ``message`` (for the agent) and optional ``details``.
    """

    ok: bool
    value: Any = None
    error: dict[str, Any] | None = None

    @classmethod
    def success(cls, value: Any) -> ToolResult:
        return cls(ok=True, value=value)

    @classmethod
    def failure(cls, type_: str, message: str, **details: Any) -> ToolResult:
        err: dict[str, Any] = {"type": type_, "message": message}
        if details:
            err["details"] = details
        return cls(ok=False, error=err)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "value": self.value, "error": self.error}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolResult:
        return cls(**_known(cls, data))

    def content(self) -> str:
        """The text an agent sees in the tool message."""
        payload = self.value if self.ok else {"error": self.error}
        try:
            return _CONTENT_ENCODER.encode(payload)  # json.dumps(payload, ensure_ascii=False, default=str)
        except (ValueError, RecursionError):  # an integer too long to print, a cycle: the safe copy
            return json.dumps(json_safe(payload), ensure_ascii=False)

    def bounded(self, max_chars: int) -> ToolResult:
        """This result, or where its :meth:`content` is longer than ``max_chars``, a result whose value
        is that content truncated with :data:`coalm_env.limits.TRUNCATION_MARK` (the error kept)."""
        text = self.content()
        if len(text) <= max_chars:
            return self
        payload = json_safe(self.value if self.ok else self.error)
        for share in (4, 16, 64):  # long strings cut (marked), long lists shortened (a marker item)
            small = _shrink(payload, max(8, max_chars // share))
            out = ToolResult(ok=True, value=small) if self.ok else ToolResult(ok=False, error=small)
            if len(out.content()) <= max_chars + 200:
                return out
        if self.ok:
            return ToolResult(ok=True, value=truncate(text, max_chars))
        error = self.error if isinstance(self.error, dict) else {}
        return ToolResult(ok=False, error={"type": str(error.get("type", "error"))[:100],
                                           "message": truncate(str(error.get("message", "")), max_chars)})


def _shrink(value: Any, size: int) -> Any:
    """``value`` (already JSON-safe) with strings over ``size`` characters truncated and lists over
    ``size // 8`` items shortened, each cut marked."""
    if isinstance(value, str):
        return truncate(value, size)
    if isinstance(value, dict):
        return {k: _shrink(v, size) for k, v in value.items()}
    if isinstance(value, list):
        keep = max(1, size // 8)
        head = [_shrink(v, size) for v in value[:keep]]
        return head + [f"[... {len(value) - keep} more items truncated ...]"] if len(value) > keep else head
    return value


@dataclass
class Message:
    """An OpenAI-style chat message (``system``, ``user``, ``assistant`` or ``tool``)."""

    role: str
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        calls = [ToolCall.from_dict(c) for c in data.get("tool_calls") or []]
        return cls(
            role=data["role"],
            content=data.get("content") or "",
            tool_calls=calls,
            tool_call_id=data.get("tool_call_id"),
            name=data.get("name"),
        )

    def to_openai(self) -> dict[str, Any]:
        """The exact dict shape chat templates and OpenAI-compatible servers expect."""
        out = self.to_dict()
        if self.tool_calls:
            out["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.tool_calls
            ]
        return out


@dataclass
class GoldCall:
    """A call of the gold plan. ``sources`` maps a parameter to ``[step_index, field_path]``:
    the argument is the value found at ``field_path`` in the result of gold step ``step_index``
    (a data-dependency edge of the API graph). Parameters in ``sources`` are not in ``arguments``.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, list[Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GoldCall:
        return cls(**_known(cls, data))


@dataclass
class Gold:
    """What success looks like: required calls (a plan), and/or an end state, and requested info.

    ``requested``: per domain, the slots the user asks for (task-oriented domains: the goal's ``reqt``;
    their scorers read them here). ``end_state``: domain-shaped, ``None`` where the domain has none or
    has not computed it yet (API-Bank: ``{"state_hash": ...}`` of the backend after the gold calls,
    filled on first scoring; compared as the ``end_state_match`` metric).
    """

    calls: list[GoldCall] = field(default_factory=list)
    end_state: dict[str, Any] | None = None
    requested: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": [c.to_dict() for c in self.calls],
            "end_state": self.end_state,
            "requested": self.requested,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Gold:
        return cls(
            calls=[GoldCall.from_dict(c) for c in data.get("calls") or []],
            end_state=data.get("end_state"),
            requested=data.get("requested") or {},
            extra=data.get("extra") or {},
        )


@dataclass
class Scenario:
    """One task: a structured user goal, the initial backend state, the tools and the gold.

    ``goal`` is domain-shaped (task-oriented domains use the MultiWOZ goal layout); ``tools``
    are the API names visible at the start; ``user_turns`` holds dataset turns for replay users.
    """

    id: str
    domain: str
    split: str
    goal: dict[str, Any]
    tools: list[str]
    gold: Gold = field(default_factory=Gold)
    initial_state: dict[str, Any] = field(default_factory=dict)
    user_turns: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["gold"] = self.gold.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        data = dict(data)
        data["gold"] = Gold.from_dict(data.get("gold") or {})
        return cls(**_known(cls, data))


class StopReason(str, enum.Enum):
    """Why an episode ended. Values are stable strings written into trajectories."""

    GOAL_MET = "goal_met"  # the user is satisfied and says goodbye
    USER_GAVE_UP = "user_gave_up"  # the user lost patience or saw no way forward
    USER_ENDED = "user_ended"  # the user ended without the goal met (e.g. replay ran out)
    MAX_TURNS = "max_turns"  # truncation: the turn cap was reached
    MAX_STEPS = "max_steps"  # truncation: too many agent steps within one user turn
    AGENT_ENDED = "agent_ended"  # the agent closed the conversation
    ERRORED = "errored"  # an LLM backend failed after retries
    INTERNAL_ERROR = "internal_error"  # a bug in coalm-env or a plug-in; traceback recorded

    @property
    def truncated(self) -> bool:
        return self in (StopReason.MAX_TURNS, StopReason.MAX_STEPS)


@dataclass
class UserTurn:
    """A simulated user's answer. ``stop`` set means the user ends the episode with that reason.

    ``state`` is the simulator's private per-episode state, handed back on the next call.
    """

    text: str
    stop: StopReason | None = None
    state: Any = None
    acts: list[Any] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


class StepKind(enum.StrEnum):
    """How an agent action parsed. Values are the stable strings written into trajectories."""

    TOOL_CALLS = "tool_calls"  # one or more API calls, executed on the backend
    REPLY = "reply"  # a message to the user
    ERROR = "error"  # unparseable: an error observation and a counted parse error
    END = "end"  # the agent ended the conversation without a final message (``end_conversation()``)


@dataclass
class AgentAction:
    """An action plus what the generation backend recorded for it (token ids, logprobs, latency...).

    ``action`` is any other :data:`~coalm_env.protocols.Action` (text, a ``Message``, tool calls);
    ``extra`` is stored, JSON-safe, in the step's :attr:`StepRecord.extra`.
    """

    action: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepRecord:
    """One env step: the raw action, how it parsed, what the tools returned, what the user said.

    ``extra`` holds what the policy's generation backend recorded for the action (see
    :class:`AgentAction`), e.g. ``{"token_ids": [...], "logprobs": [...], "latency_s": 0.4}``.
    """

    t: int
    turn: int
    action: Any
    kind: StepKind
    calls: list[ToolCall] = field(default_factory=list)
    results: list[ToolResult] = field(default_factory=list)
    reply: str | None = None
    user_reply: str | None = None
    parse_error: str | None = None
    reward: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kind = StepKind(self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "turn": self.turn,
            "action": self.action,
            "kind": self.kind.value,
            "calls": [c.to_dict() for c in self.calls],
            "results": [r.to_dict() for r in self.results],
            "reply": self.reply,
            "user_reply": self.user_reply,
            "parse_error": self.parse_error,
            "reward": self.reward,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepRecord:
        data = dict(data)
        data["calls"] = [ToolCall.from_dict(c) for c in data.get("calls") or []]
        data["results"] = [ToolResult.from_dict(r) for r in data.get("results") or []]
        data["extra"] = dict(data.get("extra") or {})
        return cls(**_known(cls, data))


@dataclass
class Trajectory:
    """A whole episode, JSON round-trippable: enough to re-score it without the env."""

    env_id: str
    scenario_id: str
    domain: str
    split: str
    messages: list[Message] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    stop_reason: StopReason | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    reward: float = 0.0
    seeds: dict[str, int] = field(default_factory=dict)
    version: str = ""
    user: str = ""
    policy: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "env_id": self.env_id,
            "scenario_id": self.scenario_id,
            "domain": self.domain,
            "split": self.split,
            "messages": [m.to_dict() for m in self.messages],
            "steps": [s.to_dict() for s in self.steps],
            "stop_reason": self.stop_reason.value if self.stop_reason else None,
            "metrics": self.metrics,
            "reward": self.reward,
            "seeds": self.seeds,
            "version": self.version,
            "user": self.user,
            "policy": self.policy,
            "options": self.options,
            "errors": self.errors,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trajectory:
        data = dict(data)
        data["messages"] = [Message.from_dict(m) for m in data.get("messages") or []]
        data["steps"] = [StepRecord.from_dict(s) for s in data.get("steps") or []]
        stop = data.get("stop_reason")
        data["stop_reason"] = StopReason(stop) if stop else None
        return cls(**_known(cls, data))

    def to_json(self) -> str:
        return to_json(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Trajectory:
        return cls.from_dict(json.loads(text))


def _safe_text(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:  # lone surrogates (e.g. a model's "\ud800" JSON escape)
        return text.encode("utf-8", "replace").decode("utf-8")


def safe_value_repr(value: Any) -> str:
    """``repr(value)`` (exact, as Python call syntax needs it), or where that fails (an integer too
    long to print, a ``__repr__`` that raises, a cycle too deep) the repr of :func:`json_safe`'s copy."""
    try:
        return repr(value)
    except Exception:
        try:
            return repr(json_safe(value))
        except Exception:
            return f"<{type(value).__name__}>"


class _BoundedRepr(reprlib.Repr):
    """:mod:`reprlib` bounds, applied inside dataclasses too (their own repr is unbounded) and to
    integers too long to print."""

    def repr_int(self, x: int, level: int) -> str:
        return int_placeholder(x) if int_too_long(x) else super().repr_int(x, level)

    def repr_instance(self, x: Any, level: int) -> str:
        if is_dataclass(x) and not isinstance(x, type):
            if level <= 0:
                return f"{type(x).__name__}(...)"
            inner = ", ".join(f"{f.name}={self.repr1(getattr(x, f.name, None), level - 1)}" for f in fields(x)[:6])
            return f"{type(x).__name__}({inner})"
        return super().repr_instance(x, level)


_BOUNDED_REPR = _BoundedRepr()


def _safe_repr(value: Any) -> str:
    try:
        text = _BOUNDED_REPR.repr(value)
    except Exception:  # a __repr__ that raises must not take the episode down
        return f"<{type(value).__name__}>"
    # default object reprs carry a memory address: not reproducible across runs
    return f"<{type(value).__name__}>" if " at 0x" in text else _safe_text(text)


def _safe_key(key: Any) -> str:
    if isinstance(key, str):
        return _safe_text(key)
    if isinstance(key, int) and int_too_long(key):
        return int_placeholder(key)
    return str(key) if key is None or isinstance(key, (bool, int, float)) else _safe_repr(key)


#: values :func:`json_safe` copies at most (every visit counted: shared references cannot blow it up)
JSON_SAFE_MAX_VALUES = 200_000


def json_safe(value: Any, max_depth: int = 64, _budget: list[int] | None = None) -> Any:
    """A detached copy of ``value`` that serialises as strict UTF-8 JSON: lone surrogates replaced,
    NaN/inf as strings, tuples/sets as lists, non-string keys as strings, anything else (or anything
    nested deeper than ``max_depth``) as a short ``repr``. Used on everything an agent or a backend
    hands the env before it is stored. Integers too long to print become ``"<int of ~N digits>"``;
    past :data:`JSON_SAFE_MAX_VALUES` values (shared references counted at each visit) the rest is
    ``"<truncated>"``."""
    if isinstance(value, str):
        return _safe_text(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int_placeholder(value) if int_too_long(value) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if max_depth <= 0:
        return _safe_repr(value)
    budget = [JSON_SAFE_MAX_VALUES] if _budget is None else _budget
    budget[0] -= 1
    if budget[0] < 0:
        return "<truncated>"
    if isinstance(value, dict):
        return {_safe_key(k): json_safe(v, max_depth - 1, budget) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=safe_value_repr) if isinstance(value, (set, frozenset)) else value
        return [json_safe(v, max_depth - 1, budget) for v in items]
    return _safe_repr(value)


def to_json(obj: Any) -> str:
    """JSON with UTF-8 kept. Keys keep their insertion order (tool-call arguments stay as the agent wrote
    them); everything we build is built in a deterministic order, so the same episode gives the same text.
    Anything not strict JSON (NaN, lone surrogates, objects) is written through :func:`json_safe`."""
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
        return text
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        return json.dumps(json_safe(obj), ensure_ascii=False)
