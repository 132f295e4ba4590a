"""The gold-replay policy: plays a dataset's gold system turns (MultiWOZ), for the offline gold-context protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.parsing import format_calls
from coalm_env.types import AgentAction

__all__ = ["GoldReplayPolicy"]


class GoldReplayPolicy:
    """For each episode, the gold agent's next action: the turn's ``update_state`` and booking calls, then
    the gold reply relexicalised with this episode's booking results. Privileged: it reads the domain's
    ``gold_replay`` hint, ``info["oracle_hints"]["gold_replay"]`` (a list of calls, written here in
    ``fmt``, or the reply text), which the env fills for privileged policies where the domain offers it
    (MultiWOZ: :func:`coalm_env.domains.multiwoz.replay.gold_replay_next`). Pair it with the ``replay`` user.

    A reply comes as ``AgentAction(text, extra={"delex": ...})`` when the domain gives the reply's
    delexicalised form (``info["oracle_hints"]["gold_replay_delex"]``; MultiWOZ: the dataset's turn with its
    span annotation as placeholders), so that scorers reading delexicalised replies (MultiWOZ
    ``mwz_inform``/``mwz_success``) read what mwzeval reads; the user still gets the text.

    Args:
        fmt: the tool-call format it writes (any :data:`coalm_env.parsing.FORMATS` name).
        delex: hand the delexicalised reply over where the domain gives one (``False``: text only, so the
            scorer reads the text as it does for an LLM agent).
    """

    name = "gold_replay"
    privileged = True
    reads_hints = "named"  # info["oracle_hints"] only (coalm_env.protocols.oracle_hints_for)

    def __init__(self, fmt: str = "hermes", delex: bool = True):
        self.fmt = fmt
        self.delex = delex

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]]) -> list[Any]:
        """One action per episode."""
        return [self._one(info) for info in infos]

    def _one(self, info: dict[str, Any]) -> Any:
        hints = info.get("oracle_hints") or {}
        if "gold_replay" not in hints:
            raise ConfigError("the gold_replay policy needs an env whose domain gives a gold_replay hint "
                              "(info['oracle_hints'], e.g. coalm/MultiWOZ-v0) and oracle_hints=True")
        action = hints["gold_replay"]
        if isinstance(action, list):
            return format_calls(action, self.fmt)
        delex = hints.get("gold_replay_delex")
        if self.delex and isinstance(delex, str) and delex:
            return AgentAction(action, extra={"delex": delex})
        return action
