"""One exception tree. The CLI alone catches :class:`CoalmError` and prints one ``error:`` line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CoalmError",
    "ConfigError",
    "DataNotFoundError",
    "DataCorruptError",
    "DependencyNotInstalled",
    "UnknownNameError",
    "ApiError",
    "BackendError",
    "LLMError",
]


class CoalmError(Exception):
    """Base of every error coalm-env raises on purpose. ``hint`` says how to fix it."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = Exception.__str__(self)  # not KeyError's quoting (UnknownNameError is a KeyError)
        return f"{base} (hint: {self.hint})" if self.hint else base


class ConfigError(CoalmError, ValueError):
    """A configuration or option value is invalid."""


class DataNotFoundError(CoalmError, FileNotFoundError):
    """A dataset file is missing; the message names the file and the fetch command."""

    def __init__(self, path: str, fix: str):
        super().__init__(f"dataset file not found: {path}", hint=fix)
        self.path = path
        self.fix = fix


class DataCorruptError(CoalmError):
    """A dataset file exists but cannot be read."""

    def __init__(self, path: str, reason: str, fix: str):
        super().__init__(f"dataset file unreadable: {path}: {reason}", hint=fix)
        self.path = path


class DependencyNotInstalled(CoalmError, ImportError):
    """An optional dependency is missing; names the extra that installs it."""

    def __init__(self, package: str, extra: str):
        super().__init__(
            f"optional dependency {package!r} is not installed",
            hint=f"pip install 'coalm-env[{extra}]'",
        )
        self.package = package
        self.extra = extra


class UnknownNameError(CoalmError, KeyError):
    """A name (env id, user, policy, API, option) is not known; suggests the closest ones."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(map(repr, close))}?" if close else f"known: {', '.join(known) or '(none)'}"
        super().__init__(f"unknown {kind} {name!r}", hint=hint)
        self.kind = kind
        self.name = name
        self.suggestions = close

    def __str__(self) -> str:  # KeyError would repr() the message otherwise
        return CoalmError.__str__(self)


class ApiError(CoalmError):
    """Raised by an API handler for an expected failure (not found, booking failed...).

    The backend turns it into a :class:`~coalm_env.types.ToolResult` error; it never leaves ``step()``.
    """

    def __init__(self, type_: str, message: str, **details):
        super().__init__(message)
        self.type = type_
        self.details = details


class BackendError(CoalmError):
    """The API graph itself is misconfigured (duplicate API, edge to an unknown field, ...)."""


class LLMError(CoalmError):
    """An LLM backend failed after its retries; the episode is marked ``errored``."""
