"""The plug-in contracts: what a policy, a user simulator and a domain must provide.

Both :class:`Policy` and :class:`UserSimulator` are *batched*: one call serves many episodes,
so LLM-backed implementations can batch generation across episodes without changing the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from coalm_env.types import Message, Scenario, Trajectory, UserTurn

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from coalm_env.backend.graph import ApiGraph, BackendSession

__all__ = ["Action", "Policy", "UserRequest", "UserSimulator", "Domain", "follows_dataset"]

#: An agent action: raw text (an LLM completion), an assistant :class:`Message`, a list of
#: :class:`~coalm_env.types.ToolCall`, or a dict ``{"content": str, "tool_calls": [...]}``.
#: To hand over what the generation backend recorded (token ids, logprobs, latency), wrap any of these
#: in :class:`~coalm_env.types.AgentAction` ``(action, extra)``, or give a dict action an ``"extra"``
#: key; the env stores ``extra`` (JSON-safe) in the step's ``StepRecord.extra``. Calling the reserved
#: tool ``end_conversation`` (optionally ``message="..."``) ends the episode (``agent_ended``).
Action = Any


@runtime_checkable
class Policy(Protocol):
    """Maps a batch of observations (with their ``info`` dicts) to a batch of actions.

    A policy with ``privileged = True`` (the oracle) reads ``info["scenario"]``; the rollout runner
    adds it, and builds the env with ``oracle_hints`` set to the policy's ``reads_hints`` (``"action"``: only
    ``info["oracle_action"]``; ``"named"``: only ``info["oracle_hints"]``; default: both, see
    :func:`oracle_hints_for`). Policies should be stateless across calls or key their state by
    ``info["episode_id"]``.
    """

    name: str

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]]) -> list[Action]: ...


@dataclass
class UserRequest:
    """One episode's input to a user simulator.

    On ``begin`` ``agent_message`` is ``None`` and ``state`` is ``None``; afterwards ``state`` is what
    the simulator returned in its last :class:`UserTurn`. ``context`` is the domain's knowledge for
    users (for task-oriented domains: ontology, entity lexicon, database look-ups).

    ``context`` is lazy: the env passes ``context_factory`` (a zero-argument callable, the domain's
    ``user_context`` for this episode) and the context is built on the first read of
    ``request.context``, once, from the backend as it is then (users read it while answering). A user
    that never reads it costs nothing. Passing ``context=`` (or assigning it) sets it directly.
    """

    scenario: Scenario
    seed: int
    history: list[Message]
    context: Any = field(default=None, repr=False, compare=False)
    state: Any = None
    agent_message: Message | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    context_factory: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    @property
    def context_built(self) -> bool:
        """Whether ``context`` is available without calling the factory."""
        return self.context_factory is None


def _get_context(request: UserRequest) -> Any:
    factory = request.context_factory
    if factory is not None:
        request.__dict__["_context"] = factory()
        request.context_factory = None
    return request.__dict__.get("_context")


def _set_context(request: UserRequest, value: Any) -> None:
    request.__dict__["_context"] = value
    request.__dict__["context_factory"] = None  # an explicit value replaces a pending factory


# after @dataclass built __init__ (which assigns ``self.context`` first, then ``self.context_factory``):
UserRequest.context = property(  # type: ignore[assignment]
    _get_context, _set_context, doc="The domain's knowledge for users, built on first read."
)


@runtime_checkable
class UserSimulator(Protocol):
    """Plays the user. ``begin`` opens episodes, ``respond`` answers agent replies, both batched.

    Optional capability (read with :func:`follows_dataset`, never from the user's name):
    ``follows_dataset = True`` declares that user turn ``k`` is the dataset's turn ``k`` whatever the
    agent says (the replay users). The env records it in ``trajectory.extra["user_follows_dataset"]``
    and domains read it there (API-Bank scores and plays its oracle per gold segment only then). It is
    read through ``getattr``, so a wrapper that forwards unknown attributes to the user it wraps
    (personas) keeps the capability of its inner user.
    """

    name: str

    def begin(self, requests: Sequence[UserRequest]) -> list[UserTurn]: ...

    def respond(self, requests: Sequence[UserRequest]) -> list[UserTurn]: ...


def oracle_hints_for(policy: Any) -> bool | str:
    """The env's ``oracle_hints`` for ``policy``: ``False`` unless it is ``privileged``; else the hints it
    declares it reads (``reads_hints``: ``"action"`` or ``"named"``), or ``True`` (all) where it declares none.
    Hints no policy reads are not worked out (MultiWOZ's ``gold_replay`` hint costs a replay of the dialogue
    at every step)."""
    if not getattr(policy, "privileged", False):
        return False
    kind = getattr(policy, "reads_hints", True)
    return kind if kind in ORACLE_HINTS[2:] else True


#: the values of the env's ``oracle_hints``: off, all, only ``info["oracle_action"]``, only ``info["oracle_hints"]``
ORACLE_HINTS = (False, True, "action", "named")


def follows_dataset(user: Any) -> bool:
    """Whether ``user`` declares the ``follows_dataset`` capability (see :class:`UserSimulator`)."""
    return bool(getattr(user, "follows_dataset", False))


@runtime_checkable
class Domain(Protocol):
    """Data + backend + scorer for one family of scenarios. Holds no loop code.

    Optional: ``on_user_turn(scenario, backend, turn)`` is called after each user turn is applied
    (a domain may change the backend there, e.g. reveal held-out tools named in ``turn.meta``).
    Optional: ``user_goal_text(scenario) -> str``: the goal as instructions for an LLM playing the user
    (what it wants, what it knows and may say only when asked, fallbacks, when it is done), from the
    goal and the dataset's own task text only -- never gold calls, the database or answers. The env
    hands it to users in ``UserRequest.meta["goal_text"]`` (the ``llm`` user's prompt).
    Optional: ``oracle_action(scenario, backend, trajectory) -> str``: the gold next agent action
    (tool calls or a reply, as text the parser reads); the env exposes it with ``oracle_hints=True``.
    Optional: ``oracle_hints(scenario, backend, trajectory) -> dict``: named gold next actions besides
    that one (a list of :class:`~coalm_env.types.ToolCall` or a reply text each; MultiWOZ:
    ``gold_replay``, the dataset's system turn), in ``info["oracle_hints"]`` with ``oracle_hints=True``,
    so that a privileged policy such as ``gold_replay`` needs no domain import.
    """

    name: str
    default_user: str
    splits: tuple[str, ...]

    def scenarios(self, split: str) -> Sequence[Scenario]: ...

    def get_scenario(self, scenario_id: str) -> Scenario: ...

    def api_graph(self, scenario: Scenario | None = None) -> ApiGraph: ...

    def build_backend(self, scenario: Scenario, rng: np.random.Generator) -> BackendSession: ...

    def system_prompt(self, scenario: Scenario) -> str: ...

    def user_context(self, scenario: Scenario, backend: BackendSession) -> Any: ...

    def score(self, trajectory: Trajectory, scenario: Scenario, backend: BackendSession) -> dict[str, float]: ...
