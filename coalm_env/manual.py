"""Each env's Gymnasium-style manual: the domain writes what is its own, this module adds the rest.

A domain class carries ``MANUAL``, markdown with ``## Section`` headings for the sections that are
its own: Description, Reward (what ``success`` means for that benchmark), Episode end, Arguments (its
constructor options, with types and defaults), Default user, Example (a runnable ``python`` block) and
Version history. :func:`compose` adds the sections every env shares (Observation, Action), appends
the env's own keyword arguments (with the id's defaults) to Arguments and the common endings to
Episode end. The manual is the env's ``__doc__`` (so ``help(env.unwrapped)`` shows it),
``env.unwrapped.manual()``, and ``coalm-env list --details ID``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["SECTIONS", "compose", "manual", "sections", "example_code", "oracle_example"]

#: every manual has these sections, in this order
SECTIONS = ("Description", "Observation", "Action", "Reward", "Episode end", "Arguments", "Default user",
            "Example", "Version history")

_OBSERVATION = """A dict (:func:`coalm_env.spaces.observation_space`): ``text``, the whole prompt rendered in the
CoALM-IT layout (what an LLM agent reads); ``messages``, the structured OpenAI-style conversation
(system prompt, user turns, assistant turns with tool calls, tool results); ``tools``, the JSON
schemas of the APIs callable now."""

_ACTION = """Raw text in any format :mod:`coalm_env.parsing` reads (CoALM ReAct ``Thought:/Action:/Response:``,
Hermes/Qwen ``<tool_call>`` blocks, bare JSON calls, BFCL Python call lists; plain text is a reply
to the user) or a structured action (``Message``, a list of ``ToolCall``, a dict). Tool calls run
on the episode's backend and the agent acts again; a reply goes to the user. An unparseable action
becomes an error observation and counts in ``parse_errors``; it never raises."""

_ENDINGS = """Common to every env: truncated after ``max_turns`` agent replies (``max_turns``) or
``max_steps_per_turn`` agent steps without a reply (``max_steps``); terminated ``errored`` when an
LLM backend fails and ``internal_error`` on a bug (both score ``success`` 0).
``info["stop_reason"]`` says which."""

_ENV_ARGS = {
    "user": "a user spec (``agenda``, ``agenda:patience=3``) or a simulator object; ``None``: the default user",
    "split": "the scenario split sampled at reset (``options={\"split\": ...}`` overrides it per episode)",
    "max_turns": "agent replies before truncation",
    "max_steps_per_turn": "agent steps (actions) within one user turn before truncation",
    "max_calls_per_action": "tool calls one action may hold",
    "render_mode": "``ansi`` (``render()`` returns the prompt text) or ``human`` (prints it)",
    "env_id": "the registered id, recorded in trajectories (set by the registration)",
    "oracle_hints": "put the domain's gold next action in ``info[\"oracle_action\"]`` (the oracle "
                    "policy and self-tests; never for a policy under evaluation)",
    "interface": "``text`` or ``acts``: the act-level mode of the task-oriented envs (see Act level)",
}

#: domains with an act-level mode (:data:`coalm_env.acts_env.ACT_DOMAINS`; repeated here to stay import-free)
_ACT_DOMAINS = ("travel", "multiwoz", "multiwoz_procedural")

_HEADING = re.compile(r"^## (.+?)\s*$", re.M)


def sections(text: str) -> dict[str, str]:
    """``{heading: body}`` of a markdown text with ``## heading`` lines."""
    parts = _HEADING.split(inspect.cleandoc(text))
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def _env_arguments(defaults: Mapping[str, Any]) -> str:
    from coalm_env.env import ConversationEnv  # the env's signature is the truth

    lines = []
    for name, p in inspect.signature(ConversationEnv.__init__).parameters.items():
        if name not in _ENV_ARGS:
            continue
        value = defaults.get(name, p.default)
        lines.append(f"- ``{name}``: ``{p.annotation}`` = ``{value!r}``: {_ENV_ARGS[name]}.")
    return "Env arguments (every id):\n\n" + "\n".join(lines)


def compose(domain: Any, defaults: Mapping[str, Any] | None = None, env_id: str | None = None) -> str | None:
    """The full manual of an env over ``domain`` (a class or an object with ``MANUAL``) with the id's
    default env arguments; ``None`` when the domain has no ``MANUAL``."""
    text = getattr(domain, "MANUAL", None)
    if not text:
        return None
    own = sections(text)
    own.setdefault("Observation", _OBSERVATION)
    own.setdefault("Action", _ACTION)
    own["Episode end"] = (own.get("Episode end", "") + "\n\n" + _ENDINGS).strip()
    own["Arguments"] = (own.get("Arguments", "") + "\n\n" + _env_arguments(defaults or {})).strip()
    if getattr(domain, "name", None) in _ACT_DOMAINS:
        from coalm_env.acts import MANUAL_SECTION

        own.setdefault("Act level", MANUAL_SECTION)
    title = env_id or f"coalm/{getattr(domain, 'name', 'env')}"
    body = "\n\n".join(f"## {name}\n{own[name]}" for name in SECTIONS if name in own)
    extra = "\n\n".join(f"## {name}\n{value}" for name, value in own.items() if name not in SECTIONS)
    return f"{title}\n\n{body}" + (f"\n\n{extra}" if extra else "") + "\n"


def manual(env_id: str) -> str:
    """The manual of a registered id (imports its domain class, builds nothing)."""
    from coalm_env.registry import DOMAINS
    from coalm_env.specs import spec

    entry = spec(env_id)
    text = compose(DOMAINS.resolve(entry.domain), entry.defaults, env_id)
    return text or f"{env_id}: its domain {entry.domain!r} has no MANUAL"


def oracle_example(make: str, show: str) -> str:
    """A runnable Example body: build the env with ``make`` (an expression), play one episode with
    the oracle's hints, print the ending, the reward and ``show`` (an expression over ``info``)."""
    return f"""```python
import gymnasium as gym
import coalm_env  # registers the coalm/... ids

env = {make}
obs, info = env.reset(seed=0)
terminated = truncated = False
while not (terminated or truncated):
    action = info["oracle_action"]  # the gold next action; an agent would answer obs["text"] instead
    obs, reward, terminated, truncated, info = env.step(action)
print(info["stop_reason"], reward, {show})
```"""


def example_code(text: str) -> str:
    """The ``python`` code block of a manual's Example section."""
    found = re.search(r"```python\n(.*?)```", sections(text).get("Example", ""), re.S)
    return found.group(1) if found else ""
