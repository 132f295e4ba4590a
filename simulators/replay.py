"""A user that replays a scenario's recorded turns (BFCL, MultiWOZ and API-Bank dialogues)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coalm_env.protocols import UserRequest
from coalm_env.types import StopReason, UserTurn

__all__ = ["ReplayUser"]


class ReplayUser:
    """Plays ``scenario.user_turns[i]`` as user turn ``i``: turn 0 on ``begin``, then one per agent
    reply, whatever the agent said. Each turn carries ``scenario.meta["turn_meta"][i]`` (when that
    list has a dict there) as :attr:`UserTurn.meta`. Once the turns run out, the next answer ends
    the episode (``StopReason.USER_ENDED``, empty text).

    The private state is the index of the next turn to play. Declares ``follows_dataset`` (see
    :class:`coalm_env.protocols.UserSimulator`): user turn ``k`` is the dataset's turn ``k``.
    """

    name = "replay"
    follows_dataset = True

    def begin(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        """Play turn 0 of each episode."""
        return [self._turn(r, 0) for r in requests]

    def respond(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        """Play the next recorded turn of each episode, or end it."""
        return [self._turn(r, int(r.state or 0)) for r in requests]

    @staticmethod
    def _turn(request: UserRequest, index: int) -> UserTurn:
        turns = request.scenario.user_turns
        if index >= len(turns):
            return UserTurn(text="", stop=StopReason.USER_ENDED, state=index)
        return UserTurn(text=turns[index], state=index + 1, meta=_meta(request.scenario.meta, index))


def _meta(meta: dict[str, Any], index: int) -> dict[str, Any]:
    per_turn = meta.get("turn_meta") or []
    item = per_turn[index] if index < len(per_turn) else None
    return dict(item) if isinstance(item, dict) else {}
