"""The fixture the rule-policy reading tests share: the MultiWOZ val env's tool schemas and vocabulary,
as the env hands them to a policy."""

from __future__ import annotations

import pytest

from tests.conftest import need_data


@pytest.fixture(scope="module")
def mwz():
    need_data("multiwoz24")
    import gymnasium as gym

    import coalm_env  # noqa: F401

    env = gym.make("coalm/MultiWOZ-v0", user="replay", split="val")
    obs, info = env.reset(seed=0)
    env.close()
    return obs["tools"], info["vocab"]
