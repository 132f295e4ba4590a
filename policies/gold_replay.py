"""The gold-replay policy: plays a dataset's gold system turns (MultiWOZ), for the offline gold-context protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.parsing import format_calls

__all__ = ["GoldReplayPolicy"]


class GoldReplayPolicy:
    """For each episode, the gold agent's next action: the turn's ``update_state`` and booking calls, then
    the gold reply relexicalised with this episode's booking results. Privileged: it reads the domain's
    ``gold_replay`` hint, ``info["oracle_hints"]["gold_replay"]`` (a list of calls, written here in
    ``fmt``, or the reply text), which the env fills for privileged policies where the domain offers it
    (MultiWOZ: :func:`coalm_env.domains.multiwoz.replay.gold_replay_next`). Pair it with the ``replay`` user.

    Args:
        fmt: the tool-call format it writes (any :data:`coalm_env.parsing.FORMATS` name).
    """

    name = "gold_replay"
    privileged = True

    def __init__(self, fmt: str = "hermes"):
        self.fmt = fmt

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]]) -> list[Any]:
        """One action per episode."""
        return [self._one(info) for info in infos]

    def _one(self, info: dict[str, Any]) -> Any:
        hints = info.get("oracle_hints") or {}
        if "gold_replay" not in hints:
            raise ConfigError("the gold_replay policy needs an env whose domain gives a gold_replay hint "
                              "(info['oracle_hints'], e.g. coalm/MultiWOZ-v0) and oracle_hints=True")
        action = hints["gold_replay"]
        return format_calls(action, self.fmt) if isinstance(action, list) else action
