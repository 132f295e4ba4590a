"""BFCL call strings <-> :class:`~coalm_env.types.ToolCall`, read by the one parser
(:func:`coalm_env.parsing.parse_python_calls`: :mod:`ast`, never evaluated).

BFCL writes calls as Python source: ``cd(folder='doc')``, sometimes with positional arguments
(``sort('final_report.pdf')`` in the ground truth). Positional arguments are named from the
backend method's signature, which is what Python does when BFCL's harness evaluates the string.
Argument values must be literals. Positional arguments in a raw completion are dropped, as BFCL's
prompting decoder does (it reads keyword arguments only).

BFCL result files store one of three shapes per step, all read by :func:`decode_step`:
a raw completion (``"[cd(folder='doc'), ls()]"``, decoded the way BFCL's prompting handlers do),
a list of call strings (already decoded), or a list of ``{name: arguments}`` dicts (FC handlers).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from coalm_env.parsing import ActionParseError, parse_python_calls
from coalm_env.types import ToolCall

__all__ = ["CallSyntaxError", "parse_call", "parse_call_list", "decode_step", "render_calls", "result_text"]

#: function name -> its parameter names in positional order
Signatures = Mapping[str, Sequence[str]]

#: a call string that is not ``name(literal args)``; executing it yields an error result
CallSyntaxError = ActionParseError


def _listify(value: Any) -> Any:
    """Tuples become lists so that JSON-schema ``array`` checks accept them."""
    if isinstance(value, (list, tuple)):
        return [_listify(v) for v in value]
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    return value


def parse_call(text: str, signatures: Signatures) -> ToolCall:
    """One call string, e.g. ``"mv(source='a', destination='b')"`` or ``"sort('a.txt')"``."""
    calls = parse_python_calls(text, signatures)
    if len(calls) != 1 or text.strip().startswith("["):
        raise CallSyntaxError("not a single function call")
    return calls[0]


def parse_call_list(text: str, signatures: Signatures) -> list[ToolCall]:
    """A Python list (or one call) of calls: ``"[cd(folder='doc'), ls()]"``."""
    return parse_python_calls(text, signatures)


def _decode_completion(text: str) -> list[ToolCall]:
    # BFCL's prompting decoder: strip fences/brackets, read keyword arguments only.
    body = text.strip("`\n ")
    body = body if body.startswith("[") else "[" + body
    body = body if body.endswith("]") else body + "]"
    return parse_python_calls("[" + body.strip("[]'") + "]", drop_positional=True)


def _decode_fc(item: Mapping[str, Any]) -> list[ToolCall]:
    calls = []
    for name, args in item.items():
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except json.JSONDecodeError:
                raise CallSyntaxError(f"{name}: arguments are not valid JSON") from None
        if not isinstance(args, dict):
            raise CallSyntaxError(f"{name}: arguments must be an object")
        calls.append(ToolCall(name=str(name), arguments=_listify(args)))
    return calls


def decode_step(item: Any, signatures: Signatures) -> list[ToolCall | CallSyntaxError]:
    """The calls of one step of a BFCL result file.

    Raises:
        CallSyntaxError: the step does not decode at all (BFCL skips such a step: chat, not calls).
    """
    if isinstance(item, str):
        return list(_decode_completion(item))
    if isinstance(item, Mapping):
        return list(_decode_fc(item))
    if not isinstance(item, list):
        raise CallSyntaxError(f"a step must be text or a list, got {type(item).__name__}")
    out: list[ToolCall | CallSyntaxError] = []
    for element in item:
        if isinstance(element, Mapping):
            out.extend(_decode_fc(element))
        elif isinstance(element, str):
            try:  # an already decoded call string: a bad one still counts as a (failing) call
                out.append(parse_call(element, signatures))
            except CallSyntaxError as exc:
                out.append(exc)
        else:
            raise CallSyntaxError(f"a call must be a string or an object, got {type(element).__name__}")
    return out


def render_calls(calls: Sequence[ToolCall]) -> str:
    """``[cd(folder='doc'), ls()]``: keyword arguments only, readable by :mod:`coalm_env.parsing`."""
    return "[" + ", ".join(c.signature() for c in calls) + "]"


def result_text(value: Any) -> str:
    """A call's return value as BFCL's checker compares it: strings as they are, dicts as JSON
    (their ``str`` when not serialisable), anything else through ``str``."""
    if type(value) is str:
        return value
    if type(value) is dict:
        try:
            return json.dumps(value)
        except (TypeError, ValueError):
            return str(value)
    return str(value)
