"""The gold-replay policy: plays a dataset's gold system turns (MultiWOZ), for the offline gold-context protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coalm_env.render import messages_from_observation

__all__ = ["GoldReplayPolicy"]


class GoldReplayPolicy:
    """For each episode, the gold agent's next action: the turn's ``update_state`` and booking calls, then
    the gold reply relexicalised with this episode's booking results
    (:func:`coalm_env.domains.multiwoz.replay.gold_replay_action`). Privileged: it reads
    ``info["scenario"]``. Pair it with the ``replay`` user.

    Args:
        fmt: the tool-call format it writes (any :data:`coalm_env.parsing.FORMATS` name).
    """

    name = "gold_replay"
    privileged = True

    def __init__(self, fmt: str = "hermes"):
        self.fmt = fmt

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]]) -> list[Any]:
        """One action per episode."""
        from coalm_env.domains.multiwoz.replay import gold_replay_action

        return [gold_replay_action(info["scenario"], messages_from_observation(obs), self.fmt)
                for obs, info in zip(observations, infos)]
