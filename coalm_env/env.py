"""The one environment class: a conversation between an agent, a simulated user and mock APIs."""

from __future__ import annotations

import functools
import inspect
import traceback
import uuid
from typing import Any

import gymnasium as gym
import numpy as np

from coalm_env import limits, render, spaces
from coalm_env.domains import check_options, get_domain
from coalm_env.errors import ConfigError, LLMError, UnknownNameError
from coalm_env.manual import compose as compose_manual
from coalm_env.parsing import DEFAULT_MAX_CALLS, END_CONVERSATION, MAX_ACTION_CHARS, ParsedAction, parse_action
from coalm_env.protocols import ORACLE_HINTS, Domain, UserRequest, UserSimulator, follows_dataset
from coalm_env.registry import USERS
from coalm_env.scoring import DenseComponents, GraphCredit, finalize_metrics
from coalm_env.specs import ENV_SPECS
from coalm_env.backend.faults import FaultyBackend, fault_metrics, fault_seed, parse_faults
from coalm_env.stress import persona_specs, record_user_meta
from coalm_env.types import (
    AgentAction, Message, Scenario, StepRecord, StopReason, ToolCall, Trajectory, UserTurn, json_safe,
)
from coalm_env.version import __version__

__all__ = ["ConversationEnv", "ENV_PARAMS"]

_MAX_OBS_CHARS = limits.MAX_OBS_CHARS
#: ``interface``: ``"text"`` (the default) or ``"acts"``, the act-level mode (:mod:`coalm_env.acts_env`)
INTERFACES = ("text", "acts")


class ConversationEnv(gym.Env):
    """A task-oriented conversation as a Gymnasium environment.

    ## Description
    Each episode is one :class:`~coalm_env.types.Scenario` of a domain: a simulated user pursues a
    structured goal; the agent (the policy being tested or trained) may call the domain's mock APIs
    and reply to the user. Tool calls execute on the episode's backend and the agent acts again; a
    reply goes to the user simulator, whose next turn comes back in the observation.

    ## Observation
    A dict (:func:`coalm_env.spaces.observation_space`): ``text``, the whole prompt rendered in the
    CoALM-IT layout; ``messages``, the structured OpenAI-style conversation (system prompt, user turns,
    assistant turns with tool calls, tool results); ``tools``, the JSON schemas of the callable APIs.

    ## Action
    Raw text (any format :mod:`coalm_env.parsing` reads: ReAct, ``<tool_call>``, JSON, Python call
    lists, plain text = a reply) or a structured action (``Message``, ``ToolCall`` list, dict).
    Unparseable actions become an error observation and count as ``parse_errors``. An
    :class:`~coalm_env.types.AgentAction` (or a dict action with an ``"extra"`` key) also hands over
    what the generation backend recorded (token ids, logprobs, latency): it is stored in the step's
    ``StepRecord.extra``. With a reply, ``extra={"delex": "..."}`` hands over the reply's delexicalised
    form (``"[restaurant_name] is at [value_address]"``) for scorers that read one (MultiWOZ's
    ``mwz_inform``/``mwz_success``); the user still gets the text. A delex that is not a non-empty string
    of at most ``limits.MAX_DELEX_CHARS`` characters is ignored, with the reason in ``info["delex_warning"]``.
    The reserved tool ``end_conversation`` (the system prompt names it; it is not one of the domain's
    tools in ``tools``) ends the conversation: ``end_conversation()`` or
    ``end_conversation(message="Goodbye!")``, in any action format, as the only call of its action.

    ## Reward
    0 on every step but the last; at the end, the domain's task success in {0, 1}. ``info`` carries
    ``reward_components`` (graph credit, parse/tool errors, calls, turns, steps) for shaping.
    Where the domain has a vocabulary (the task-oriented ones), ``info["vocab"]`` is it: value
    equality, name resolution and slot schemas for policies (an object; not part of trajectories).

    ## Episode end
    Terminated when the user ends the conversation (``info["stop_reason"]``: ``goal_met``,
    ``user_gave_up``, ...), when the agent calls ``end_conversation`` (``agent_ended``; a final message
    is recorded as a reply the user does not answer; the episode is scored like any other ending) or
    on an internal error; truncated at ``max_turns`` agent replies or
    ``max_steps_per_turn`` agent steps without a reply.

    ## Arguments
    domain: a registered domain name or a :class:`~coalm_env.protocols.Domain`.
    user: a user spec (``"agenda"``, ``"agenda:patience=3"``) or simulator; default: the domain's.
    split: scenario split sampled at reset (``options={"split": ...}`` overrides per episode).
    max_turns, max_steps_per_turn, max_calls_per_action: the caps above.
    env_id: the registered id, recorded in trajectories.
    oracle_hints: put the domain's gold next action in ``info["oracle_action"]`` (for the oracle
        policy, the env's self-test; never give it to a policy under evaluation), and the domain's
        named gold actions, where it has any, in ``info["oracle_hints"]`` (MultiWOZ: ``gold_replay``);
        ``"action"`` or ``"named"``: only that one of the two (the rollout runner asks for what the policy
        reads, :func:`coalm_env.protocols.oracle_hints_for`).
    faults: backend faults at seeded rates, ``{"transient": 0.05, "timeout": 0.02, "rate_limit": 0.01}``
        or ``"transient=0.05,..."`` (:mod:`coalm_env.backend.faults`; metrics ``faults_injected``,
        ``faults_recovered``, ``fault_recovery``).
    interface: ``"text"`` (default) or ``"acts"``: the act-level mode of the task-oriented envs, dialogue acts in
        and out, no text on either side (:mod:`coalm_env.acts_env`, format in :mod:`coalm_env.acts`).
    **domain_options: passed to the domain (e.g. ``level=2``, ``category="miss_func"``).

    ## Version history
    v0: initial release.
    """

    metadata = {"render_modes": ["ansi", "human"]}

    def __new__(cls, *args: Any, interface: str = "text", **kwargs: Any):
        if interface == "acts" and cls is ConversationEnv:  # the act-level mode (coalm_env.acts_env)
            from coalm_env.acts_env import ActsEnv

            cls = ActsEnv
        return super().__new__(cls)

    def __init__(
        self,
        domain: str | Domain = "travel",
        *,
        user: str | UserSimulator | None = None,
        split: str = "test",
        max_turns: int = 20,
        max_steps_per_turn: int = 10,
        max_calls_per_action: int = DEFAULT_MAX_CALLS,
        render_mode: str | None = None,
        env_id: str | None = None,
        oracle_hints: bool | str = False,
        faults: dict[str, float] | str | None = None,
        interface: str = "text",
        **domain_options: Any,
    ):
        if interface not in INTERFACES or (interface == "acts") != (type(self).__name__ == "ActsEnv"):
            raise ConfigError(f"interface must be one of {list(INTERFACES)}, got {interface!r}")
        self.interface = interface
        for option, value in (("max_turns", max_turns), ("max_steps_per_turn", max_steps_per_turn),
                              ("max_calls_per_action", max_calls_per_action)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{option} must be a positive integer, got {value!r}")
        self.domain: Domain = _build_domain(domain, domain_options, env_id)
        if split not in self.domain.splits:
            raise UnknownNameError("split", split, self.domain.splits)
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ConfigError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.user_spec = user if isinstance(user, str) else getattr(user, "name", type(user).__name__)
        self.user: UserSimulator = USERS.make(user if user is not None else self.domain.default_user)
        if user is None:
            self.user_spec = self.domain.default_user
        self.split = split
        self.max_turns = max_turns
        self.max_steps_per_turn = max_steps_per_turn
        self.max_calls_per_action = max_calls_per_action
        self.render_mode = render_mode
        self.env_id = env_id or f"coalm/{self.domain.name}"
        self.domain_options = dict(domain_options)
        if type(oracle_hints) not in (bool, str) or oracle_hints not in ORACLE_HINTS:
            raise ConfigError(f"oracle_hints={oracle_hints!r}: expected one of {', '.join(map(repr, ORACLE_HINTS))}")
        self.oracle_hints = oracle_hints
        self.faults = parse_faults(faults)
        entry = ENV_SPECS.get(self.env_id)
        doc = compose_manual(self.domain, entry.defaults if entry else {}, self.env_id)
        if doc:  # help(env.unwrapped) shows this env's manual (pydoc prefers an instance's own __doc__)
            self.__doc__ = doc
        self.observation_space = spaces.observation_space(_MAX_OBS_CHARS)
        self.action_space = spaces.action_space(MAX_ACTION_CHARS)
        self.scenario: Scenario | None = None
        self.backend = None
        self.trajectory: Trajectory | None = None
        self._dense = DenseComponents()
        self._obs_cache = render.ObservationCache()
        self._done = True

    # -- gymnasium API -------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        request = self.begin_episode(seed=seed, options=options)
        turn = self._call_user("begin", request)
        return self.apply_user_turn(turn, first=True)[0], self._info()

    def step(self, action: Any):
        if self._done:
            return self._obs(), 0.0, True, False, self._info(note="episode is over; call reset()")
        try:
            outcome = self.agent_step(action)
            if isinstance(outcome, UserRequest):
                return self.apply_user_turn(self._call_user("respond", outcome))
            return outcome
        except Exception as exc:  # last resort: whatever failed (even scoring or rendering) never escapes
            return self._last_resort("step", exc)

    def render(self) -> str | None:
        text = self._obs()["text"] if self.trajectory else ""
        if self.render_mode == "human":
            print(text)
            return None
        return text

    # -- the loop in pieces (the batched runner and TRL adapters call these) ----------------
    def begin_episode(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> UserRequest:
        """Start an episode; returns the request for the user's opening turn."""
        super().reset(seed=seed)
        options = dict(options or {})
        self.scenario = self._pick_scenario(options)
        backend_seed, user_seed = (int(s.generate_state(1)[0]) for s in self._seed_sequence().spawn(2))
        self.backend = self.domain.build_backend(self.scenario, np.random.default_rng(backend_seed))
        if self.faults:  # calls fail at seeded rates before executing (coalm_env.backend.faults)
            self.backend = FaultyBackend(self.backend, self.faults, np.random.default_rng(fault_seed(backend_seed)))
        prompt = render.system_message(self.domain.system_prompt(self.scenario))
        self._obs_cache = render.ObservationCache()
        self.trajectory = Trajectory(
            env_id=self.env_id,
            scenario_id=self.scenario.id,
            domain=self.domain.name,
            split=self.scenario.split,
            messages=[Message(role="system", content=prompt)],
            seeds={"reset": -1 if seed is None else int(seed), "backend": backend_seed, "user": user_seed},
            version=__version__,
            user=str(self.user_spec),
            options={**self.domain_options, **{k: v for k, v in options.items() if k != "scenario"}},
            extra={"user_follows_dataset": follows_dataset(self.user)},  # a declared capability, not a name
        )
        if persona_specs(self.user):  # results can be broken down by persona (coalm_env.stress)
            self.trajectory.extra["personas"] = persona_specs(self.user)
        if self.faults:
            self.trajectory.extra["faults"] = dict(self.faults)
        self._episode_id = uuid.UUID(int=int(self.np_random.integers(2**63)) << 64 | backend_seed % 2**64).hex
        self._user_state: Any = None
        self._turn = 0
        self._replies = 0
        self._steps_in_turn = 0
        self._credit = 0.0
        self._credit_tracker = GraphCredit(self.scenario.gold.calls)  # incremental: O(new calls)
        self._dense = DenseComponents()  # likewise, O(1) per step
        self._done = False
        self._last_parse_error: str | None = None
        self._delex_warning: str | None = None
        return self._user_request(None, user_seed)

    def agent_step(self, action: Any) -> UserRequest | tuple:
        """Apply an agent action. Returns a :class:`UserRequest` when the user must answer, else the
        5-tuple ``(obs, reward, terminated, truncated, info)``."""
        try:
            return self._agent_step(action)
        except Exception as exc:  # our bug or a plug-in's: record it, end the episode, never raise
            return self._internal_error("agent_step", exc)

    def apply_user_turn(self, turn: UserTurn | BaseException, first: bool = False) -> tuple:
        """Apply the user's answer (or the exception the simulator raised); returns the 5-tuple."""
        try:
            return self._apply_user_turn(turn, first)
        except Exception as exc:
            return self._internal_error("user_turn", exc)

    def abort(self, reason: StopReason = StopReason.ERRORED, error: dict[str, Any] | None = None) -> tuple:
        """End the running episode from outside (e.g. the policy failed for it): records ``error``,
        scores the episode and returns the final 5-tuple."""
        if self._done:
            return self._obs(), 0.0, True, False, self._info(note="episode is over; call reset()")
        if error:
            self.trajectory.errors.append(dict(error))
        return self._finish(reason)

    # -- internals ---------------------------------------------------------------------
    def _seed_sequence(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(int(self.np_random.integers(2**63)))

    def _pick_scenario(self, options: dict[str, Any]) -> Scenario:
        if isinstance(options.get("scenario"), Scenario):
            return options["scenario"]
        if "scenario_id" in options:
            return self.domain.get_scenario(str(options["scenario_id"]))
        split = options.get("split", self.split)
        if split not in self.domain.splits:
            raise UnknownNameError("split", split, self.domain.splits)
        pool = self.domain.scenarios(split)
        if not pool:
            raise ConfigError(f"domain {self.domain.name!r} has no scenarios in split {split!r}")
        return pool[int(self.np_random.integers(len(pool)))]

    def _user_request(self, agent_message: Message | None, seed: int = 0) -> UserRequest:
        return UserRequest(
            scenario=self.scenario,  # type: ignore[arg-type]
            seed=seed,
            history=list(self.trajectory.messages),  # type: ignore[union-attr]
            context_factory=functools.partial(self.domain.user_context, self.scenario, self.backend),
            state=self._user_state,
            agent_message=agent_message,
            meta={**self._user_meta(), **self._user_hooks()},
        )

    def _user_hooks(self) -> dict[str, Any]:
        """``goal_change``: ``meta["goal_change"](rng) -> Scenario | None``, a valid change of the current
        goal (the ``goal_change`` persona calls it), where the domain has ``goal_change``."""
        hook = getattr(self.domain, "goal_change", None)
        return {"goal_change": functools.partial(hook, self.scenario)} if hook is not None else {}

    def _user_meta(self) -> dict[str, Any]:
        """``goal_text``: the domain's rendering of the goal for LLM users (``Domain.user_goal_text``)."""
        hook = getattr(self.domain, "user_goal_text", None)
        if hook is None:
            return {}
        if getattr(self, "_goal_text_for", None) is not self.scenario:
            self._goal_text, self._goal_text_for = hook(self.scenario), self.scenario
        return {"goal_text": self._goal_text}

    def _take_ledger(self, rows: Any) -> None:
        """Generation-ledger rows handed over by a policy (``extra["ledger"]``) or a user
        (``UserTurn.meta["ledger"]``) go to ``trajectory.extra["ledger"]`` (:mod:`coalm_env.llm.ledger`)."""
        if rows:
            self.trajectory.extra.setdefault("ledger", []).extend(json_safe(list(rows)))

    def _call_user(self, method: str, request: UserRequest) -> UserTurn | BaseException:
        try:
            return getattr(self.user, method)([request])[0]
        except Exception as exc:
            return exc

    def _agent_step(self, action: Any) -> UserRequest | tuple:
        action, extra = _split_extra(action)
        self._take_ledger(extra.pop("ledger", None))
        self._delex_warning = extra.get("delex_ignored")
        parsed = parse_action(action, max_calls=self.max_calls_per_action)
        record = StepRecord(
            t=len(self.trajectory.steps), turn=self._turn, kind=parsed.kind, extra=extra,
            action=_oversize_action(action) if parsed.oversize else _jsonable_action(action),
        )
        self.trajectory.steps.append(record)
        self._steps_in_turn += 1
        self._last_parse_error = parsed.error
        if parsed.ends:
            return self._agent_ends(parsed, record)
        if parsed.kind == "reply":
            return self._reply(parsed, record)
        if parsed.kind == "tool_calls":
            self._run_tools(parsed, record)
        else:
            record.parse_error = parsed.error
            self.trajectory.messages.append(Message(role="assistant", content=_as_text(action)))
            self.trajectory.messages.append(
                Message(role="tool", name="parse_error", content=f"Error: {parsed.error}", tool_call_id="parse_error")
            )
        if self._steps_in_turn >= self.max_steps_per_turn:
            return self._finish(StopReason.MAX_STEPS)
        return self._obs(), 0.0, False, False, self._info()

    def _run_tools(self, parsed: ParsedAction, record: StepRecord) -> None:
        calls = parsed.calls
        for i, call in enumerate(calls):
            call.id = call.id or f"call_{record.t}_{i}"
        self.trajectory.messages.append(Message(role="assistant", content=parsed.thought or "", tool_calls=calls))
        room = limits.MAX_STEP_RESULT_CHARS
        for call in calls:
            # what the agent sees and the trajectory keeps is bounded (truncated with a mark), per result
            # and per step; re-scoring bounds replayed results the same way (coalm_env.rescore)
            result = self.backend.call(call).bounded(max(limits.MIN_BOUND_CHARS, min(limits.MAX_TOOL_RESULT_CHARS, room)))
            content = result.content()
            room -= len(content)
            record.calls.append(call)
            record.results.append(result)
            self.trajectory.messages.append(
                Message(role="tool", content=content, tool_call_id=call.id, name=call.name)
            )
        self._credit = self._credit_tracker.update(self.backend.history)

    def _agent_ends(self, parsed: ParsedAction, record: StepRecord) -> tuple:
        """``end_conversation``: a final message is a reply the user does not answer; scored as any end."""
        if parsed.reply:
            record.reply = parsed.reply
            self.trajectory.messages.append(Message(role="assistant", content=parsed.reply))
        else:
            call = ToolCall(END_CONVERSATION, {}, id=f"call_{record.t}_0")
            self.trajectory.messages.append(Message(role="assistant", content=parsed.thought or "", tool_calls=[call]))
        return self._finish(StopReason.AGENT_ENDED)

    def _reply(self, parsed: ParsedAction, record: StepRecord) -> UserRequest:
        record.reply = limits.truncate(parsed.reply, limits.MAX_REPLY_CHARS) if parsed.reply else parsed.reply
        message = Message(role="assistant", content=record.reply or "")
        self.trajectory.messages.append(message)
        self._replies += 1
        return self._user_request(message)

    def _apply_user_turn(self, turn: UserTurn | BaseException, first: bool) -> tuple:
        if isinstance(turn, LLMError):
            self.trajectory.errors.append({"where": "user", "error": repr(turn), "kind": "llm"})
            return self._finish(StopReason.ERRORED)
        if isinstance(turn, BaseException):
            return self._internal_error("user", turn)
        problem = _user_turn_problem(turn)
        if problem:  # a user simulator's bug: recorded, the episode ends internal_error
            return self._internal_error("user", TypeError(problem))
        if len(turn.text) > limits.MAX_USER_TEXT_CHARS:  # kept inside the observation space, marked
            turn.text = limits.truncate(turn.text, limits.MAX_USER_TEXT_CHARS)
            self.trajectory.extra["user_text_truncated"] = self.trajectory.extra.get("user_text_truncated", 0) + 1
        self._user_state = turn.state
        self._take_ledger(turn.meta.get("ledger"))
        if isinstance(turn.meta.get("metrics"), dict):  # a user's report on itself (user-fault flags)
            self.trajectory.extra["user_metrics"] = json_safe(turn.meta["metrics"])
        if self.trajectory.steps and not first:
            self.trajectory.steps[-1].user_reply = turn.text
        if turn.text:
            self.trajectory.messages.append(Message(role="user", content=turn.text))
            self._turn += 1
        changed = record_user_meta(self.trajectory, turn, self._turn)
        if changed is not None:  # the user changed its goal: score (and hint) against the changed one
            self.scenario = changed
        self._steps_in_turn = 0
        hook = getattr(self.domain, "on_user_turn", None)
        if hook is not None:  # e.g. BFCL miss_func: a user turn makes held-out tools callable
            hook(self.scenario, self.backend, turn)
        if turn.stop is not None:
            return self._finish(turn.stop)
        if self._replies >= self.max_turns:
            return self._finish(StopReason.MAX_TURNS)
        return self._obs(), 0.0, False, False, self._info()

    def _finish(self, reason: StopReason) -> tuple:
        traj = self.trajectory
        traj.stop_reason = reason
        internal = self.backend.internal_errors if self.backend is not None else []
        traj.errors.extend(e for e in internal if e not in traj.errors)
        self._record_state_hash()
        try:
            metrics = dict(self._score_episode())
        except Exception as exc:
            traj.errors.append({"where": "score", "error": repr(exc), "traceback": traceback.format_exc()})
            metrics = {"success": 0.0}
        metrics = finalize_metrics(metrics, reason, traj.errors, self._components(), traj.extra.get("user_metrics"))
        if self.faults:
            metrics.update(fault_metrics(traj.steps))
        traj.metrics = metrics
        traj.reward = float(metrics.get("success", 0.0))
        if traj.steps:
            traj.steps[-1].reward = traj.reward
        self._done = True
        info = self._info()
        info["metrics"] = metrics
        info["trajectory"] = traj
        return self._obs(), traj.reward, not reason.truncated, reason.truncated, info

    def _score_episode(self) -> dict[str, float]:
        return self.domain.score(self.trajectory, self.scenario, self.backend)

    def _internal_error(self, where: str, exc: BaseException) -> tuple:
        self.trajectory.errors.append(
            {"where": where, "error": _exc_repr(exc), "traceback": "".join(traceback.format_exception(exc))}
        )
        return self._finish(StopReason.INTERNAL_ERROR)

    def _last_resort(self, where: str, exc: BaseException) -> tuple:
        """An error that escaped every other guard: recorded, the episode ended ``internal_error`` and a
        minimal observation returned (no further scoring or rendering that could fail again)."""
        try:
            if not self._done:
                return self._internal_error(where, exc)
        except Exception as again:
            exc = again
        if self.trajectory is not None:
            self.trajectory.stop_reason = self.trajectory.stop_reason or StopReason.INTERNAL_ERROR
            self.trajectory.errors.append({"where": where, "error": _exc_repr(exc)})
        self._done = True
        obs = {"text": "(the observation could not be rendered)", "messages": (), "tools": "[]"}
        return obs, 0.0, True, False, {"stop_reason": StopReason.INTERNAL_ERROR.value, "parse_error": None,
                                       "reward_components": {}, "trajectory": self.trajectory}

    def _record_state_hash(self) -> None:
        """``trajectory.extra["state_hash"]``: the backend's end state, when it offers a hash (re-scoring
        compares it with the replayed state: a determinism check)."""
        if self.backend is None or not hasattr(self.backend, "state_hash"):
            return
        try:
            digest = self.backend.state_hash()
        except Exception as exc:
            self.trajectory.errors.append({"where": "state_hash", "error": repr(exc)})
            return
        if digest is not None:
            self.trajectory.extra["state_hash"] = digest

    def _components(self) -> dict[str, float]:
        return self._dense(self.trajectory.steps, self._credit, self._turn)

    def _obs(self) -> dict[str, Any]:
        tools = self.backend.tools_view() if self.backend is not None else ()
        if self.trajectory is None:
            obs = render.observation([], tools)
        else:  # renders only what was added since the last step (the same observation)
            obs = self._obs_cache.observation(self.trajectory.messages, tools)
        if len(obs["text"]) > _MAX_OBS_CHARS:  # the declared space holds: the middle of the history is cut
            obs["text"] = limits.truncate_middle(obs["text"], _MAX_OBS_CHARS)
        return obs

    def _info(self, **extra: Any) -> dict[str, Any]:
        traj = self.trajectory
        info = {
            "scenario_id": traj.scenario_id if traj else None,
            "episode_id": getattr(self, "_episode_id", None),
            "turn": self._turn if traj else 0,
            "step": len(traj.steps) if traj else 0,
            "parse_error": getattr(self, "_last_parse_error", None),
            "stop_reason": traj.stop_reason.value if traj and traj.stop_reason else None,
            "reward_components": self._components() if traj else {},
        }
        if getattr(self, "_delex_warning", None):  # the last action's extra["delex"] was ignored, and why
            info["delex_warning"] = self._delex_warning
        vocab = getattr(self.domain, "vocab", None)
        if vocab is not None:  # the domain's vocabulary (value equality, schemas): never serialised
            info["vocab"] = vocab
        if self.oracle_hints and traj is not None and not self._done:
            if self.oracle_hints != "named":
                info["oracle_action"] = self._oracle_action()
            hints = self._named_oracle_hints() if self.oracle_hints != "action" else None
            if hints is not None:
                info["oracle_hints"] = hints
        info.update(extra)
        return info

    def manual(self) -> str:
        """This env's manual (:mod:`coalm_env.manual`): description, observation, action, reward,
        episode end, arguments, default user, example, version history."""
        return self.__doc__ or ""

    def oracle_action(self) -> Any:
        """The domain's gold next action for the current state (text in a format the parser reads)."""
        hook = getattr(self.domain, "oracle_action", None)
        if hook is None:
            raise ConfigError(f"domain {self.domain.name!r} has no oracle")
        return hook(self.scenario, self.backend, self.trajectory)

    def _oracle_action(self) -> Any:
        try:
            return self.oracle_action()
        except Exception as exc:
            self.trajectory.errors.append(
                {"where": "oracle", "error": repr(exc), "traceback": "".join(traceback.format_exception(exc))}
            )
            return None

    def _named_oracle_hints(self) -> dict[str, Any] | None:
        """The domain's ``oracle_hints(scenario, backend, trajectory)`` (named gold next actions for
        privileged policies, e.g. MultiWOZ's ``gold_replay``), or ``None`` where it has none."""
        hook = getattr(self.domain, "oracle_hints", None)
        if hook is None:
            return None
        try:
            return dict(hook(self.scenario, self.backend, self.trajectory))
        except Exception as exc:
            self.trajectory.errors.append(
                {"where": "oracle_hints", "error": repr(exc), "traceback": "".join(traceback.format_exception(exc))}
            )
            return None


#: keyword arguments ConversationEnv takes itself; every other option is a domain option
ENV_PARAMS = frozenset(
    name for name, p in inspect.signature(ConversationEnv.__init__).parameters.items()
    if name not in ("self", "domain") and p.kind is not inspect.Parameter.VAR_KEYWORD
)


def _build_domain(domain: str | Domain, options: dict[str, Any], env_id: str | None) -> Domain:
    """The domain, with option names checked first: every construction path (``gym.make``,
    ``make_env``, the CLI) reports an unknown option the same way, with a did-you-mean over the
    domain's options and the env's own."""
    if isinstance(domain, str):
        check_options(domain, options, also=ENV_PARAMS, where=env_id or domain)
        return get_domain(domain, **options)
    if options:  # a domain object is already built: options would be silently dropped
        raise UnknownNameError(f"option of {env_id or getattr(domain, 'name', 'domain')}", next(iter(options)),
                               ENV_PARAMS)
    return domain


def _split_extra(action: Any) -> tuple[Any, dict[str, Any]]:
    """The action proper and what the generation backend recorded for it: an :class:`AgentAction`,
    or a dict action with an ``"extra"`` key. ``extra`` is stored JSON-safe in the step record; a
    ``"delex"`` value that :func:`~coalm_env.limits.delex_problem` refuses is dropped and its reason kept
    as ``"delex_ignored"`` (the env reports it in ``info["delex_warning"]``)."""
    extra: Any = {}
    if isinstance(action, AgentAction):
        action, extra = action.action, action.extra
    elif isinstance(action, dict) and "extra" in action:
        action = dict(action)
        extra = action.pop("extra")
    if extra is None:
        extra = {}
    if not isinstance(extra, dict):
        extra = {"value": extra}
    if "delex" in extra:  # checked before the copy: a non-string would otherwise be stored as its repr
        problem = limits.delex_problem(extra["delex"])
        if problem is not None:
            extra = {**{k: v for k, v in extra.items() if k != "delex"}, "delex_ignored": problem}
    return action, json_safe(extra)


def _oversize_action(action: Any) -> Any:
    """What the trajectory keeps of an action refused unread for its size: as much text as any action, or
    a short, bounded repr of a structured one (walking it whole is what the limit prevents)."""
    if isinstance(action, str):
        return _jsonable_action(action)
    return json_safe(action, max_depth=0)


def _exc_repr(exc: BaseException) -> str:
    try:
        return repr(exc)
    except Exception:
        return f"<{type(exc).__name__}>"


def _user_turn_problem(turn: Any) -> str | None:
    """Why a user simulator's answer is not a well-formed :class:`UserTurn`, or ``None``."""
    if not isinstance(turn, UserTurn):
        return f"the user simulator returned {type(turn).__name__}, not a UserTurn"
    if not isinstance(turn.text, str):
        return f"the user simulator returned a UserTurn whose text is {type(turn.text).__name__}, not str"
    if turn.stop is not None and not isinstance(turn.stop, StopReason):
        return f"the user simulator returned a UserTurn whose stop is {type(turn.stop).__name__}, not a StopReason"
    if not isinstance(turn.meta, dict):
        return f"the user simulator returned a UserTurn whose meta is {type(turn.meta).__name__}, not a dict"
    return None


def _as_text(action: Any) -> str:
    if isinstance(action, str):
        return json_safe(action[:MAX_ACTION_CHARS])
    text = json_safe(action, max_depth=0)  # a short, safe repr
    return text[:2000] if isinstance(text, str) else str(text)[:2000]


def _jsonable_action(action: Any) -> Any:
    """The raw action as recorded in the trajectory (strict JSON, bounded)."""
    if isinstance(action, str):
        return json_safe(action[:MAX_ACTION_CHARS])
    try:
        if isinstance(action, Message):
            return json_safe(action.to_dict())
        if isinstance(action, (list, tuple)) and all(isinstance(a, (ToolCall, Message)) for a in action):
            return json_safe([a.to_dict() for a in action])
    except Exception:  # a malformed object: keep its repr
        return json_safe(action, max_depth=0)
    return json_safe(action)
