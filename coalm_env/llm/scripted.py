"""``scripted`` backend: a deterministic fake for testing users and policies without a model.

It answers from a list (in order, cycling when ``cycle``), a mapping from the last user message to an
answer, or a function ``(messages, tools, params, seed) -> str | Generation``; it records every prompt
it got in ``calls``. Text answers get their tool calls read by the project's one parser.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from coalm_env.errors import ConfigError, LLMError
from coalm_env.llm.base import BaseGenerator, Generation, SamplingParams, request_seeds
from coalm_env.llm.textutil import cut_at_stop, tool_calls_from_text

__all__ = ["ScriptedGenerator"]

Responder = Callable[[list[dict], "list[dict] | None", SamplingParams, "int | None"], "str | Generation"]


class ScriptedGenerator(BaseGenerator):
    """A fake backend.

    Args:
        responses: a list of answers, a ``{last user text: answer}`` mapping (key ``"*"`` is the
            default), or a function of ``(messages, tools, params, seed)``. An answer that is an
            exception instance is raised (e.g. ``LLMError`` to test the ``errored`` path).
        model: the name reported in results and ledgers.
        cycle: restart the list when it runs out (else running out raises ``LLMError``).
    """

    name = "scripted"

    def __init__(self, responses: Sequence[Any] | Mapping[str, Any] | Responder = ("OK",), *,
                 model: str = "scripted", params: SamplingParams | None = None, cycle: bool = False):
        super().__init__(model, params)
        if isinstance(responses, str):
            responses = [responses]
        self.responses = responses
        self.cycle = cycle
        self.calls: list[dict[str, Any]] = []
        self._next = 0
        self._lock = threading.Lock()

    def generate(self, batch, *, tools=None, params=None, seeds=None) -> list[Generation]:
        params = params or self.params
        return [self._one(m, tools, params, s) for m, s in zip(batch, request_seeds(len(batch), params, seeds))]

    def _one(self, messages, tools, params: SamplingParams, seed) -> Generation:
        with self._lock:
            self.calls.append({"messages": messages, "tools": tools, "params": params, "seed": seed})
            answer = self._answer(messages, tools, params, seed)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, Generation):
            return answer
        text = cut_at_stop(str(answer), params.stop)
        words = len(text.split())
        return Generation(text=text, tool_calls=tool_calls_from_text(text), completion_tokens=words,
                          prompt_tokens=sum(len(str(m.get("content") or "").split()) for m in messages),
                          finish_reason="stop")

    def _answer(self, messages, tools, params, seed) -> Any:
        if callable(self.responses):
            return self.responses(messages, tools, params, seed)
        if isinstance(self.responses, Mapping):
            last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
            if last in self.responses:
                return self.responses[last]
            if "*" in self.responses:
                return self.responses["*"]
            raise ConfigError(f"scripted generator has no answer for {last!r}", hint='add a "*" default')
        if self._next >= len(self.responses):
            if not self.cycle or not self.responses:
                return LLMError(f"scripted generator ran out of its {len(self.responses)} responses")
            self._next = 0
        self._next += 1
        return self.responses[self._next - 1]
