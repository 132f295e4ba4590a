"""The act-level mode of the task-oriented envs: ``gym.make("coalm/MultiWOZ-v0", interface="acts")``.

:class:`ActsEnv` is the :class:`~coalm_env.env.ConversationEnv` with the text replaced by dialogue acts on both
sides (the format: :mod:`coalm_env.acts`). The episode, backend, user simulator, caps, seeding, trajectory
and end reasons are the text level's; what changes:

- **action**: ``{"acts": [[intent, domain, slot, value], ...], "calls": [...], "end": false}`` (dict, JSON text
  or :class:`~coalm_env.acts.ActAction`); calls run first; acts go to the user; calls alone get their results
  back. A malformed action is an error observation (``obs["error"]``, ``info["parse_error"]``).
- **observation**: ``{"user_acts", "tool_results", "error"}`` (:func:`coalm_env.acts.observation_space`): no
  prompt is rendered, no history re-sent.
- **user**: the user simulator reads the system acts (``UserRequest.meta["system_acts"]``) and answers with acts
  (``UserTurn.acts``), no NLU or NLG; only users that declare ``reads_acts`` (the agenda user) play here.
- **scoring**: the domain's task metrics read from the acts and the calls (:mod:`coalm_env.domains.tod.act_scoring`).
- **trajectory**: assistant and user messages hold the acts as compact JSON text; each reply step records
  ``extra["acts"]``; tool calls and results as at the text level.
"""

from __future__ import annotations

import functools
from typing import Any

from coalm_env import acts as A
from coalm_env import limits
from coalm_env.env import ConversationEnv, _jsonable_action, _oversize_action, _split_extra
from coalm_env.errors import ConfigError
from coalm_env.protocols import UserRequest
from coalm_env.types import Message, StepRecord, StopReason, ToolCall, UserTurn, json_safe

__all__ = ["ActsEnv", "ACT_DOMAINS"]

#: domains with an act-level mode (task-oriented, with slot schemas and an act-reading user)
ACT_DOMAINS = ("travel", "multiwoz", "multiwoz_procedural")


class ActsEnv(ConversationEnv):
    """The act-level mode (module docstring); built by ``ConversationEnv(..., interface="acts")``."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs["interface"] = "acts"
        super().__init__(*args, **kwargs)
        if self.domain.name not in ACT_DOMAINS or getattr(getattr(self.domain, "vocab", None), "schemas", None) is None:
            raise ConfigError(f"interface='acts' is for the task-oriented envs ({', '.join(ACT_DOMAINS)}); "
                              f"{self.env_id} has no dialogue acts: use interface='text'")
        if not getattr(self.user, "reads_acts", False):
            raise ConfigError(f"user {self.user_spec!r} does not read and write dialogue acts; at act level use "
                              "the agenda user (user='agenda')")
        self.act_vocab = A.ActVocabulary({d: s for d, s in self.domain.vocab.schemas.items()})
        self.observation_space = A.observation_space()
        self._user_acts: tuple = ()
        self._results: tuple = ()
        self._error = ""
        self._system_acts: list[list[str]] | None = None
        self._context: tuple | None = None
        from coalm_env.domains.tod.act_scoring import score_acts

        self._scorer = functools.partial(score_acts, self.domain)

    # -- the loop -------------------------------------------------------------------------------
    def begin_episode(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> UserRequest:
        self._user_acts, self._results, self._error, self._system_acts = (), (), "", None
        self._context = None
        request = super().begin_episode(seed=seed, options=options)
        self.trajectory.extra["interface"] = "acts"
        return request

    def _user_request(self, agent_message: Message | None, seed: int = 0) -> UserRequest:
        return UserRequest(
            scenario=self.scenario,  # type: ignore[arg-type]
            seed=seed,
            history=self.trajectory.messages,  # type: ignore[union-attr]  (read-only for users; not copied)
            context_factory=self._episode_context,
            state=self._user_state,
            agent_message=agent_message,
            meta={"interface": "acts", "system_acts": self._system_acts, **self._user_hooks()},
        )

    def _episode_context(self) -> Any:
        """The user context, built once per episode (and again after a goal change): it reads the live backend
        state, so bookings made since are seen; entity look-ups are memoised (the entity tables never change
        within an episode; each caller gets its own copy)."""
        if self._context is None or self._context[0] is not self.scenario or self._context[1] is not self.backend:
            ctx = self.domain.user_context(self.scenario, self.backend)
            inner, memo = ctx.lookup, {}

            def lookup(domain: str, name: str) -> Any:
                key = (domain, name)
                if key not in memo:
                    memo[key] = inner(domain, name)
                rec = memo[key]
                return dict(rec) if rec is not None else None

            ctx.lookup = lookup
            self._context = (self.scenario, self.backend, ctx)
        return self._context[2]

    def _agent_step(self, action: Any) -> UserRequest | tuple:
        action, extra = _split_extra(action)
        self._take_ledger(extra.pop("ledger", None))
        parsed = A.parse_act_action(action, self.act_vocab, self.max_calls_per_action)
        kind = "error" if parsed.error else ("end" if parsed.end and not parsed.acts else
                                            "reply" if parsed.acts else "tool_calls")
        record = StepRecord(t=len(self.trajectory.steps), turn=self._turn, kind=kind, extra=extra,
                            action=_oversize_action(action) if parsed.oversize else _act_record(action, parsed))
        self.trajectory.steps.append(record)
        self._steps_in_turn += 1
        self._last_parse_error = parsed.error
        self._error = limits.truncate(parsed.error, A.MAX_ERROR_CHARS - 100) if parsed.error else ""
        self._results = ()
        if parsed.error:
            record.parse_error = parsed.error
            self.trajectory.messages.append(Message(role="assistant", content=""))
            self.trajectory.messages.append(Message(role="tool", name="parse_error", content=f"Error: {parsed.error}",
                                                    tool_call_id="parse_error"))
        else:
            if parsed.calls:
                self._run_calls(parsed.calls, record)
            if parsed.acts:
                record.extra["acts"] = parsed.acts
                text = A.act_json(parsed.acts)
                record.reply = text
                message = Message(role="assistant", content=text)
                self.trajectory.messages.append(message)
                if not parsed.end:
                    self._replies += 1
                    self._system_acts = parsed.acts
                    return self._user_request(message)
            if parsed.end:
                return self._finish(StopReason.AGENT_ENDED)
        if self._steps_in_turn >= self.max_steps_per_turn:
            return self._finish(StopReason.MAX_STEPS)
        return self._obs(), 0.0, False, False, self._info()

    def _run_calls(self, calls: list[ToolCall], record: StepRecord) -> None:
        for i, call in enumerate(calls):
            call.id = call.id or f"call_{record.t}_{i}"
        self.trajectory.messages.append(Message(role="assistant", content="", tool_calls=calls))
        room, shown = limits.MAX_STEP_RESULT_CHARS, []
        for call in calls:
            result = self.backend.call(call)
            bound = max(limits.MIN_BOUND_CHARS, min(limits.MAX_TOOL_RESULT_CHARS, room))
            content = result.content()  # rendered once (``bounded`` renders it again only when cutting)
            if len(content) > bound:
                result = result.bounded(bound)
                content = result.content()
            room -= len(content)
            record.calls.append(call)
            record.results.append(result)
            self.trajectory.messages.append(Message(role="tool", content=content, tool_call_id=call.id, name=call.name))
            shown.append({"name": call.name[:limits.MAX_NAME_CHARS], "content": content})
        self._results = tuple(shown)
        self._credit = self._credit_tracker.update(self.backend.history)

    def _apply_user_turn(self, turn: UserTurn | BaseException, first: bool) -> tuple:
        if isinstance(turn, UserTurn) and isinstance(turn.text, str) and not turn.text and turn.acts:
            self._user_acts = A.user_acts(turn.acts)
            turn.text = A.act_json(self._user_acts)  # the acts, as the trajectory's user message
        elif isinstance(turn, UserTurn):
            self._user_acts = A.user_acts(turn.acts)
        return super()._apply_user_turn(turn, first)

    def _score_episode(self) -> dict[str, float]:
        return self._scorer(self.trajectory, self.scenario, self.backend)

    def _obs(self) -> dict[str, Any]:
        return {"user_acts": self._user_acts, "tool_results": self._results, "error": self._error}

    def render(self) -> str | None:
        import json

        text = json.dumps(json_safe(self._obs()), ensure_ascii=False) if self.trajectory else ""
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def oracle_action(self) -> Any:
        from coalm_env.domains.tod.act_oracle import oracle_act_action

        return oracle_act_action(self.scenario, self.backend, self.trajectory, self.domain)

    def _named_oracle_hints(self) -> dict[str, Any] | None:
        return None  # MultiWOZ's gold_replay is text


def _act_record(action: Any, parsed: A.ParsedActs) -> Any:
    """The action as the trajectory keeps it: the canonical form when it parsed, else the raw (bounded)."""
    if parsed.error:
        if isinstance(action, str):
            return _jsonable_action(action)
        if isinstance(action, (dict, list)):  # within the structure caps (else it is recorded as oversize)
            return json_safe(action)
        return json_safe(action, max_depth=0)  # an object of another type: a short, safe repr
    return {"acts": parsed.acts, "calls": [c.to_dict() for c in parsed.calls], "end": parsed.end}
