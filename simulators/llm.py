"""``llm``: a goal-driven user simulator played by an LLM (spec ``llm:BACKEND:MODEL[,options]``).

Prompt: the user's instructions (:data:`INSTRUCTIONS`), then the goal as the domain renders it for users
(``Domain.user_goal_text``, handed over in ``request.meta["goal_text"]``: what the user wants, what it
knows and may say only when asked, its fallbacks, when it is done; MultiWOZ puts the crowd-worker task
text first; never gold calls, the database or answers). The conversation is the user-side view
(:func:`coalm_env.users.user_view`: the agent's replies as the other party, no tool traffic). One
``generate`` call serves every request of a batch.

Ending: the reserved, parsed signal ``[END_CONVERSATION: REASON]`` (or the call
``end_conversation(reason="REASON")``) anywhere in the turn; it is removed from the text the agent sees.
``goal_met`` ends with :attr:`StopReason.GOAL_MET`, ``gave_up`` with ``USER_GAVE_UP``, any other reason
with ``USER_ENDED``. Words such as "goodbye" alone end nothing.

Self-checks, reported in every turn's ``meta["metrics"]`` (the env keeps the last report, and
:mod:`coalm_env.scoring.user_faults` turns it into per-episode flags): ``user_fault_role_flip``,
``user_fault_leak``, ``user_fault_repeat`` (:mod:`simulators.llm_faults`), and ``user_ended_dialogue``,
from which the env flags ``user_premature_stop`` when the domain's verdict says the goal was not met.
Every call adds a ledger row (role ``"user"``) in ``meta["ledger"]``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from coalm_env.llm.base import Generation
from coalm_env.llm.plugin import generator_from_spec, ledger_rows
from coalm_env.parsing import ActionParseError, parse_python_calls
from coalm_env.protocols import UserRequest
from coalm_env.types import StopReason, UserTurn
from coalm_env.users import user_view
from simulators import llm_faults

__all__ = ["LLMUser", "LLMUserState", "parse_end_signal", "INSTRUCTIONS"]

INSTRUCTIONS = (
    "You are a customer talking to an assistant. You play only the customer: never offer help, never "
    "book or look anything up yourself, never write tool calls. Pursue the goal below, one request at a "
    "time, in short natural sentences. Give a value only when it is in your goal; if the assistant asks "
    "for something your goal does not say, say you have no preference. When everything in your goal is "
    "done, thank the assistant and write [END_CONVERSATION: goal_met]. If the assistant cannot help after "
    "several tries, write [END_CONVERSATION: gave_up]."
)
OPENING = "Hello, how can I help you today?"  # the other party's first line: turns alternate from the start
_END_MARK = re.compile(r"\[\s*END_CONVERSATION\s*(?::\s*([A-Za-z_]+)\s*)?\]", re.IGNORECASE)
_END_CALL = re.compile(r"end_conversation\s*\([^()]*\)")
_REASONS = {"goal_met": StopReason.GOAL_MET, "gave_up": StopReason.USER_GAVE_UP}


def parse_end_signal(text: str) -> tuple[str, StopReason | None, str | None]:
    """``(text without the signal, stop reason or None, the reason as written)``."""
    reason: str | None = None
    match = _END_MARK.search(text)
    if match:
        reason = (match.group(1) or "done").lower()
        text = text[: match.start()] + text[match.end():]
    else:
        call = _END_CALL.search(text)
        if call:
            try:
                args = parse_python_calls(call.group(0))[0].arguments
            except ActionParseError:
                args = None
            if args is not None:
                reason = str(args.get("reason") or "done").lower()
                text = text[: call.start()] + text[call.end():]
    if reason is None:
        return text.strip(), None, None
    return text.strip(), _REASONS.get(reason, StopReason.USER_ENDED), reason


@dataclasses.dataclass
class LLMUserState:
    """Per episode: the user's own turns so far and its fault counts."""

    said: list[str] = dataclasses.field(default_factory=list)
    faults: dict[str, int] = dataclasses.field(default_factory=dict)


class LLMUser:
    """A goal-driven LLM user (see the module docstring).

    Args:
        generator: a generator spec (``hf:PATH,temperature=0.7``) or a generator object.
        seed: root of the per-turn sampling seeds (combined with the episode's user seed).
    """

    takes_generator_spec = True
    name = "llm"
    own_options = ("seed",)

    def __init__(self, generator: Any = "", seed: int = 0):
        self.generator, mine = generator_from_spec(generator, self.name, self.own_options)
        self.seed = int(mine.get("seed", seed))

    def begin(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        return self._play(requests)

    def respond(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        return self._play(requests)

    def prompt(self, request: UserRequest) -> list[dict[str, str]]:
        """The chat messages the model answers as the user."""
        goal = request.meta.get("goal_text") or _fallback_goal(request)
        hints = [str(h) for h in request.meta.get("persona_hints") or () if h]  # stress personas' styles
        style = "\n\nYour style: " + " ".join(hints) if hints else ""
        system, *rest = user_view(request.history, system=f"{INSTRUCTIONS}{style}\n\n{goal}")
        return [system, {"role": "user", "content": OPENING}, *rest]

    def _play(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        if not requests:
            return []
        states = [_state(r) for r in requests]
        seeds = [self._turn_seed(r, s) for r, s in zip(requests, states)]
        gens = self.generator.generate([self.prompt(r) for r in requests], seeds=seeds)
        return [self._turn(r, s, g) for r, s, g in zip(requests, states, gens)]

    def _turn(self, request: UserRequest, state: LLMUserState, gen: Generation) -> UserTurn:
        text, stop, reason = parse_end_signal(gen.text)
        self._check(request, state, text)
        state.said.append(text)
        metrics = {f"user_fault_{k}": float(v) for k, v in state.faults.items()}
        metrics["user_ended_dialogue"] = float(stop in (StopReason.GOAL_MET, StopReason.USER_ENDED))
        meta = {"metrics": metrics, "ledger": ledger_rows("user", self.generator, gen)}
        if reason is not None:
            meta["end_reason"] = reason
        return UserTurn(text=text, stop=stop, state=state, meta=meta)

    def _check(self, request: UserRequest, state: LLMUserState, text: str) -> None:
        for key in ("role_flip", "leak", "repeat"):
            state.faults.setdefault(key, 0)
        if not text:
            return
        state.faults["role_flip"] += llm_faults.role_flip(text)
        state.faults["repeat"] += llm_faults.is_repeat(text, state.said)
        allowed = " ".join([request.meta.get("goal_text") or _fallback_goal(request),
                            *(m.content or "" for m in request.history if m.role != "system")]).lower()
        lexicon = getattr(request.context, "lexicon", None)
        state.faults["leak"] += bool(llm_faults.leaked_values(text, allowed, lexicon))

    def _turn_seed(self, request: UserRequest, state: LLMUserState) -> int:
        key = (int(request.seed) % 2**32, len(state.said))
        return int(np.random.SeedSequence(self.seed, spawn_key=key).generate_state(1)[0])


def _state(request: UserRequest) -> LLMUserState:
    if isinstance(request.state, LLMUserState):
        return LLMUserState(list(request.state.said), dict(request.state.faults))
    return LLMUserState()


def _fallback_goal(request: UserRequest) -> str:
    """For a domain without ``user_goal_text``: the scenario's own user turns, as requests."""
    turns = request.scenario.user_turns
    if not turns:
        return "Your goal: ask the assistant for help with your request."
    return "Your requests, in order:\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(turns, 1))
