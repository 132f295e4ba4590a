"""API-Bank users: the offline replay protocol, and a goal-driven interactive user.

* ``apibank_replay`` (:class:`APIBankReplayUser`): the benchmark's protocol made interactive. User
  turn ``k`` of the dialogue is played after the agent's ``k``-th reply, whatever the agent said; the
  agent is expected to make the gold calls of turn ``k`` before replying (the scorer only credits
  calls made in that turn).
* ``apibank_goal`` (:class:`APIBankGoalUser`): pursues the dialogue's goal -- the gold calls' effects
  -- and answers the agent's questions. Its knowledge comes from the domain's user context: the
  dataset's user turns, the facts (gold-call argument names) each turn states, and which gold calls
  the agent has reproduced so far. It opens with the dialogue's request; when the agent asks for
  facts (``username``, ``password``, ``time``, ...) it answers with the dataset turn that states
  most of them; otherwise it moves on to its next unsaid turn. It ends satisfied (``goal_met``) once
  every gold call is reproduced, and gives up when its patience (agent replies without progress)
  runs out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.protocols import UserRequest
from coalm_env.types import StopReason, UserTurn
from simulators.replay import ReplayUser

__all__ = ["APIBankReplayUser", "APIBankGoalUser", "GoalState"]

_GENERIC = frozenset({"new", "info", "data", "status"})


class APIBankReplayUser(ReplayUser):
    """The dataset's user turns, one per agent reply (see :class:`simulators.replay.ReplayUser`)."""

    name = "apibank_replay"


@dataclass
class GoalState:
    """The goal user's private state: turns already said, patience left, gold calls seen done."""

    said: list[int] = field(default_factory=list)
    patience: int = 0
    done: int = 0


def _cues(param: str) -> set[str]:
    parts = [p for p in param.lower().split("_") if p]
    cues = {param.lower(), " ".join(parts)}
    cues.update(p for p in parts if len(p) >= 4 and p not in _GENERIC)
    if param == "username":
        cues.add("user name")
    return cues


def requested(message: str, params: set[str]) -> set[str]:
    """The fact names an agent message asks about (their words occur in it)."""
    text = " ".join(re.findall(r"[a-z0-9]+", message.lower()))
    return {p for p in params if any(re.search(rf"\b{re.escape(c)}\b", text) for c in _cues(p))}


class APIBankGoalUser:
    """A goal-driven API-Bank user (see the module docstring).

    Args:
        patience: agent replies without progress the user accepts before giving up (``None``: the
            number of dataset user turns plus 2).
    """

    name = "apibank_goal"

    def __init__(self, patience: int | None = None):
        self.patience = patience

    def begin(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        out = []
        for request in requests:
            turns = request.scenario.user_turns
            patience = self.patience if self.patience is not None else len(turns) + 2
            out.append(UserTurn(text=turns[0] if turns else "Hello.", state=GoalState([0], patience)))
        return out

    def respond(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        return [self._respond(r) for r in requests]

    def _respond(self, request: UserRequest) -> UserTurn:
        ctx: dict[str, Any] = request.context or {}
        state = request.state if isinstance(request.state, GoalState) else GoalState([0], self.patience or 3)
        state = GoalState(list(state.said), state.patience, state.done)
        if ctx.get("done"):
            return UserTurn(text="Great, thank you! That's all I needed.", stop=StopReason.GOAL_MET, state=state)
        done = sum(bool(p) for p in ctx.get("progress", []))
        if done <= state.done:
            state.patience -= 1
        state.done = max(done, state.done)
        if state.patience <= 0:
            return UserTurn(text="Never mind, I'll do it another time. Bye.", stop=StopReason.USER_GAVE_UP,
                            state=state)
        message = request.agent_message.content if request.agent_message else ""
        index = self._next_turn(ctx, state, message)
        if index is None:
            return UserTurn(text="Could you please take care of my request?", state=state)
        state.said.append(index)
        return UserTurn(text=ctx["user_turns"][index], state=state, acts=[{"turn": index}])

    @staticmethod
    def _next_turn(ctx: dict[str, Any], state: GoalState, message: str) -> int | None:
        turns, facts = ctx.get("user_turns", []), ctx.get("turn_facts", [])
        unsaid = [i for i in range(len(turns)) if i not in state.said]
        if not unsaid:
            return None
        asked = requested(message, {p for i in unsaid for p in facts[i]})
        if asked:
            best = max(unsaid, key=lambda i: (len(asked & set(facts[i])), -i))
            if asked & set(facts[best]):
                return best
        return unsaid[0]
