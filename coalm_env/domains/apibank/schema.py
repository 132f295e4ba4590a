"""From API-Bank descriptions to :class:`~coalm_env.backend.graph.ApiSpec`: JSON schemas, argument
coercion and the shared checks (time formats, tokens).

The descriptions type parameters as Python names (``str``, ``int``, ``float``, ``bool``, ``list``,
``list(str)``, ``json``). Numbers, booleans and lists are also accepted as strings and converted
(``"2"``, ``"True"``, ``"['John', 'Jane']"``) because the dataset's own gold calls pass them that way;
a string that does not convert is an ``invalid_arguments`` error.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from coalm_env.backend.graph import ApiSpec
from coalm_env.backend.store import StoreView
from coalm_env.errors import ApiError

__all__ = ["json_schema", "make_spec", "check_time", "user_of", "fail", "typed_arguments", "TIME_FORMAT", "DATE_FORMAT"]

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"

_TYPES: dict[str, Any] = {
    "str": {"type": "string"},
    "int": {"type": ["integer", "string"]},
    "float": {"type": ["number", "string"]},
    "bool": {"type": ["boolean", "string"]},
    "list": {"type": ["array", "string"]},
    "list(str)": {"type": ["array", "string"]},
    "json": {"type": ["object", "string"]},
    "dict": {"type": ["object", "string"]},
}


def fail(message: str, type_: str = "api_error") -> ApiError:
    """The error an API raises; ``message`` is the exception text the benchmark compares."""
    return ApiError(type_, message)


def json_schema(description: dict[str, Any], required: Iterable[str] | None = None,
                extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON schema of an API's parameters; ``required`` defaults to all of them."""
    props = {}
    for name, param in description.get("input_parameters", {}).items():
        props[name] = {**_TYPES.get(param["type"], {}), "description": param.get("description", "")}
    props.update(extra or {})
    names = list(description.get("input_parameters", {})) if required is None else list(required)
    return {"type": "object", "properties": props, "required": names, "additionalProperties": False}


def _coerce(value: Any, type_name: str, param: str) -> Any:
    if not isinstance(value, str) or type_name == "str":
        if type_name == "int" and isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    text = value.strip()
    try:
        if type_name == "int":
            return int(float(text)) if float(text).is_integer() else float(text)
        if type_name == "float":
            return float(text)
        if type_name == "bool":
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            raise ValueError(text)
        return ast.literal_eval(text)  # literals only: lists/dicts serialised as strings
    except (ValueError, SyntaxError, TypeError, OverflowError, MemoryError, RecursionError):
        # TypeError: a literal that cannot be built, e.g. '{[1]: 2}' (an unhashable key)
        shown = value if len(value) <= 200 else value[:200] + "..."
        raise fail(f"argument {param!r} must be a {type_name}, got {shown!r}", "invalid_arguments") from None


def typed_arguments(description: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """``arguments`` converted to the described parameter types as the API converts them (``'True'`` ->
    ``True``, ``"['John', 'Jane']"`` -> a list, ``'2'`` -> ``2``), and numbers given for a ``str``
    parameter as their text (every value is a string in the official format); a value that does not
    convert, or a parameter not described, is kept as given. Never raises (used to compare calls)."""
    types = {k: v["type"] for k, v in description.get("input_parameters", {}).items()}
    out = {}
    for key, value in arguments.items():
        kind = types.get(key)
        if kind == "str" and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = str(value)
            continue
        try:
            out[key] = value if kind is None else _coerce(value, kind, key)
        except ApiError:
            out[key] = value
    return out


def make_spec(description: dict[str, Any], fn: Callable[..., Any], *, writes: bool = False,
              required: Iterable[str] | None = None, extra: dict[str, Any] | None = None) -> ApiSpec:
    """An :class:`ApiSpec` whose handler coerces arguments to the described types, then calls
    ``fn(state, **arguments)``."""
    types = {k: v["type"] for k, v in description.get("input_parameters", {}).items()}

    def handler(state: StoreView, **arguments: Any) -> Any:
        coerced = {k: _coerce(v, types.get(k, "str"), k) for k, v in arguments.items()}
        return fn(state, **coerced)

    returns = {k: {"description": v.get("description", ""), "type": v.get("type")}
               for k, v in description.get("output_parameters", {}).items()}
    return ApiSpec(
        name=description["name"],
        description=description["description"],
        parameters=json_schema(description, required, extra),
        handler=handler,
        returns=returns,
        writes=writes,
        tags=("apibank",),
    )


def check_time(value: str, fmt: str = TIME_FORMAT, param: str = "time") -> str:
    """``value`` when it has format ``fmt``, else the API's format error."""
    try:
        dt.datetime.strptime(str(value).strip(), fmt)
    except ValueError:
        raise fail(f"The {param} {value!r} does not match format {fmt!r}.", "invalid_arguments") from None
    return str(value).strip()


def user_of(state: StoreView, token: str) -> str:
    """The username a token belongs to (API-Bank's ``CheckToken``)."""
    for username, record in state.scan("Account"):
        if record.get("token") == str(token).strip():
            return username
    raise fail("The token is invalid.", "invalid_token")
