"""The one CoALM-IT CRA renderer: what the ``react`` policy prompts with and what ``coalm-env export`` writes.

A CRA prompt holds four bracketed blocks: ``[Instruction]`` (the task, then the domain's system prompt),
``[Available tools]`` (numbered Python-style signatures), ``[Format]`` and ``[Conversation history]``
(``User:`` / ``Thought:`` / ``Action:`` / ``Observation:`` / ``System:`` lines). A CoALM-IT sample splits
that prompt in two: ``instruction`` is everything up to the current turn, ``input`` is the current turn
(its ``User:`` line, and for response generation the turn's actions and observations), and
``output`` is the assistant's completion. ``instruction + "\\n" + input`` is exactly :func:`react_prompt`.

``compact=True`` is a short variant for small models: no task/format prose, signatures without
descriptions, and (with ``history=N``) only the last ``N`` earlier user turns. ``results=N`` summarises
tool results: a JSON observation's ``results`` list keeps its first ``N`` entries (``count`` still says how
many matched), so the prompt is not dominated by observation JSON. ``preamble=False`` (compact only) drops
the ``[Instruction]`` and ``[Available tools]`` blocks: for a model trained from scratch on one env, whose
prompt never changes them, they are most of the tokens and carry nothing. Pure text: no torch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from coalm_env.render import render_tools
from coalm_env.types import Message

__all__ = ["TASK", "FORMAT", "STOP", "summarise_result", "cra_line", "cra_parts", "react_prompt", "completion_text", "join_prompt"]

#: where a ReAct completion ends: the env returns the observation; the user writes its own turn
STOP = ("\nObservation:", "\nUser:")

TASK = ("You are a conversational API-calling assistant. Help the user with their request: decide at every "
        "turn whether an API call is needed, call it, read its result, and answer the user.")
FORMAT = ("First write `Thought: ...` (is an API call needed? is the result enough to answer?). Then either "
          "`Action: function_name(argument1=value1, argument2=value2)` to call one API, or "
          "`Response: ...` to reply to the user. Write nothing after the Action or Response line.")


def summarise_result(content: str, results: int | None) -> str:
    """A tool result with its ``results`` list cut to the first ``results`` entries (``None``: unchanged)."""
    if results is None:
        return content
    try:
        data = json.loads(content)
    except (TypeError, ValueError):
        return content
    if not isinstance(data, dict) or not isinstance(data.get("results"), list) or len(data["results"]) <= results:
        return content
    return json.dumps({**data, "results": data["results"][:results]}, ensure_ascii=False)


def cra_line(msg: Message, results: int | None = None) -> str:
    """One message as CRA history lines (``results``: see :func:`summarise_result`)."""
    if msg.role == "user":
        return f"User: {msg.content}"
    if msg.role == "tool":
        return f"Observation: {summarise_result(msg.content, results)}"
    if msg.tool_calls:
        head = [f"Thought: {msg.content}"] if msg.content else []
        return "\n".join(head + [f"Action: {c.signature()}" for c in msg.tool_calls])
    return f"System: {msg.content}"


def completion_text(msg: Message) -> str:
    """The assistant message as the completion the react policy should generate (a CoALM-IT ``output``)."""
    return cra_line(msg)


def _compact_tools(tools: Sequence[dict[str, Any]]) -> str:
    return "\n".join(line.split("): ", 1)[0] + ")" for line in render_tools(tools).splitlines())


def _turn_start(body: Sequence[Message]) -> int:
    """Index in ``body`` of the current turn's ``User:`` message (0 when none)."""
    users = [i for i, m in enumerate(body) if m.role == "user"]
    return users[-1] if users else 0


def _trim(earlier: Sequence[Message], history: int | None) -> Sequence[Message]:
    if history is None:
        return earlier
    users = [i for i, m in enumerate(earlier) if m.role == "user"]
    return earlier[users[-history]:] if 0 < history <= len(users) else (earlier if history else [])


def cra_parts(messages: Sequence[Message], tools: Sequence[dict[str, Any]], *, compact: bool = False,
              history: int | None = None, results: int | None = None,
              preamble: bool = True) -> tuple[str, str]:
    """``(instruction, input)`` of the CRA prompt for a conversation (see the module docstring)."""
    system = "\n".join(m.content for m in messages if m.role == "system" and m.content)
    body = [m for m in messages if m.role != "system"]
    cut = _turn_start(body)
    earlier = "\n".join(cra_line(m, results) for m in _trim(body[:cut], history))
    current = "\n".join(cra_line(m, results) for m in body[cut:])
    if compact and not preamble:
        blocks = []
    elif compact:
        blocks = [f"[Instruction]\n{system.splitlines()[0] if system else ''}".rstrip(),
                  "[Available tools]\n" + (_compact_tools(tools) or "(none)")]
    else:
        blocks = [f"[Instruction]\n{TASK}\n{system}".rstrip(),
                  "[Available tools]\n" + (render_tools(tools) or "(none)"),
                  f"[Format]\n{FORMAT}"]
    head = "[Conversation history]" + (f"\n{earlier}" if earlier else "")
    return "\n\n".join(blocks + [head]), current


def join_prompt(instruction: str, input_: str) -> str:
    """The prompt of a CoALM-IT sample (Alpaca style: instruction, then input on the next line)."""
    return f"{instruction}\n{input_}" if input_ else instruction


def react_prompt(messages: Sequence[Message], tools: Sequence[dict[str, Any]], *, compact: bool = False,
                 history: int | None = None, results: int | None = None, preamble: bool = True) -> str:
    """The CRA prompt for a conversation and its tool schemas."""
    return join_prompt(*cra_parts(messages, tools, compact=compact, history=history, results=results,
                                  preamble=preamble))
