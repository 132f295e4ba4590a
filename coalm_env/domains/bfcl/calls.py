"""BFCL call strings <-> :class:`~coalm_env.types.ToolCall`, read with :mod:`ast` only (never evaluated).

BFCL writes calls as Python source: ``cd(folder='doc')``, sometimes with positional arguments
(``sort('final_report.pdf')`` in the ground truth). Positional arguments are named from the
backend method's signature, which is what Python does when BFCL's harness evaluates the string.
Argument values must be literals (:func:`ast.literal_eval` on the argument node).

BFCL result files store one of three shapes per step, all read by :func:`decode_step`:
a raw completion (``"[cd(folder='doc'), ls()]"``, decoded the way BFCL's prompting handlers do),
a list of call strings (already decoded), or a list of ``{name: arguments}`` dicts (FC handlers).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from typing import Any

from coalm_env.types import ToolCall

__all__ = ["CallSyntaxError", "parse_call", "parse_call_list", "decode_step", "render_calls", "result_text"]

#: function name -> its parameter names in positional order
Signatures = Mapping[str, Sequence[str]]

_MAX_CALL_CHARS = 200_000


class CallSyntaxError(ValueError):
    """A call string that is not ``name(literal args)``; executing it yields an error result."""


def _parse_expr(text: str) -> ast.expr:
    if len(text) > _MAX_CALL_CHARS:
        raise CallSyntaxError(f"call text of {len(text)} characters is too long")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise CallSyntaxError(f"not a Python call: {type(exc).__name__}") from None


def _literal(node: ast.expr, name: str) -> Any:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        raise CallSyntaxError(f"{name}: arguments must be literal values") from None
    return _listify(value)


def _listify(value: Any) -> Any:
    """Tuples become lists so that JSON-schema ``array`` checks accept them."""
    if isinstance(value, (list, tuple)):
        return [_listify(v) for v in value]
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    return value


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_call_name(func.value)}.{func.attr}"
    raise CallSyntaxError("a call must name a function")


def _from_node(node: ast.expr, signatures: Signatures, positional: bool) -> ToolCall:
    if not isinstance(node, ast.Call):
        raise CallSyntaxError("not a function call")
    name = _call_name(node.func)
    arguments: dict[str, Any] = {}
    if positional and node.args:
        order = list(signatures.get(name, ()))
        if len(node.args) > len(order):
            raise CallSyntaxError(f"{name}: too many positional arguments")
        for param, arg in zip(order, node.args):
            arguments[param] = _literal(arg, name)
    for kw in node.keywords:
        if kw.arg is None:
            raise CallSyntaxError(f"{name}: **kwargs is not supported")
        if kw.arg in arguments:
            raise CallSyntaxError(f"{name}: got multiple values for argument {kw.arg!r}")
        arguments[kw.arg] = _literal(kw.value, name)
    return ToolCall(name=name, arguments=arguments)


def parse_call(text: str, signatures: Signatures) -> ToolCall:
    """One call string, e.g. ``"mv(source='a', destination='b')"`` or ``"sort('a.txt')"``."""
    return _from_node(_parse_expr(text), signatures, positional=True)


def parse_call_list(text: str, signatures: Signatures) -> list[ToolCall]:
    """A Python list (or one call) of calls: ``"[cd(folder='doc'), ls()]"``."""
    tree = _parse_expr(text)
    nodes = tree.elts if isinstance(tree, (ast.List, ast.Tuple)) else [tree]
    return [_from_node(n, signatures, positional=True) for n in nodes]


def _decode_completion(text: str) -> list[ToolCall]:
    # BFCL's prompting decoder: strip fences/brackets, read keyword arguments only.
    body = text.strip("`\n ")
    body = body if body.startswith("[") else "[" + body
    body = body if body.endswith("]") else body + "]"
    tree = _parse_expr(body.strip("[]'"))
    nodes = tree.elts if isinstance(tree, (ast.List, ast.Tuple)) else [tree]
    return [_from_node(n, {}, positional=False) for n in nodes]


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
