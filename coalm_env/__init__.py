"""coalm-env: Gymnasium environments where conversational agents meet goal-driven simulated users.

Importing this package registers every ``coalm/...`` id with Gymnasium (string entry points: nothing
heavy is imported until ``gym.make``). Torch, transformers and TRL are never imported here.
"""

from __future__ import annotations

import gymnasium as gym

from coalm_env.domains import ENV_IDS
from coalm_env.version import __version__

__all__ = ["__version__", "register_envs"]


def register_envs() -> None:
    """Register every id of :data:`coalm_env.domains.ENV_IDS` (idempotent)."""
    for env_id, (domain, kwargs) in ENV_IDS.items():
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point="coalm_env.env:ConversationEnv",
            kwargs={"domain": domain, "env_id": env_id, **kwargs},
            disable_env_checker=False,
        )


register_envs()
