"""The oracle policy: plays the domain's gold next action. It is the env's self-test, not a baseline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["OraclePolicy"]

FALLBACK_REPLY = "Is there anything else I can help with?"


class OraclePolicy:
    """Returns ``info["oracle_action"]`` for each episode (the env fills it when built with
    ``oracle_hints=True``, which the rollout runner does for privileged policies).

    Where the domain has no oracle action (or its oracle failed, which the env records), it replies
    with a short neutral text so the episode goes on and ends by the usual rules.

    Args:
        fallback: the reply used when no oracle action is available.
    """

    name = "oracle"
    privileged = True
    reads_hints = "action"  # info["oracle_action"] only (coalm_env.protocols.oracle_hints_for)

    def __init__(self, fallback: str = FALLBACK_REPLY):
        self.fallback = fallback

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]]) -> list[Any]:
        """One action per episode: the gold next action, or the fallback reply."""
        return [self._one(info) for info in infos]

    def _one(self, info: dict[str, Any]) -> Any:
        action = info.get("oracle_action")
        return self.fallback if action is None or action == "" else action
