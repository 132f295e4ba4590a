"""Building blocks for user simulators: a base class for wrappers, and the user-side view of a chat.

Simulators (``simulators/``) and LLM users import these; the core never imports a simulator.

- :class:`UserWrapper` wraps another simulator (a persona, a noise model, a logger): it may rewrite
  what the inner user is asked and what it answers, and it keeps its own per-episode state beside the
  inner user's, so the inner user always gets back exactly the state it returned.
- :func:`user_view` turns the env's history into the conversation as the *user* sees it, for an LLM
  that plays the user: the agent's replies become the other party's turns, the user's own turns
  become ``assistant`` turns, and tool calls, tool results and the agent's system prompt are hidden.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from coalm_env.protocols import UserRequest, UserSimulator
from coalm_env.types import Message, UserTurn

__all__ = ["UserWrapper", "WrappedState", "user_view"]


@dataclasses.dataclass(frozen=True)
class WrappedState:
    """A wrapper's per-episode state: the inner user's state and the wrapper's own, kept apart."""

    inner: Any = None
    own: Any = None


class UserWrapper:
    """A user simulator that wraps another one (``inner``).

    Subclasses override any of three hooks; by default the wrapper is transparent:

    - :meth:`initial_state` (``request`` on ``begin``) -> the wrapper's own state for the episode;
    - :meth:`transform_request` (``request``, own state) -> the request the inner user gets;
    - :meth:`transform_turn` (``request``, the inner user's ``turn``, own state) -> ``(turn, own state)``.

    The state the env hands back is a :class:`WrappedState`; the wrapper unwraps it so the inner
    user's request carries exactly the inner user's own last state, and re-wraps the inner user's
    new state with its own. The inner request keeps the context lazy (built only if someone reads it).
    Attributes the wrapper does not define (``name``, declared capabilities, options) are read from
    the inner user; a subclass sets ``name`` to announce itself.
    """

    def __init__(self, inner: UserSimulator):
        self.inner = inner

    def __getattr__(self, attr: str) -> Any:
        if attr == "inner":  # not set yet (e.g. during unpickling): do not recurse
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    # -- hooks ---------------------------------------------------------------------------
    def initial_state(self, request: UserRequest) -> Any:
        """The wrapper's own state at the start of an episode."""
        return None

    def transform_request(self, request: UserRequest, state: Any) -> UserRequest:
        """The request the inner user answers (its ``state`` is already the inner user's own)."""
        return request

    def transform_turn(self, request: UserRequest, turn: UserTurn, state: Any) -> tuple[UserTurn, Any]:
        """Rewrite the inner user's turn; returns the turn and the wrapper's new own state."""
        return turn, state

    # -- the protocol --------------------------------------------------------------------
    def begin(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        own = [self.initial_state(r) for r in requests]
        return self._play("begin", requests, [r.state for r in requests], own)

    def respond(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        inner, own = [], []
        for request in requests:
            state = request.state
            if isinstance(state, WrappedState):
                inner.append(state.inner)
                own.append(state.own)
            else:  # a request built outside the env loop (tests, replays): start our own state afresh
                inner.append(state)
                own.append(self.initial_state(request))
        return self._play("respond", requests, inner, own)

    def _play(self, method: str, requests: Sequence[UserRequest], inner: list[Any], own: list[Any]) -> list[UserTurn]:
        asked = [self.transform_request(_derive(r, state=s), o) for r, s, o in zip(requests, inner, own)]
        turns = getattr(self.inner, method)(asked)
        out = []
        for request, turn, state in zip(requests, turns, own):
            new_turn, new_state = self.transform_turn(request, turn, state)
            out.append(dataclasses.replace(new_turn, state=WrappedState(turn.state, new_state)))
        return out


def _derive(request: UserRequest, **changes: Any) -> UserRequest:
    """A copy of ``request`` with ``changes``; the context stays lazy (read through the original)."""
    fields = dict(scenario=request.scenario, seed=request.seed, history=list(request.history),
                  state=request.state, agent_message=request.agent_message, meta=dict(request.meta))
    fields.update(changes)
    if "context" not in changes:
        fields["context_factory"] = lambda: request.context
    return UserRequest(**fields)


def user_view(history: Sequence[Message], system: str | None = None) -> list[dict[str, str]]:
    """The conversation as the user sees it, as chat messages for an LLM playing the user.

    The agent's replies (assistant messages without tool calls) become ``user`` messages (the other
    party), the user's own turns become ``assistant`` messages; the agent's system prompt, its tool
    calls (and the thoughts written with them) and tool results are left out. ``system``, when given,
    is the user's own instruction (a persona, the goal), put first.
    """
    out: list[dict[str, str]] = [{"role": "system", "content": system}] if system is not None else []
    for message in history:
        if message.role == "user" and message.content:
            out.append({"role": "assistant", "content": message.content})
        elif message.role == "assistant" and not message.tool_calls and message.content:
            out.append({"role": "user", "content": message.content})
    return out
