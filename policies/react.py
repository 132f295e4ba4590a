"""``react``: the CoALM-IT conversational ReAct (CRA) layout, for CoALM models and any completion model.

The prompt (one user message) holds four bracketed blocks, as in CoALM-IT's CRA samples:

- ``[Instruction]``: a conversational API-calling assistant, then the domain's system prompt;
- ``[Available tools]``: numbered Python-style signatures, ``1. find_hotel(area=None, ...): ...``;
- ``[Format]``: ``Thought:`` then ``Action: function_name(argument1=value1, ...)``, or ``Thought:`` then
  ``Response: <reply>`` (CoALM-IT writes ``System:``; both are read);
- ``[Conversation history]``: ``User:`` / ``Thought:`` / ``Action:`` / ``Observation:`` / ``System:`` lines
  built from the observation's structured messages.

The completion is the action: the env's one parser reads it (ReAct lines, and also ``<tool_call>``
blocks, JSON or Python calls, API-Bank's ``API-Request: [...]``). Generation stops at a new
``Observation:`` or ``User:`` line (the model must not write the API result or the user's turn).

Spec: ``react:BACKEND:MODEL[,sampling options][,seed=N]``, e.g. ``react:hf:/models/coalm-8b,max_tokens=256``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from coalm_env.llm.base import SamplingParams
from coalm_env.render import messages_from_observation, render_tools
from coalm_env.types import Message
from policies.llm_base import LLMPolicy

__all__ = ["ReactPolicy", "react_prompt", "STOP"]

#: where a ReAct completion ends: the env returns the observation; the user writes its own turn
STOP = ("\nObservation:", "\nUser:")

TASK = ("You are a conversational API-calling assistant. Help the user with their request: decide at every "
        "turn whether an API call is needed, call it, read its result, and answer the user.")
FORMAT = ("First write `Thought: ...` (is an API call needed? is the result enough to answer?). Then either "
          "`Action: function_name(argument1=value1, argument2=value2)` to call one API, or "
          "`Response: ...` to reply to the user. Write nothing after the Action or Response line.")


def _line(msg: Message) -> str:
    if msg.role == "user":
        return f"User: {msg.content}"
    if msg.role == "tool":
        return f"Observation: {msg.content}"
    if msg.tool_calls:
        head = [f"Thought: {msg.content}"] if msg.content else []
        return "\n".join(head + [f"Action: {c.signature()}" for c in msg.tool_calls])
    return f"System: {msg.content}"


def react_prompt(messages: Sequence[Message], tools: Sequence[dict[str, Any]]) -> str:
    """The CRA prompt for a conversation and its tool schemas (see the module docstring)."""
    system = "\n".join(m.content for m in messages if m.role == "system" and m.content)
    history = "\n".join(_line(m) for m in messages if m.role != "system")
    return "\n\n".join([
        f"[Instruction]\n{TASK}\n{system}".rstrip(),
        "[Available tools]\n" + (render_tools(tools) or "(none)"),
        f"[Format]\n{FORMAT}",
        f"[Conversation history]\n{history}",
    ])


class ReactPolicy(LLMPolicy):
    """CoALM-IT ReAct prompting (see the module docstring)."""

    name = "react"

    def request(self, obs: dict[str, Any]) -> tuple[list[dict], None]:
        prompt = react_prompt(messages_from_observation(obs), json.loads(obs["tools"]))
        return [{"role": "user", "content": prompt}], None

    def params(self) -> SamplingParams:
        base = self.generator.params
        return dataclasses.replace(base, stop=tuple(base.stop) + tuple(s for s in STOP if s not in base.stop))
