"""coalm-env: Gymnasium environments where conversational agents meet goal-driven simulated users.

Importing this package registers every ``coalm/...`` id with Gymnasium (string entry points: nothing
heavy is imported until ``gym.make``). Torch, transformers and TRL are never imported here.
"""

from __future__ import annotations

import gymnasium as gym

from coalm_env.specs import ENV_SPECS
from coalm_env.version import __version__

__all__ = ["__version__", "register_envs"]


def register_envs() -> None:
    """Register every id of :data:`coalm_env.specs.ENV_SPECS` (idempotent)."""
    for env_id, entry in ENV_SPECS.items():
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point="coalm_env.env:ConversationEnv",
            kwargs={"domain": entry.domain, "env_id": env_id, **entry.defaults},
            disable_env_checker=False,
        )


register_envs()
