"""GRPO adapter (a): TRL's ``environment_factory``, one env object per rollout whose methods are the tools.

TRL's tool loop (``GRPOTrainer(environment_factory=...)``) calls ``reset(**row)`` on a fresh-or-pooled
instance per rollout, appends the returned string to the prompt's last user message, exposes every
public method of the instance's class as a tool (schema from its type hints and Google docstring),
executes the calls the policy makes and generates again until a completion makes no call.

Here an instance wraps one :class:`~coalm_env.env.ConversationEnv`:

- its tool methods are generated from the scenario's JSON schemas (:func:`tool_method`); a call runs on
  the episode's backend through ``env.step`` and returns the tool result;
- ``reply_to_user(message)`` sends a reply to the simulated user and returns the user's answer (TRL's loop
  has no other channel to the user); ``end_conversation(message)`` is the env's reserved tool;
- ``reset(scenario_id, seed)`` starts the scenario's episode and returns the user's opening turn;
- a completion that ends without a call ends the conversation with that text as the agent's last
  message; :func:`env_reward` then scores the episode (:mod:`coalm_env.train.reward`).

The class has no ``get_reward``: TRL would call it without the final completion, and the reward's
weights live in the run config; :func:`env_reward` is passed as a reward function instead (TRL gives
reward functions the rollouts' ``environments``).

One class, hence one factory, per tool set (:func:`build_environments`): TRL probes each factory once
to learn its tools, and a dict of factories is routed by the dataset's ``environment`` column.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from coalm_env.errors import ConfigError
from coalm_env.parsing import END_CONVERSATION
from coalm_env.train.reward import check_weights, episode_reward
from coalm_env.types import Message, ToolCall

__all__ = ["REPLY_TOOL", "EpisodeEnv", "tool_method", "tool_env_class", "build_environments", "env_reward"]

REPLY_TOOL = "reply_to_user"
_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict}
_OVER = " [The conversation is over.]"
_HOW_TO_TALK = (f"\n\nTalk to the user only by calling {REPLY_TOOL}(message); it returns the user's answer. "
                "Finish with a short final message and no tool call when the user needs nothing more.")


def _function(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return schema.get("function", schema)


def _py_type(prop: Mapping[str, Any]) -> Any:
    kind = prop.get("type")
    if isinstance(kind, list):  # ["string", "null"]: the first concrete type
        kind = next((k for k in kind if k != "null"), None)
    return _TYPES.get(kind, Any)


def _one_line(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def _docstring(fn: Mapping[str, Any], props: Mapping[str, Any]) -> str:
    lines = [_one_line(fn.get("description")) or f"Call the {fn['name']} API.", ""]
    if props:
        lines.append("Args:")
        for name, prop in props.items():
            desc = _one_line(prop.get("description")) or name.replace("_", " ")
            if prop.get("enum"):  # transformers' get_json_schema reads "(choices: [...])" back into an enum
                desc += f" (choices: {json.dumps(prop['enum'], ensure_ascii=False)})"
            lines.append(f"    {name}: {desc}")
        lines.append("")
    lines += ["Returns:", "    The API result as JSON text, or an error message."]
    return "\n".join(lines)


def tool_method(schema: Mapping[str, Any]) -> Callable[..., str]:
    """A typed, docstring'd method for one tool schema (OpenAI ``{"type": "function", ...}`` or bare);
    calling it runs the tool in the instance's episode (:meth:`EpisodeEnv._call`)."""
    fn = _function(schema)
    name, params = fn["name"], fn.get("parameters") or {}
    props, required = dict(params.get("properties") or {}), set(params.get("required") or [])
    bad = [p for p in [name, *props] if not p.isidentifier() or keyword.iskeyword(p)]
    if bad:
        raise ConfigError(f"tool {name!r}: {bad[0]!r} is not a Python identifier; it cannot be a method argument")
    order = sorted(props, key=lambda p: p not in required)  # required first: Python's ordering rule

    def method(self, **arguments: Any) -> str:
        return self._call(name, arguments)

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    method.__signature__ = inspect.Signature(
        [inspect.Parameter("self", kind)]
        + [inspect.Parameter(p, kind, annotation=_py_type(props[p]),
                             default=inspect.Parameter.empty if p in required else None) for p in order],
        return_annotation=str)
    method.__annotations__ = {**{p: _py_type(props[p]) for p in order}, "return": str}
    method.__name__ = method.__qualname__ = name
    method.__doc__ = _docstring(fn, props)
    return method


class EpisodeEnv:
    """One rollout's episode for TRL's tool loop (see the module docstring).

    Args:
        env_id: a registered id (``coalm/Travel-v0``).
        env_kwargs: ``gym.make`` options (``user``, ``split``, ``max_turns``, domain options...).
    """

    def __init__(self, env_id: str, env_kwargs: Mapping[str, Any] | None = None):
        import gymnasium as gym

        import coalm_env  # noqa: F401  (registers the ids)

        self._env = gym.make(env_id, **dict(env_kwargs or {})).unwrapped
        self._done = True
        self._info: dict[str, Any] = {}

    def reset(self, scenario_id: str | None = None, seed: int | None = None, **_: Any) -> str:
        """Start the scenario's episode (any other dataset column is ignored); returns the user's opening turn."""
        options = {"scenario_id": scenario_id} if scenario_id is not None else None
        obs, self._info = self._env.reset(seed=None if seed is None else int(seed), options=options)
        self._done = self._env.trajectory.stop_reason is not None
        users = [m for m in self._env.trajectory.messages if m.role == "user"]
        return users[-1].content if users else ""

    def reply_to_user(self, message: str) -> str:
        """Send a message to the user and wait for their answer.

        Args:
            message: what to tell or ask the user

        Returns:
            The user's answer.
        """
        if self._done:
            return "Error: the conversation is over."
        self._step(Message(role="assistant", content=str(message)))
        last = self._env.trajectory.messages[-1]
        answer = last.content if last.role == "user" else ""
        return answer + (_OVER if self._done else "")

    def end_conversation(self, message: str = None) -> str:  # type: ignore[assignment]  # None: no message
        """End the conversation, optionally with a final message to the user.

        Args:
            message: a final message to the user

        Returns:
            A confirmation that the conversation is over.
        """
        if not self._done:
            self._step([ToolCall(END_CONVERSATION, {"message": message} if message else {})])
        return _OVER.strip(" []")

    # -- not tools (TRL skips names with a leading underscore) ------------------------------------
    def _step(self, action: Any) -> None:
        _, _, terminated, truncated, self._info = self._env.step(action)
        self._done = bool(terminated or truncated)

    def _call(self, name: str, arguments: Mapping[str, Any]) -> str:
        if self._done:
            return "Error: the conversation is over."
        self._step([ToolCall(name, {k: v for k, v in arguments.items() if v is not None})])
        last = self._env.trajectory.messages[-1]
        return (last.content if last.role == "tool" else "") + (_OVER if self._done else "")

    def _finish(self, final_text: str | None = None) -> dict[str, float]:
        """End the episode if it is still running (the completion's last text is the agent's final
        message); returns the episode's metrics."""
        if not self._done:
            self.end_conversation(final_text or None)
        return dict(self._env.trajectory.metrics or {})


def tool_env_class(tools: Sequence[Mapping[str, Any]], name: str = "TravelEnv") -> type[EpisodeEnv]:
    """A subclass of :class:`EpisodeEnv` with one method per tool schema."""
    methods = {_function(t)["name"]: tool_method(t) for t in tools}
    taken = sorted(set(methods) & {REPLY_TOOL, END_CONVERSATION, "reset", "get_reward"})
    if taken:
        raise ConfigError(f"tool {taken[0]!r} clashes with a name the GRPO env adapter reserves")
    return type(name, (EpisodeEnv,), {**methods, "__doc__": f"{name}: {len(methods)} tools ({', '.join(methods)})."})


def _toolset_key(env_id: str, tools: Sequence[Mapping[str, Any]]) -> str:
    digest = hashlib.sha1(json.dumps(list(tools), sort_keys=True).encode()).hexdigest()[:8]
    return f"{env_id.split('/')[-1]}-{digest}"


def _class_name(env_id: str, key: str) -> str:
    base = re.sub(r"\W", "", env_id.split("/")[-1].split("-")[0].title()) or "Coalm"
    return f"{base}Env_{key.rsplit('-', 1)[-1]}"


def build_environments(env_id: str, env_kwargs: Mapping[str, Any] | None = None, *, split: str = "train",
                       limit: int | None = None, skip: int = 0
                       ) -> tuple[list[dict[str, Any]], dict[str, Callable[[], EpisodeEnv]]]:
    """Dataset rows and the dict of factories for ``GRPOTrainer(environment_factory=...)``.

    Each row is one scenario of ``split`` (the first ``limit`` after the first ``skip``): ``prompt`` (the scenario's system prompt
    plus how to reach the user, and an empty user turn that ``reset`` fills with the user's opening),
    ``scenario_id``, ``seed`` (shared by the row's generations: they face the same user) and
    ``environment`` (the tool-set key routing the row to its factory).
    """
    import gymnasium as gym

    import coalm_env  # noqa: F401
    from coalm_env.render import system_message

    env_kwargs = {k: v for k, v in dict(env_kwargs or {}).items() if k != "split"}
    domain = gym.make(env_id, **env_kwargs).unwrapped.domain
    rows, classes = [], {}
    for i, scenario in enumerate(domain.scenarios(split)[skip:][:limit]):
        tools = domain.build_backend(scenario, np.random.default_rng(0)).tool_schemas()
        key = _toolset_key(env_id, tools)
        classes.setdefault(key, tool_env_class(tools, _class_name(env_id, key)))
        system = system_message(domain.system_prompt(scenario)) + _HOW_TO_TALK
        rows.append({"prompt": [{"role": "system", "content": system}, {"role": "user", "content": ""}],
                     "scenario_id": scenario.id, "seed": i, "environment": key})
    if not rows:
        raise ConfigError(f"{env_id} has no scenarios in split {split!r}")
    factories = {key: functools.partial(cls, env_id, {**env_kwargs, "split": split}) for key, cls in classes.items()}
    return rows, factories


def _final_text(completion: Any) -> str | None:
    """The text of a completion's last assistant message when it makes no call (TRL's message list)."""
    if isinstance(completion, str):
        return completion
    last = next((m for m in reversed(completion or []) if m.get("role") == "assistant"), None)
    return None if last is None or last.get("tool_calls") else (last.get("content") or None)


def env_reward(weights: Mapping[str, float] | None = None) -> Callable[..., list[float]]:
    """The reward function for TRL: each rollout's episode is ended (if still running) and scored by
    :func:`coalm_env.train.reward.episode_reward`; success and the dense terms are logged as metrics."""
    weights = check_weights(weights)

    def coalm_episode(completions, environments=None, log_metric=None, **_: Any) -> list[float]:
        metrics = [env._finish(_final_text(c)) for env, c in zip(environments, completions, strict=True)]
        if log_metric is not None:
            for name in weights:
                log_metric(f"env/{name}", float(np.mean([m.get(name, 0.0) for m in metrics])))
        return [episode_reward(m, weights) for m in metrics]

    return coalm_episode
