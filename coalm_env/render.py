"""Observations: the structured messages, and a CoALM-IT style text rendering of them."""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from typing import Any

from coalm_env.parsing import END_CONVERSATION
from coalm_env.types import Message, to_json

__all__ = ["render_text", "render_tools", "observation", "system_message", "END_CONVERSATION_TOOL", "ObservationCache"]

#: the schema of the reserved tool the env handles itself (the domains' tool lists stay as they are)
END_CONVERSATION_TOOL = {
    "type": "function",
    "function": {
        "name": END_CONVERSATION,
        "description": "End the conversation, optionally with a final message to the user.",
        "parameters": {"type": "object", "properties": {"message": {"type": "string"}}, "required": []},
    },
}

_FORMAT_BLOCK = (
    "To call an API write `Action: function_name(argument1=value1, ...)` (or a <tool_call> JSON block); "
    "to answer the user write `Response: ...` or plain text."
)


def render_tools(tools: Sequence[dict[str, Any]]) -> str:
    """Numbered Python-style signatures with descriptions, as in CoALM-IT's tools block."""
    lines = []
    for i, tool in enumerate(tools, 1):
        fn = tool["function"]
        props = fn.get("parameters", {}).get("properties", {})
        required = set(fn.get("parameters", {}).get("required", []))
        params = ", ".join(p if p in required else f"{p}=None" for p in props)
        lines.append(f"{i}. {fn['name']}({params}): {fn.get('description', '')}")
    return "\n".join(lines)


def system_message(prompt: str) -> str:
    """The domain's system prompt plus the one line on the reserved ``end_conversation`` tool."""
    tool = render_tools([END_CONVERSATION_TOOL]).removeprefix("1. ")
    return f"{prompt}\n\nYou may end the conversation yourself by calling {tool}"


def _render_message(msg: Message) -> str:
    if msg.role == "user":
        return f"User: {msg.content}"
    if msg.role == "tool":
        return f"Observation: {msg.content}"
    if msg.role == "assistant" and msg.tool_calls:
        head = f"Thought: {msg.content}\n" if msg.content else ""
        return head + "\n".join(f"Action: {c.signature()}" for c in msg.tool_calls)
    if msg.role == "assistant":
        return f"System: {msg.content}"
    return msg.content


def render_text(messages: Sequence[Message], tools: Sequence[dict[str, Any]]) -> str:
    """The whole prompt as one text: instructions, tools block, format block, conversation history."""
    system = [m.content for m in messages if m.role == "system"]
    history = [_render_message(m) for m in messages if m.role != "system"]
    parts = [
        "[Instruction]\n" + "\n".join(system),
        "[Available tools]\n" + (render_tools(tools) or "(none)"),
        "[Format]\n" + _FORMAT_BLOCK,
        "[Conversation history]\n" + "\n".join(history),
    ]
    return "\n\n".join(parts)


def _message_obs(msg: Message) -> dict[str, str]:
    return {
        "role": msg.role,
        "content": msg.content,
        "tool_calls": to_json([c.to_dict() for c in msg.tool_calls]) if msg.tool_calls else "",
        "tool_call_id": msg.tool_call_id or "",
        "name": msg.name or "",
    }


def observation(messages: Sequence[Message], tools: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The env observation: ``{"text", "messages", "tools"}`` (see :mod:`coalm_env.spaces`)."""
    return {
        "text": render_text(messages, tools),
        "messages": tuple(_message_obs(m) for m in messages),
        "tools": json.dumps(list(tools), ensure_ascii=False),
    }


class ObservationCache:
    """:func:`observation` for one growing conversation, without redoing the work of the previous step:
    each message is rendered (text line and observation dict) once, and the tools' JSON and text block
    are computed once per tool list. The result equals ``observation(messages, tools)``.

    A message is reused while the same object is at the same place with the same ``content`` (the env
    only appends messages); a tool list is recognised by each tool's name, description and
    ``parameters`` object (the API graph's schemas, which are never changed in place), or, for the very
    same tuple as the last call's (a session's unchanged ``tools_view()``), by that alone; any other tool
    layout is rendered afresh. The text is grown by appending the new messages' lines to the previous
    step's text (no message is rendered twice, no Python loop over the history runs per step; what is
    left per step is one copy of the text and C-level passes over the messages); the observation's
    message dicts are fresh copies on every call."""

    def __init__(self) -> None:
        self._messages: list[Message] = []  # the messages rendered, in order
        self._contents: list[str] = []  # their ``content`` when rendered
        self._dicts: list[dict[str, str]] = []  # their observation dicts (copied out on every call)
        self._system: list[str] = []  # the system messages' contents
        self._text = ""  # the rendered prompt: head (instructions, tools, format) + history lines
        self._head_len = 0  # where the history starts in ``_text``
        self._head_key: tuple | None = None  # (system contents, tools text) the head was rendered from
        self._lines = 0  # how many history lines ``_text`` holds
        self._tools_key: tuple | None = None
        self._tools_out: tuple[str, str] = ("", "")
        self._tools_pin: list[Any] = []  # keeps the keyed parameters objects alive (their ids stay theirs)
        self._tools_src: tuple | None = None  # the tuple ``_tools_out`` was made from (a session's tools_view())

    def _tools(self, tools: Sequence[dict[str, Any]]) -> tuple[str, str]:
        if type(tools) is tuple and tools is self._tools_src:  # a session's unchanged tools_view()
            return self._tools_out
        key = _tools_key(tools)
        if key is None:
            return json.dumps(list(tools), ensure_ascii=False), render_tools(tools)
        if key != self._tools_key:
            shared = _TOOLS_SEEN.get(key)  # the same tool list in an earlier episode (any env of this process)
            if shared is None:
                shared = (json.dumps(list(tools), ensure_ascii=False), render_tools(tools),
                          [t["function"].get("parameters") for t in tools])
                _TOOLS_SEEN[key] = shared
                while len(_TOOLS_SEEN) > 256:
                    _TOOLS_SEEN.pop(next(iter(_TOOLS_SEEN)))
            self._tools_key, self._tools_out, self._tools_pin = key, shared[:2], shared[2]
        self._tools_src = tools if type(tools) is tuple else None
        return self._tools_out

    def _kept(self, messages: Sequence[Message]) -> int:
        """How many cached messages are still valid: the same objects with the same ``content`` objects,
        in order (the usual case, nothing changed, is checked by C-level list comparisons)."""
        n = len(self._messages)
        if n <= len(messages):
            head = messages[:n] if isinstance(messages, list) else list(messages[:n])
            # list equality tries identity first; an equal message or content renders the same
            if self._messages == head and self._contents == list(map(_CONTENT, head)):
                return n
        keep = 0
        for cached, content, msg in zip(self._messages, self._contents, messages):
            if cached is not msg or content is not msg.content:
                break
            keep += 1
        return keep

    def observation(self, messages: Sequence[Message], tools: Sequence[dict[str, Any]]) -> dict[str, Any]:
        keep = self._kept(messages)
        rebuilt = None
        if keep < len(self._messages):  # something before the end changed: render from there again
            del self._messages[keep:], self._contents[keep:], self._dicts[keep:]
            self._system = [m.content for m in self._messages if m.role == "system"]
            lines = [_render_message(m) for m in self._messages if m.role != "system"]
            rebuilt, self._lines = "\n".join(lines), len(lines)
        added = []
        for msg in messages[keep:]:
            self._messages.append(msg)
            self._contents.append(msg.content)
            self._dicts.append(_message_obs(msg))
            if msg.role == "system":
                self._system.append(msg.content)
            else:
                added.append(_render_message(msg))
        tools_json, tools_text = self._tools(tools)
        head_key = (tuple(self._system), tools_text)
        if rebuilt is not None or head_key != self._head_key:  # instructions or tools changed: a new head
            history = rebuilt if rebuilt is not None else self._text[self._head_len:]
            head = "".join(("[Instruction]\n", "\n".join(self._system), "\n\n[Available tools]\n",
                            tools_text or "(none)", "\n\n[Format]\n", _FORMAT_BLOCK, "\n\n[Conversation history]\n"))
            self._head_key, self._head_len, self._text = head_key, len(head), head + history
        if added:  # the one copy per step: the text so far with the new lines appended
            new = "\n".join(added)
            self._text = f"{self._text}\n{new}" if self._lines else self._text + new
            self._lines += len(added)
        return {"text": self._text, "messages": tuple(map(dict.copy, self._dicts)), "tools": tools_json}


_CONTENT = operator.attrgetter("content")


#: tools JSON and text block by tool-list key (oldest dropped past 256); each entry pins the keyed
#: ``parameters`` objects, so an id in a key cannot be reused by another object while the entry lives
_TOOLS_SEEN: dict[tuple, tuple[str, str, list[Any]]] = {}


_FN_KEYS = frozenset({"name", "description", "parameters"})


def _tools_key(tools: Sequence[Any]) -> tuple | None:
    """``(name, description, id(parameters))`` per tool, for tools laid out as the API graph writes them
    (``{"type": "function", "function": {"name", "description", "parameters"}}``); else ``None``."""
    key = []
    for t in tools:
        fn = t.get("function") if isinstance(t, dict) and len(t) == 2 and t.get("type") == "function" else None
        if not isinstance(fn, dict) or not fn.keys() <= _FN_KEYS:
            return None
        name, desc = fn.get("name"), fn.get("description")
        if not isinstance(name, str) or not isinstance(desc, (str, type(None))):
            return None
        key.append((name, desc, id(fn.get("parameters"))))
    return tuple(key)


def messages_from_observation(obs: dict[str, Any]) -> list[Message]:
    """Rebuild :class:`Message` objects from an observation (what policies read)."""
    out = []
    for m in obs["messages"]:
        calls = json.loads(m["tool_calls"]) if m["tool_calls"] else []
        out.append(
            Message.from_dict(
                {**m, "tool_calls": calls, "tool_call_id": m["tool_call_id"] or None, "name": m["name"] or None}
            )
        )
    return out
