"""The domain cache, and the option check every construction path goes through.

Domains are built once per (name, options) and shared by every env of the process, so a vector of
64 envs does not generate or load a database 64 times. :func:`get_domain` checks the option names
against the domain's constructor first (:func:`check_options`), so ``gym.make``, ``make_env``,
``domain_for`` and the CLI all report a typo the same way, with a did-you-mean. The env-id table is
:data:`coalm_env.specs.ENV_SPECS`.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable
from typing import Any

from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.registry import DOMAINS
from coalm_env.specs import ENV_SPECS, EnvSpec

__all__ = ["ENV_SPECS", "EnvSpec", "get_domain", "check_options", "domain_option_names", "clear_cache"]


def domain_option_names(name: str) -> frozenset[str] | None:
    """The keyword options domain ``name`` takes; ``None`` when it takes any (``**kwargs`` and no
    ``extra_options`` declared). A domain with ``**kwargs`` lists the names it accepts there in a
    class attribute ``extra_options``."""
    factory = DOMAINS.resolve(name)
    params = inspect.signature(factory).parameters.values()
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        extra = getattr(factory, "extra_options", None)
        if extra is None:
            return None
        names |= set(extra)
    return frozenset(names)


def check_options(name: str, options: Iterable[str], *, also: Iterable[str] = (), where: str | None = None) -> None:
    """Raise :class:`UnknownNameError` (with a did-you-mean over the domain's options and ``also``, e.g.
    the env's own keyword arguments) for the first option domain ``name`` does not take."""
    options = list(options)
    if not options:
        return
    known = domain_option_names(name)
    if known is None:
        return
    known = known | set(also)
    for key in options:
        if key not in known:
            raise UnknownNameError(f"option of {where or name}", key, known)


_CACHE: dict[tuple[str, str], Any] = {}


def get_domain(name: str, **options: Any) -> Any:
    """The domain object for ``name`` built with ``options`` (cached)."""
    key = (name, json.dumps(options, sort_keys=True, default=str))
    if key not in _CACHE:
        check_options(name, options)
        _check_numbers(name, options)
        _CACHE[key] = DOMAINS.make(name, **options)
    return _CACHE[key]


def _check_numbers(name: str, options: dict[str, Any]) -> None:
    """A boolean given for a numeric option (``level=true``) is refused: Python would take it as 1 or 0."""
    import re

    try:
        params = inspect.signature(DOMAINS.resolve(name)).parameters
    except (TypeError, ValueError):
        return
    for key, value in options.items():
        ann = params[key].annotation if key in params else None
        ann = ann if isinstance(ann, str) else getattr(ann, "__name__", "")
        if isinstance(value, bool) and re.search(r"\b(int|float)\b", ann) and not re.search(r"\bbool\b", ann):
            raise ConfigError(f"option {key}={str(value).lower()} of domain {name!r}: a number is expected, not a "
                              f"boolean", hint=f"give {key} as a number ({ann})")


def clear_cache() -> None:
    _CACHE.clear()
