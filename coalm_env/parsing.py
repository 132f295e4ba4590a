"""The one parser for agent actions, in every format the project speaks.

An action is raw text (an LLM completion) or a structured action. Text formats, tried in order:

- ``hermes``: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks (Hermes/Qwen templates);
- ``react``: CoALM-IT ReAct lines ``Thought: ...`` then ``Action: api(arg=value, ...)``, or a final
  ``Response: ...`` (CoALM-IT writes ``System: ...``; both are accepted);
- ``json``: a bare JSON call or list of calls, ``{"name": ..., "arguments"|"parameters": {...}}``
  (Llama 3.1 style, optionally after ``<|python_tag|>`` or inside a code fence);
- ``python``: a Python call list ``[f(a=1), g(b='x')]`` or one call ``f(a=1)`` (BFCL style);
- ``text``: anything else is a reply to the user.

A call of the reserved tool :data:`END_CONVERSATION` (``end_conversation()`` or
``end_conversation(message="Goodbye!")``, in any format above) ends the conversation: it parses to
``ends=True``, kind ``"reply"`` with the final message as ``reply``, or kind ``"end"`` without one.
It must be the only call of its action.

Calls are read with :mod:`ast` / :mod:`json` only; nothing is ever evaluated. A malformed action is a
:class:`ParsedAction` of kind ``"error"`` with a message for the agent; :func:`parse_action` never raises.

Size limits (:mod:`coalm_env.limits`) are checked before anything else is read: text longer than
``MAX_ACTION_CHARS``; a structured action over ``MAX_STRUCTURED_VALUES`` values (shared references
counted at every visit), ``MAX_STRUCTURED_CHARS`` characters or ``MAX_DEPTH`` levels; more calls than
``max_calls`` (counted before any call is parsed). Every parsed call's arguments are then checked for
integers of more than ``MAX_INT_DIGITS`` digits (an error starting ``invalid_arguments:``).
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env import limits
from coalm_env.limits import MAX_ACTION_CHARS
from coalm_env.types import Message, StepKind, ToolCall, json_safe

__all__ = [
    "ParsedAction", "ActionParseError", "parse_action", "parse_python_calls", "format_calls", "FORMATS",
    "DEFAULT_MAX_CALLS", "MAX_ACTION_CHARS", "END_CONVERSATION",
]

FORMATS = ("react", "hermes", "json", "python")
DEFAULT_MAX_CALLS = 8
#: the reserved tool with which the agent ends the conversation (handled by the env, never a backend API)
END_CONVERSATION = "end_conversation"
_MAX_DEPTH = limits.MAX_DEPTH

_TOOL_CALL_RE = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_REACT_KEY_RE = re.compile(r"^\s*(Thought|Action|Response|System|Observation)\s*:\s?", re.MULTILINE)
_API_REQUEST_RE = re.compile(r"API-Request\s*:\s*")
#: API-Bank's call as its official extractor finds it anywhere in the text: the first ``[`` Name ``(``
#: of a line up to the last ``)]`` of that line (so nested quotes and text after the call are no
#: obstacle); found with two linear scans, not one backtracking pattern (hostile text stays cheap)
_OFFICIAL_START_RE = re.compile(r"\[[ \t]*(?P<name>[A-Za-z_]\w*)[ \t]*\(")
_OFFICIAL_END_RE = re.compile(r"\)[ \t]*\]")
#: the start of one ``key=`` of an official argument list (``==`` is not an assignment)
_OFFICIAL_KEY_RE = re.compile(r"(?:^|,)\s*(?P<key>[A-Za-z_]\w*)\s*=(?!=)")
_EMBEDDED_START_RE = re.compile(r"(?P<json>\[?\s*\{\s*\"name\"\s*:)|(?<![\w.])(?:\[\s*)?[A-Za-z_][\w.]*\(")
_MAX_EMBEDDED_TRIES = 16  # candidate starts looked at (bounds the work on hostile text)
_MAX_EMBEDDED_CHARS = 20_000
_FENCE_RE = re.compile(r"^```(?:json|python|tool_code)?\s*\n?(.*?)\n?```$", re.DOTALL)


class ActionParseError(ValueError):
    """Text that is not a well-formed call (raised by :func:`parse_python_calls`; inside
    :func:`parse_action` it becomes an error :class:`ParsedAction`, never an exception)."""


_ParseError = ActionParseError


@dataclass
class ParsedAction:
    """The parse of one action. ``kind`` is a :class:`~coalm_env.types.StepKind` (``"tool_calls"``,
    ``"reply"`` or ``"error"``)."""

    kind: StepKind
    calls: list[ToolCall] = field(default_factory=list)
    reply: str | None = None
    thought: str | None = None
    error: str | None = None
    format: str = "text"
    ends: bool = False  # the action is an ``end_conversation`` call
    oversize: bool = False  # refused unread for its size (record only a short repr of it)

    @classmethod
    def fail(cls, message: str, fmt: str = "text", thought: str | None = None) -> ParsedAction:
        return cls(kind=StepKind.ERROR, error=message, format=fmt, thought=thought)


def parse_action(action: Any, max_calls: int = DEFAULT_MAX_CALLS) -> ParsedAction:
    """Parse an agent action (text or structured) into tool calls, a reply, or an error."""
    early = _size_problem(action, max_calls)
    if early is not None:
        parsed = ParsedAction.fail(early, _guess_format(action))
        parsed.oversize = True
        return parsed
    try:
        parsed = _parse_structured(action) if not isinstance(action, str) else _parse_text(action)
    except _ParseError as exc:
        parsed = ParsedAction.fail(str(exc), _guess_format(action))
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        parsed = ParsedAction.fail(f"could not parse the action: {type(exc).__name__}", _guess_format(action))
    if parsed.kind == StepKind.TOOL_CALLS and len(parsed.calls) > max_calls:
        return ParsedAction.fail(
            f"{len(parsed.calls)} tool calls in one action; at most {max_calls} are allowed", parsed.format
        )
    if parsed.kind == StepKind.TOOL_CALLS:
        problem = next((f"a tool name is {len(c.name)} characters long; at most {limits.MAX_NAME_CHARS} are allowed"
                        for c in parsed.calls if len(c.name) > limits.MAX_NAME_CHARS), None)
        problem = problem or next(filter(None, (limits.values_problem(c.arguments, c.name) for c in parsed.calls)),
                                  None)
        if problem:
            return _made_safe(ParsedAction.fail(problem, parsed.format, parsed.thought))
    if parsed.kind == StepKind.TOOL_CALLS and any(c.name == END_CONVERSATION for c in parsed.calls):
        parsed = _ending(parsed)
    return _made_safe(parsed)


def _size_problem(action: Any, max_calls: int) -> str | None:
    """Why the action is refused before it is parsed (see the module docstring), or ``None``."""
    if isinstance(action, str):
        if len(action) > MAX_ACTION_CHARS:
            return f"the action is {len(action)} characters long; at most {MAX_ACTION_CHARS} are read"
        blocks = action.count("<tool_call>")
        if blocks > max_calls:
            return f"{blocks} tool calls in one action; at most {max_calls} are allowed"
        return None
    calls = action.get("tool_calls") if isinstance(action, dict) else action.tool_calls \
        if isinstance(action, Message) else action if isinstance(action, (list, tuple)) else None
    if isinstance(calls, (list, tuple)) and len(calls) > max_calls:
        return f"{len(calls)} tool calls in one action; at most {max_calls} are allowed"
    return limits.structure_problem(action)


def _ending(parsed: ParsedAction) -> ParsedAction:
    """An ``end_conversation`` call: the episode ends, with the optional final message as the reply."""
    fail = ParsedAction.fail
    if len(parsed.calls) > 1:
        return fail(f"{END_CONVERSATION} must be the only call of its action", parsed.format, parsed.thought)
    arguments = parsed.calls[0].arguments
    unknown = sorted(set(arguments) - {"message"})
    if unknown:
        return fail(f"{END_CONVERSATION}: unexpected arguments {unknown}; it takes only 'message'", parsed.format)
    message = arguments.get("message")
    if message is not None and not isinstance(message, str):
        return fail(f"{END_CONVERSATION}: 'message' must be text, got {type(message).__name__}", parsed.format)
    message = (message or "").strip() or None
    kind = StepKind.REPLY if message else StepKind.END
    return ParsedAction(kind=kind, reply=message, thought=parsed.thought, format=parsed.format, ends=True)


def _made_safe(parsed: ParsedAction) -> ParsedAction:
    """Everything downstream (backends, renderers, trajectory files) gets plain, strict-JSON values."""
    for call in parsed.calls:
        call.arguments = json_safe(call.arguments)
        call.id = (json_safe(call.id) if isinstance(call.id, str) else str(call.id))[:limits.MAX_NAME_CHARS]
    for name in ("reply", "thought", "error"):
        value = getattr(parsed, name)
        if isinstance(value, str):
            setattr(parsed, name, json_safe(value))
    return parsed


def _guess_format(action: Any) -> str:
    return "text" if isinstance(action, str) else "structured"


# -- structured actions ----------------------------------------------------------------
def _parse_structured(action: Any) -> ParsedAction:
    if isinstance(action, ToolCall):
        return _calls_action([_checked_call(action.name, action.arguments, action.id)], "structured")
    if isinstance(action, Message):
        if action.content is not None and not isinstance(action.content, str):
            raise _ParseError(f"message content must be text, got {type(action.content).__name__}")
        if action.tool_calls:
            calls = [_structured_call(c) for c in action.tool_calls]
            return _calls_action(calls, "structured", thought=action.content or None)
        return _parse_text(action.content or "")
    if isinstance(action, dict):
        return _parse_dict(action)
    if isinstance(action, (list, tuple)):
        if not action:
            raise _ParseError("empty list of tool calls")
        return _calls_action([_structured_call(c) for c in action], "structured")
    raise _ParseError(f"unsupported action type {type(action).__name__}; send text, a Message or tool calls")


def _parse_dict(action: dict) -> ParsedAction:
    if "tool_calls" in action and action["tool_calls"]:
        calls = [_structured_call(c) for c in action["tool_calls"]]
        return _calls_action(calls, "structured", thought=action.get("content") or None)
    if "name" in action:
        return _calls_action([_structured_call(action)], "structured")
    content = action.get("content")
    if isinstance(content, str):
        return _parse_text(content)
    raise _ParseError("a dict action needs 'content' (text) or 'tool_calls'")


def _structured_call(obj: Any) -> ToolCall:
    if isinstance(obj, ToolCall):
        return _checked_call(obj.name, obj.arguments, obj.id)
    if not isinstance(obj, dict):
        raise _ParseError(f"a tool call must be an object with 'name' and 'arguments', got {type(obj).__name__}")
    if "function" in obj and isinstance(obj["function"], dict):  # OpenAI shape
        return _checked_call(obj["function"].get("name"), obj["function"].get("arguments", {}), obj.get("id", ""))
    args = obj.get("arguments", obj.get("parameters", {}))
    return _checked_call(obj.get("name"), args, obj.get("id", ""))


def _checked_call(name: Any, arguments: Any, call_id: Any = "") -> ToolCall:
    if not isinstance(name, str) or not name.strip():
        raise _ParseError(f"a tool call needs a non-empty string 'name', got {name!r:.80}")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            raise _ParseError(f"arguments of {name!r} are not valid JSON: {exc.msg} at char {exc.pos}") from None
    if not isinstance(arguments, dict):
        raise _ParseError(f"arguments of {name!r} must be an object, got {type(arguments).__name__}")
    if not all(isinstance(k, str) for k in arguments):
        raise _ParseError(f"argument names of {name!r} must be strings")
    if _depth(arguments) > _MAX_DEPTH:
        raise _ParseError(f"{name}: arguments are nested deeper than {_MAX_DEPTH} levels")
    return ToolCall(name=name.strip(), arguments=arguments, id=str(call_id or ""))


def _depth(value: Any) -> int:
    """Nesting depth of lists/dicts, iteratively (a recursive walk would overflow on hostile input)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if level > _MAX_DEPTH:
            return level
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, (list, tuple)) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


def _calls_action(calls: list[ToolCall], fmt: str, thought: str | None = None) -> ParsedAction:
    if not calls:
        raise _ParseError("no tool call found")
    return ParsedAction(kind=StepKind.TOOL_CALLS, calls=calls, format=fmt, thought=thought)


# -- text actions ------------------------------------------------------------------------
def _parse_text(text: str) -> ParsedAction:
    if len(text) > MAX_ACTION_CHARS:
        raise _ParseError(f"the action is {len(text)} characters long; at most {MAX_ACTION_CHARS} are read")
    stripped = text.strip()
    if not stripped:
        raise _ParseError("empty action: write a reply to the user or a tool call")
    if "<tool_call>" in stripped:
        return _parse_hermes(stripped)
    if _API_REQUEST_RE.search(stripped):
        return _parse_api_request(stripped)
    if _REACT_KEY_RE.search(stripped):
        return _parse_react(stripped)
    body = stripped.removeprefix("<|python_tag|>").strip()
    fence = _FENCE_RE.match(body)
    body = fence.group(1).strip() if fence else body
    if body[:1] in "{[":
        as_json = _try_json_calls(body)
        if as_json is not None:
            return as_json
    as_python = _try_python_calls(body)
    if as_python is not None:
        return as_python
    embedded = _embedded_calls(stripped)
    if embedded is not None:
        return embedded
    official = _official_call(stripped, camel_case_only=True)  # API-Bank's form without its prefix
    if official is not None:
        return official
    if fence or stripped.startswith("<|python_tag|>") or _looks_like_call(body):
        raise _ParseError("this looks like a tool call but could not be parsed; write name(arg=value, ...)")
    return ParsedAction(kind=StepKind.REPLY, reply=stripped, format="text")


def _looks_like_call(body: str) -> bool:
    if body.startswith("{") and '"name"' in body:
        return True
    return bool(re.match(r"^\[\s*[A-Za-z_][\w.]*\s*\(", body))


def _parse_hermes(text: str) -> ParsedAction:
    thought = text.split("<tool_call>", 1)[0].strip() or None
    calls = []
    for block in _TOOL_CALL_RE.findall(text):
        try:
            obj = json.loads(block)
        except json.JSONDecodeError as exc:
            raise _ParseError(f"<tool_call> block is not valid JSON: {exc.msg} at char {exc.pos}") from None
        calls.append(_structured_call(obj))
    return _calls_action(calls, "hermes", thought=thought)


def _parse_react(text: str) -> ParsedAction:
    sections: dict[str, str] = {}
    keys = list(_REACT_KEY_RE.finditer(text))
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(text)
        key = m.group(1)
        if key not in sections:  # the first occurrence counts; later ones are the model running on
            sections[key] = text[m.end() : end].strip()
    thought = sections.get("Thought") or None
    if "Action" in sections:
        action = sections["Action"]
        parsed = _try_python_calls(action) or (_try_json_calls(action) if action[:1] in "{[" else None)
        parsed = parsed or _embedded_calls(action)  # the call, then the model ran on past it
        if parsed is None:
            raise _ParseError(f"could not parse the Action line {action[:120]!r}; write Action: name(arg=value, ...)")
        parsed.format, parsed.thought = "react", thought
        return parsed
    reply = sections.get("Response") or sections.get("System")
    if reply:
        return ParsedAction(kind=StepKind.REPLY, reply=reply, format="react", thought=thought)
    raise _ParseError("a ReAct action needs an 'Action: name(arg=value)' line or a 'Response: ...' line")


def _parse_api_request(text: str) -> ParsedAction:
    """API-Bank's ``API-Request: [ToolSearcher(keywords='...')]``; text before it is the thought, text
    after the call (``->success``, a sentence) is ignored, as the official extractor ignores it.

    The arguments are read as Python literals when they are; otherwise as the benchmark's own text
    (:func:`_official_arguments`: ``attendees='['John', 'Jane']'``, an apostrophe inside quotes, a bare
    ``appointment_id=78901234``). Scalars become strings, as every value is a string in the official
    format (``on='True'``, ``appointment_id=78901234``); the API converts them to its parameter types.
    """
    marker = _API_REQUEST_RE.search(text)
    rest = text[marker.end():]
    parsed = _embedded_calls(rest) or _official_call(rest)
    if parsed is None:
        raise _ParseError("could not parse the API-Request; write API-Request: [ApiName(key='value', ...)]")
    for call in parsed.calls:
        call.arguments = {k: _official_scalar(v) for k, v in call.arguments.items()}
    parsed.format, parsed.thought = "apibank", text[: marker.start()].strip() or None
    return parsed


def _official_scalar(value: Any) -> Any:
    """A number or boolean as the string the official format would carry (lists, dicts, None kept)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _official_call(text: str, camel_case_only: bool = False) -> ParsedAction | None:
    """The first ``[Name(key=value, ...)]`` of ``text`` read as API-Bank's official extractor finds it
    (see :data:`_OFFICIAL_START_RE`), with :func:`_official_arguments`; None when there is none or its
    arguments cannot be read. ``camel_case_only``: only API-Bank-style ``CamelCase`` names (used when
    the text has no ``API-Request:`` marker, so that other malformed calls stay errors)."""
    offset = 0
    for line in text.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        end = None
        for end in _OFFICIAL_END_RE.finditer(line):
            pass
        match = _OFFICIAL_START_RE.search(line, 0, end.start()) if end is not None else None
        if match is None:
            continue
        name = match.group("name")
        if camel_case_only and not (name[0].isupper() and "_" not in name):
            return None
        try:
            params = line[match.end(): end.start()]
            arguments = {k: _official_scalar(v) for k, v in _official_arguments(params, name).items()}
        except _ParseError:
            return None
        thought = (text[:start] + line[: match.start()]).strip() or None
        return ParsedAction(kind=StepKind.TOOL_CALLS, calls=[ToolCall(name=name, arguments=arguments)],
                            format="apibank", thought=thought)
    return None


def _official_arguments(params: str, name: str) -> dict[str, Any]:
    """``key=value, ...`` of an official call: Python literals when the text is Python; otherwise each
    value runs from its ``key=`` to the next ``, key=``, and a value quoted at both ends is the text
    between those quotes as written (so ``'['John', 'Jane']'`` is the text ``['John', 'Jane']``, which
    the API reads as a list). Never evaluated."""
    if not params.strip():
        return {}
    try:
        return _call_from_ast(ast.parse(f"_({params})", mode="eval").body).arguments
    except (SyntaxError, ValueError, RecursionError, MemoryError, _ParseError):
        pass
    keys = list(_OFFICIAL_KEY_RE.finditer(params))
    if not keys or params[: keys[0].start()].strip():
        raise _ParseError(f"{name}: arguments must be written key='value'")
    arguments: dict[str, Any] = {}
    for i, m in enumerate(keys):
        raw = params[m.end(): keys[i + 1].start() if i + 1 < len(keys) else len(params)].strip()
        if not raw:
            raise _ParseError(f"{name}: argument {m.group('key')!r} has no value")
        if m.group("key") in arguments:
            raise _ParseError(f"{name}: got multiple values for argument {m.group('key')!r}")
        arguments[m.group("key")] = _official_value(raw, name, m.group("key"))
    return arguments


def _official_value(raw: str, name: str, key: str) -> Any:
    try:
        return _literal(ast.parse(raw, mode="eval").body, name, key, 0)
    except (SyntaxError, ValueError, RecursionError, MemoryError, _ParseError):
        pass
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    if raw[0] in "'\"" or raw[-1] in "'\"":
        raise _ParseError(f"{name}: argument {key!r} has an unclosed quote")
    return raw


def _embedded_calls(text: str) -> ParsedAction | None:
    """The first call (list) written inside other text: ``Let me look. find_hotel(area='north')``, a
    ``[f(a=1), g(b=2)]`` list, or a JSON call object. Conservative, so prose stays a reply: a Python
    call must have keyword arguments, brackets, or a snake_case/dotted name; positional or
    non-literal arguments make a candidate not a call. The text before it is the thought."""
    for match in itertools.islice(_EMBEDDED_START_RE.finditer(text), _MAX_EMBEDDED_TRIES):
        start = match.start()
        end = _balanced_end(text, start)
        if end is None:
            continue
        candidate = text[start:end]
        try:
            parsed = _try_json_calls(candidate) if candidate[0] == "{" or match.group("json") else \
                _try_python_calls(candidate)
        except _ParseError:
            continue
        if parsed is not None and (parsed.format == "json" or _plausible_call(candidate, parsed.calls)):
            parsed.thought = text[:start].strip() or None
            return parsed
    return None


def _plausible_call(candidate: str, calls: list[ToolCall]) -> bool:
    return candidate.startswith("[") or any(c.arguments for c in calls) or any(
        "_" in c.name or "." in c.name for c in calls)


def _balanced_end(text: str, start: int) -> int | None:
    """The index after the bracket that closes the one opened first at or after ``start``."""
    depth, quote, i, limit = 0, "", start, min(len(text), start + _MAX_EMBEDDED_CHARS)
    while i < limit:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth <= 0:
                return i + 1
        i += 1
    return None


def _try_json_calls(body: str) -> ParsedAction | None:
    try:
        obj = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        return None
    items = obj if isinstance(obj, list) else [obj]
    if not items or not all(isinstance(i, dict) and "name" in i for i in items):
        return None
    return _calls_action([_structured_call(i) for i in items], "json")


def _try_python_calls(body: str) -> ParsedAction | None:
    if "(" not in body:
        return None
    try:
        tree = ast.parse(body, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    nodes = tree.elts if isinstance(tree, (ast.List, ast.Tuple)) else [tree]
    if not nodes or not all(isinstance(n, ast.Call) for n in nodes):
        return None
    calls = [_call_from_ast(n, None) for n in nodes]
    if not all(c.name in body for c in calls):  # ``Okay. f(a=1)`` is prose, not a call of ``Okay.f``
        return None
    return _calls_action(calls, "python")


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_call_name(func.value)}.{func.attr}"
    raise _ParseError("a call must name a function, e.g. find_hotel(area='north')")


def parse_python_calls(
    text: str, signatures: Mapping[str, Sequence[str]] | None = None, *, drop_positional: bool = False
) -> list[ToolCall]:
    """Python call syntax, read with :mod:`ast` and never evaluated: ``f(a=1)`` or ``[f(a=1), g(b='x')]``.

    Args:
        text: the source text.
        signatures: ``{function: [parameter names in order]}``; when given, positional arguments of
            a listed function are named from it (as Python would bind them), e.g. BFCL ground truth
            ``sort('a.txt')``. Without it positional arguments are an error, or ignored with
            ``drop_positional`` (what BFCL's prompting decoder does).

    Raises:
        ActionParseError: not a call (list) with literal arguments.
    """
    if len(text) > MAX_ACTION_CHARS:
        raise ActionParseError(f"call text of {len(text)} characters is longer than {MAX_ACTION_CHARS}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ActionParseError(f"not Python call syntax ({type(exc).__name__})") from None
    nodes = tree.elts if isinstance(tree, (ast.List, ast.Tuple)) else [tree]
    return [_call_from_ast(n, signatures, drop_positional) for n in nodes]


def _call_from_ast(
    node: ast.expr, signatures: Mapping[str, Sequence[str]] | None = None, drop_positional: bool = False
) -> ToolCall:
    if not isinstance(node, ast.Call):
        raise ActionParseError("not a function call")
    name = _call_name(node.func)
    arguments: dict[str, Any] = {}
    if node.args and not drop_positional:
        if signatures is None:
            raise ActionParseError(f"{name}: positional arguments are not supported; write {name}(name=value, ...)")
        order = list(signatures.get(name, ()))
        if len(node.args) > len(order):
            raise ActionParseError(f"{name}: too many positional arguments")
        for param, arg in zip(order, node.args):
            arguments[param] = _literal(arg, name, param, 0)
    for kw in node.keywords:
        if kw.arg is None:
            raise ActionParseError(f"{name}: **kwargs is not supported; write each argument as name=value")
        if kw.arg in arguments:
            raise ActionParseError(f"{name}: got multiple values for argument {kw.arg!r}")
        arguments[kw.arg] = _literal(kw.value, name, kw.arg, 0)
    return ToolCall(name=name, arguments=arguments)


_NAMED = {"true": True, "false": False, "null": None, "none": None}


def _literal(node: ast.expr, fn: str, arg: str, depth: int) -> Any:
    """A literal value: constants, lists, tuples, dicts, sets, signed numbers; JSON true/false/null."""
    if depth > _MAX_DEPTH:
        raise _ParseError(f"{fn}: argument {arg!r} is nested too deeply")
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id.lower() in _NAMED:
        return _NAMED[node.id.lower()]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(e, fn, arg, depth + 1) for e in node.elts]
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise _ParseError(f"{fn}: argument {arg!r}: dict unpacking is not supported")
        return {
            _literal(k, fn, arg, depth + 1): _literal(v, fn, arg, depth + 1)  # type: ignore[arg-type]
            for k, v in zip(node.keys, node.values)
        }
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, fn, arg, depth + 1)
        if isinstance(value, (int, float, complex)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    raise _ParseError(f"{fn}: argument {arg!r} must be a literal value (string, number, list, dict...)")


# -- rendering (the inverse, for policies and round-trip tests) -------------------------------
def format_calls(calls: list[ToolCall], fmt: str, thought: str | None = None) -> str:
    """Render tool calls as an agent would write them in format ``fmt`` (see :data:`FORMATS`)."""
    if fmt == "react":
        action = ", ".join(c.signature() for c in calls) if len(calls) == 1 else _python_list(calls)
        return f"Thought: {thought or 'I need to call an API.'}\nAction: {action}"
    if fmt == "hermes":
        blocks = "\n".join(
            f"<tool_call>\n{json.dumps({'name': c.name, 'arguments': c.arguments}, ensure_ascii=False)}\n</tool_call>"
            for c in calls
        )
        return f"{thought}\n{blocks}" if thought else blocks
    if fmt == "json":
        payload = [{"name": c.name, "parameters": c.arguments} for c in calls]
        return json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False)
    if fmt == "python":
        return _python_list(calls)
    raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def _python_list(calls: list[ToolCall]) -> str:
    return "[" + ", ".join(c.signature() for c in calls) + "]"


def format_reply(text: str, fmt: str, thought: str | None = None) -> str:
    """Render a reply to the user in format ``fmt`` (ReAct gets ``Thought:``/``Response:`` lines)."""
    if fmt == "react":
        return f"Thought: {thought or 'I can answer the user now.'}\nResponse: {text}"
    return text
