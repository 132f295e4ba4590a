"""Limits on what an agent or a user can make the env hold, render or compute (issue 16).

Every value an agent or a user sends is checked against these bounds before it is executed,
rendered or compared; what is over a bound becomes an error observation for the agent (never an
exception out of ``step()``, never an internal error), or is truncated with :data:`TRUNCATION_MARK`.

=============================  ==========  =======================================================
limit                          value       what happens beyond it
=============================  ==========  =======================================================
``MAX_ACTION_CHARS``           200,000     a text action: parse error (nothing of it is parsed)
``MAX_STRUCTURED_VALUES``      20,000      a structured action (``ToolCall``/``Message``/dict/list)
                                           walked as a tree, every visit counted (so references
                                           shared ``x = [x, x]`` count each time): parse error
``MAX_STRUCTURED_CHARS``       200,000     the characters of all strings of a structured action:
                                           parse error
``MAX_DEPTH``                  64          nesting of lists/dicts in an action: parse error
``MAX_NAME_CHARS``             256         a tool name: parse error; a call id: cut to it
``MAX_INT_DIGITS``             4,300       an integer argument of more digits (Python's limit for
                                           printing one): parse error starting ``invalid_arguments:``
``MAX_TOOL_RESULT_CHARS``      50,000      one tool result as the agent sees it: truncated (mark)
``MAX_STEP_RESULT_CHARS``      200,000     the tool results of one step together: truncated (mark)
``MAX_REPLY_CHARS``            20,000      an agent reply to the user: truncated (mark)
``MAX_DELEX_CHARS``            20,000      a delexicalised reply handed over in an action's
                                           ``extra["delex"]`` (:func:`delex_problem`): ignored,
                                           the reason in ``info["delex_warning"]`` and the step's
                                           ``extra["delex_ignored"]``; the reply itself goes on
``MAX_USER_TEXT_CHARS``        50,000      a user turn's text: truncated (mark), counted in
                                           ``trajectory.extra["user_text_truncated"]``; a user turn
                                           whose text is not a string is a user bug: the episode ends
                                           ``internal_error`` with the error recorded
``MAX_OBS_CHARS``              4,000,000   the observation's ``text`` (the whole rendered prompt):
                                           the middle of the history is cut (mark); the declared
                                           observation space holds this bound
=============================  ==========  =======================================================

Numbers inside trajectories and observations: an integer too long to print (more than
:data:`MAX_PRINTABLE_INT_DIGITS` digits; Python refuses to convert such integers to text) is written as
the string ``"<int of ~N digits>"`` by :func:`coalm_env.types.json_safe`.

What the agent sees. A parse error is a tool message named ``parse_error`` whose content starts with
``Error:`` (``info["parse_error"]`` holds the reason, ``info["reward_components"]["parse_errors"]``
counts them), e.g. ``Error: the action is 200001 characters long; at most 200000 are read``. A call
refused by a bound of a backend is a tool result ``{"error": {"type": "limit_exceeded", "message":
...}}`` (``invalid_arguments`` for a schema bound), counted in ``tool_errors``. Neither is an
exception out of ``step()``, nor an internal error.

Per-call bounds of the backends that can run long. No call is timed out or interrupted: each call
whose CPU time or memory could grow without bound is refused *before* it runs when its inputs would
cross a bound that keeps it well under a second and a few hundred MB (the ground truth of every
dataset stays far inside them; tests/test_hostile_inputs.py, the fuzz suite's ``max_step_s``).

===============================================  ==============  ========================================
backend call                                     bound           refusal
===============================================  ==============  ========================================
BFCL ``MathAPI.power``                           result of at    ``limit_exceeded`` (e.g. a 4000-digit
                                                 most 100,000    base to the 10,000th: minutes before)
                                                 bits
BFCL ``MathAPI.round_number``                    ``|decimal_     ``limit_exceeded``
                                                 places|`` <=
                                                 10,000
BFCL ``MathAPI`` ``exponent`` / ``precision``    +-10,000 /      ``invalid_arguments`` (schema bound)
                                                 0..10,000
BFCL ``GorillaFileSystem`` ``cp``/``echo``/      10,000 paths,   ``limit_exceeded``: "no space left on
``du``/``find``                                  20,000,000      the device" (shared directories counted
                                                 characters      at every path they appear at)
API-Bank ``Calculator`` / level-3 calculators    500 characters, ``invalid_arguments``; parsed with ``ast``,
                                                 exponents <= 64 never evaluated; float results, non-finite
                                                 in magnitude    refused
===============================================  ==============  ========================================

The values live with those backends (:data:`coalm_env.domains.bfcl.apis.GUARDS`, ``MAX_RESULT_BITS``,
``MAX_DECIMAL_PLACES``, ``MAX_FS_ENTRIES``, ``MAX_FS_CHARS``; ``coalm_env.domains.apibank.apis_home.calculate``);
each tool result is then bounded by ``MAX_TOOL_RESULT_CHARS`` / ``MAX_STEP_RESULT_CHARS`` above.

Per-episode wall time. ``RolloutConfig(max_episode_s=...)`` (lock-step and async runners; default
none): checked between steps, an episode past it ends ``errored`` with ``errors[-1]["kind"] ==
"timeout"``; a single step is bounded by the per-call bounds above, not interrupted. A run asks for at
most ``coalm_env.rollout.MAX_EPISODES`` (1,000,000) episodes (refused at once beyond: every trajectory
is kept in memory); a sweep worker (:mod:`coalm_env.sweep.worker`) ends only the broken episode.

Observation size inside the declared space. Every text field of the observation space is
``UnicodeText(0, MAX_OBS_CHARS)`` (message ``name``/``tool_call_id``: ``MAX_NAME_CHARS``); the renderer cuts
the middle of the history (marked) so that ``text`` stays within it, whatever the tool results, replies
and user turns (each bounded above) add up to. ``tests/test_fuzz_ci.py`` checks
``observation_space.contains(obs)`` for 100,000 fuzzed actions per CI run.

Isolation. One bad episode never takes others down: a hostile action is an observation, so the workers
of a ``gymnasium`` ``AsyncVectorEnv`` survive it, and :class:`coalm_env.vector.CoalmAsyncVectorEnv`
reports a worker process that dies anyway (index, pid, exit code); the runners end only the episode
whose policy or env call raised (see :mod:`coalm_env.rollout`) and still write ``summary.json``.
Damaged dataset files are refused when first loaded (:mod:`coalm_env.data_check`).

This module imports nothing from the project (every layer may use it).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "MAX_ACTION_CHARS", "MAX_STRUCTURED_VALUES", "MAX_STRUCTURED_CHARS", "MAX_DEPTH", "MAX_NAME_CHARS", "MAX_INT_DIGITS",
    "MAX_TOOL_RESULT_CHARS", "MAX_STEP_RESULT_CHARS", "MAX_REPLY_CHARS", "MAX_DELEX_CHARS", "MAX_USER_TEXT_CHARS", "MAX_OBS_CHARS",
    "MAX_PRINTABLE_INT_DIGITS", "MIN_BOUND_CHARS", "TRUNCATION_MARK", "structure_problem", "number_problem", "int_too_long",
    "int_placeholder", "safe_float", "values_problem", "delex_problem", "truncate", "truncate_middle",
]

MAX_ACTION_CHARS = 200_000
MAX_STRUCTURED_VALUES = 20_000
MAX_STRUCTURED_CHARS = 200_000
MAX_DEPTH = 64
MAX_NAME_CHARS = 256
MAX_INT_DIGITS = 4_300
MAX_TOOL_RESULT_CHARS = 50_000
MAX_STEP_RESULT_CHARS = 200_000
#: a tool result is never cut below this, even when the step's budget is spent
MIN_BOUND_CHARS = 1_000
MAX_REPLY_CHARS = 20_000
#: a delexicalised reply (``AgentAction.extra["delex"]``) of more characters is ignored
MAX_DELEX_CHARS = MAX_REPLY_CHARS
MAX_USER_TEXT_CHARS = 50_000
MAX_OBS_CHARS = 4_000_000
#: integers of more digits are never converted to text (Python's own default limit)
MAX_PRINTABLE_INT_DIGITS = 4_300
#: what replaces the cut part of a truncated text: ``TRUNCATION_MARK.format(n=<characters cut>)``
TRUNCATION_MARK = " [... {n} characters truncated ...] "

_INT_BOUND = 10**MAX_INT_DIGITS
_PRINT_BOUND = 10**MAX_PRINTABLE_INT_DIGITS


def int_too_long(value: int) -> bool:
    """Whether ``value`` is too long to be converted to text (see :data:`MAX_PRINTABLE_INT_DIGITS`)."""
    return value.bit_length() > 14_000 and not -_PRINT_BOUND < value < _PRINT_BOUND


def int_placeholder(value: int) -> str:
    """``"<int of ~N digits>"``: a printable stand-in for an integer too long to print."""
    return f"<int of ~{int(value.bit_length() * math.log10(2)) + 1} digits>"


def safe_float(value: Any) -> float | None:
    """``float(value)`` for a number or numeric text, ``None`` where it is not one or overflows."""
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out


def number_problem(value: Any, where: str) -> str | None:
    """Why an agent value is not acceptable as a number (an integer of more than
    :data:`MAX_INT_DIGITS` digits), or ``None``."""
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT_BOUND < value < _INT_BOUND:
        digits = int(value.bit_length() * math.log10(2)) + 1
        return (f"invalid_arguments: {where} is an integer of about {digits} digits; "
                f"numbers may have at most {MAX_INT_DIGITS} digits")
    return None


def _children(item: Any) -> Any:
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, (list, tuple, set, frozenset)):
        return item
    # the project's own action objects (duck-typed: this module imports nothing from the project)
    kind = type(item).__name__
    if kind == "ToolCall":
        return [getattr(item, "name", None), getattr(item, "arguments", None), getattr(item, "id", None)]
    if kind == "Message":
        return [getattr(item, "content", None), getattr(item, "tool_calls", None)]
    if kind == "AgentAction":
        return [getattr(item, "action", None)]
    return ()


def structure_problem(value: Any, *, max_values: int = MAX_STRUCTURED_VALUES, max_chars: int = MAX_STRUCTURED_CHARS,
                      max_depth: int = MAX_DEPTH) -> str | None:
    """Why a structured value is too large to take (more than ``max_values`` values visited, shared
    references counted at every visit; more than ``max_chars`` characters of strings; nesting deeper
    than ``max_depth``), or ``None``. Iterative, and stops at the first bound crossed: its cost is
    bounded by the limits, whatever the value."""
    seen, chars, stack = 0, 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        seen += 1
        if seen > max_values:
            return f"the action holds more than {max_values} values; send fewer or smaller arguments"
        if level > max_depth:
            return f"the action is nested deeper than {max_depth} levels"
        if isinstance(item, (str, bytes)):
            chars += len(item)
            if chars > max_chars:
                return f"the action holds more than {max_chars} characters of text"
            continue
        children = _children(item)
        if children:
            stack.extend((child, level + 1) for child in children)
    return None


def values_problem(arguments: Any, name: str) -> str | None:
    """The first number in a call's ``arguments`` beyond :func:`number_problem`'s bound (an iterative
    walk; call it on values :func:`structure_problem` or the text cap already bounded)."""
    stack = [(arguments, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in item.items())
            stack.extend((k, f"{path} (a key)" if path else "a key") for k in item if not isinstance(k, str))
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
        else:
            problem = number_problem(item, f"{name}: argument {path!r}" if path else f"{name}: an argument")
            if problem:
                return problem
    return None


def truncate(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, the cut marked with :data:`TRUNCATION_MARK`."""
    if len(text) <= limit:
        return text
    mark = TRUNCATION_MARK.format(n=len(text) - limit)
    return text[:limit] + mark.rstrip()


def truncate_middle(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters: its head and its tail kept, the middle cut and marked."""
    if len(text) <= limit:
        return text
    keep = max(0, limit - len(TRUNCATION_MARK.format(n=len(text))))
    head = keep // 4
    mark = TRUNCATION_MARK.format(n=len(text) - keep)
    return text[:head] + mark + text[len(text) - (keep - head):]


def delex_problem(value: Any) -> str | None:
    """Why ``value`` is not a usable delexicalised reply (``extra["delex"]`` of an action: a non-empty
    string of at most :data:`MAX_DELEX_CHARS` characters), or ``None``. The env and the MultiWOZ scorer
    both check it, so a rescored trajectory file reads only what the env would have read."""
    if not isinstance(value, str):
        return f"extra['delex'] ignored: a {type(value).__name__}, not a string"
    if not value.strip():
        return "extra['delex'] ignored: empty"
    if len(value) > MAX_DELEX_CHARS:
        return f"extra['delex'] ignored: {len(value)} characters long; at most {MAX_DELEX_CHARS} are read"
    return None
