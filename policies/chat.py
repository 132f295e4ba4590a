"""``chat``: chat-template tool calling, for instruction-tuned models (Qwen, Llama 3.x, Hermes, GPT...).

The messages are the observation's structured conversation (OpenAI shape: system prompt, user turns,
assistant turns with ``tool_calls``, ``tool`` results) and the tools are the observation's schemas plus
the reserved ``end_conversation``; the backend applies the model's chat template (``hf``/``vllm``) or the
server does (``openai``). The action is the completion text when the one parser reads calls in it
(Hermes ``<tool_call>`` blocks, Llama JSON ``{"name": ..., "parameters": ...}``, Python call lists)
or when there are none (a reply); else the backend's structured ``tool_calls`` (servers that parse
calls themselves and return no text).

Spec: ``chat:BACKEND:MODEL[,sampling options][,seed=N]``, e.g. ``chat:openai:MODEL@http://127.0.0.1:8000/v1``.
"""

from __future__ import annotations

import json
from typing import Any

from coalm_env.llm.base import Generation
from coalm_env.parsing import parse_action
from coalm_env.render import END_CONVERSATION_TOOL, messages_from_observation
from coalm_env.types import Message, StepKind
from policies.llm_base import LLMPolicy

__all__ = ["ChatPolicy"]


class ChatPolicy(LLMPolicy):
    """Chat-template tool calling (see the module docstring)."""

    name = "chat"

    def request(self, obs: dict[str, Any]) -> tuple[list[dict], list[dict]]:
        messages = [m.to_openai() for m in messages_from_observation(obs)]
        return messages, [*json.loads(obs["tools"]), END_CONVERSATION_TOOL]

    def action(self, gen: Generation) -> Any:
        if gen.tool_calls and parse_action(gen.text).kind != StepKind.TOOL_CALLS:
            return Message(role="assistant", content=gen.text.strip(), tool_calls=list(gen.tool_calls))
        return gen.text
