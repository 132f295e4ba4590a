"""The generation interface every backend implements: sampling parameters, one result type, a protocol.

Nothing here imports a heavy package; backends import theirs inside their constructors.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Protocol, runtime_checkable

from coalm_env.errors import ConfigError
from coalm_env.types import ToolCall

__all__ = ["SamplingParams", "Generation", "Generator", "BaseGenerator", "request_seeds"]


@dataclass(frozen=True)
class SamplingParams:
    """How to sample one completion.

    Attributes:
        temperature: 0 means greedy decoding (the seed is then irrelevant).
        top_p: nucleus threshold in (0, 1].
        max_tokens: most tokens to generate.
        stop: strings that end the completion; the text returned stops before the first one.
        seed: the default per-request seed when ``generate`` gets no ``seeds``.
    """

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.stop, str):
            object.__setattr__(self, "stop", (self.stop,))
        else:
            object.__setattr__(self, "stop", tuple(self.stop))
        if self.temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if int(self.max_tokens) < 1:
            raise ConfigError(f"max_tokens must be >= 1, got {self.max_tokens}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> tuple[SamplingParams, dict[str, Any]]:
        """Split ``options`` into sampling parameters and the rest (backend options)."""
        names = {f.name for f in fields(cls)}
        mine = {k: v for k, v in options.items() if k in names}
        return cls(**mine), {k: v for k, v in options.items() if k not in names}

    def with_seed(self, seed: int | None) -> SamplingParams:
        return replace(self, seed=seed)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["stop"] = list(self.stop)
        return out


@dataclass
class Generation:
    """One completion. Token ids and logprobs are those of the completion only (not the prompt).

    ``error`` is set (and the text may be empty) when the backend answered but the answer was
    unusable (empty, malformed tool-call arguments); transport failures raise :class:`LLMError` instead.
    """

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    token_ids: list[int] | None = None
    prompt_ids: list[int] | None = None
    logprobs: list[float] | None = None
    finish_reason: str | None = None
    error: str | None = None
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Generation:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["tool_calls"] = [ToolCall.from_dict(c) for c in data.get("tool_calls") or []]
        return cls(**data)


@runtime_checkable
class Generator(Protocol):
    """A chat-completion backend. ``name`` is the backend (``hf``, ``openai``...), ``model`` the model."""

    name: str
    model: str

    def generate(self, batch: list[list[dict]], *, tools: list[dict] | None = None,
                 params: SamplingParams | None = None, seeds: list[int] | None = None) -> list[Generation]:
        """One completion per message list, in order. Sync: offline engines batch the whole list."""
        ...

    async def agenerate(self, messages: list[dict], *, tools: list[dict] | None = None,
                        params: SamplingParams | None = None, seed: int | None = None) -> Generation:
        """One completion, for async runners (servers overlap many of these)."""
        ...


class BaseGenerator:
    """Shared defaults: sampling parameters given at construction, ``agenerate`` via a thread."""

    name = "base"

    def __init__(self, model: str, params: SamplingParams | None = None):
        self.model = model
        self.params = params or SamplingParams()

    def generate(self, batch, *, tools=None, params=None, seeds=None) -> list[Generation]:
        raise NotImplementedError

    async def agenerate(self, messages, *, tools=None, params=None, seed=None) -> Generation:
        seeds = None if seed is None else [seed]
        out = await asyncio.to_thread(self.generate, [messages], tools=tools, params=params, seeds=seeds)
        return out[0]

    def close(self) -> None:
        """Release what the backend holds (clients, engines); a no-op by default."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, params={self.params})"


def request_seeds(n: int, params: SamplingParams, seeds: list[int] | None) -> list[int | None]:
    """The seed of each of ``n`` requests: ``seeds`` when given, else ``params.seed`` for all."""
    if seeds is None:
        return [params.seed] * n
    if len(seeds) != n:
        raise ConfigError(f"got {len(seeds)} seeds for a batch of {n} requests")
    return list(seeds)
