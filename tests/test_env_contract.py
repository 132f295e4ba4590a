"""The Gymnasium contract, for every registered id: check_env, spaces, vector envs, no raise on junk."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import coalm_env
from coalm_env.specs import ENV_SPECS
from coalm_env.errors import DataNotFoundError
from coalm_env.types import Message, ToolCall

def _make(env_id: str, **kwargs):
    if ENV_SPECS[env_id].dataset:
        from conftest import need_data

        need_data(ENV_SPECS[env_id].dataset)
    try:
        return gym.make(env_id, **kwargs)
    except DataNotFoundError as exc:  # pragma: no cover - need_data fetched or skipped already
        pytest.skip(str(exc))


def test_every_id_is_registered_on_import():
    assert coalm_env.__version__
    for env_id in ENV_SPECS:
        assert env_id in gym.registry and env_id.startswith("coalm/")


@pytest.mark.parametrize("env_id", sorted(ENV_SPECS))
def test_check_env(env_id):
    env = _make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=1)
    assert env.observation_space.contains(obs)
    assert isinstance(obs["text"], str) and obs["messages"][0]["role"] == "system"
    assert {"scenario_id", "episode_id", "reward_components"} <= set(info)
    env.close()


@pytest.mark.parametrize("env_id", sorted(ENV_SPECS))
def test_junk_actions_never_raise(env_id):
    env = _make(env_id)
    env.reset(seed=0)
    deep: list = []
    cursor = deep
    for _ in range(10_000):
        cursor.append([])
        cursor = cursor[0]

    class BadRepr:
        def __repr__(self):
            raise RuntimeError("no repr")

    junk = ["", "<tool_call>{not json</tool_call>", "Action: nope(", '{"name": 3}', "x" * 300_000,
            "[f(a=__import__('os'))]", '<tool_call>{"name": "no_such_api", "arguments": {}}</tool_call>', None, 42,
            {"tool_calls": "bad"}, '<tool_call>{"name": "x", "arguments": {"a": "\\ud800"}}</tool_call>',
            '{"name": "x", "arguments": {"a": NaN}}', Message(role="assistant", content=[1, 2]),  # type: ignore[arg-type]
            [ToolCall("x", {"a": deep})], [ToolCall("x", {"a": BadRepr()})], ToolCall("x", [1, 2]),  # type: ignore[arg-type]
            "\ud800 reply with a lone surrogate", b"bytes", {1: 2}]
    for action in junk:
        obs, reward, term, trunc, info = env.step(action)
        assert env.observation_space.contains(obs)
        traj = env.unwrapped.trajectory
        traj.to_json().encode("utf-8")  # strict UTF-8 JSON, whatever the agent sent
        if term or trunc:
            assert not [e for e in traj.errors if e.get("where") != "oracle"], traj.errors
            env.reset(seed=1)
    assert not [e for e in env.unwrapped.trajectory.errors if e.get("where") != "oracle"]


def _travel():
    return gym.make("coalm/Travel-v0")


def test_sync_vector_env():
    envs = gym.vector.SyncVectorEnv([_travel for _ in range(3)])
    obs, infos = envs.reset(seed=[1, 2, 3])
    assert len(obs["text"]) == 3
    obs, rewards, term, trunc, infos = envs.step(["Hello! How can I help?"] * 3)
    assert rewards.shape == (3,)
    envs.close()


def test_async_vector_env_without_shared_memory():
    envs = gym.vector.AsyncVectorEnv([_travel for _ in range(2)], shared_memory=False)
    obs, infos = envs.reset(seed=[5, 6])
    assert len(obs["text"]) == 2 and all(isinstance(t, str) for t in obs["text"])
    obs, rewards, term, trunc, infos = envs.step(
        ['<tool_call>{"name": "find_restaurant", "arguments": {"area": "centre"}}</tool_call>'] * 2
    )
    assert all('"count"' in t for t in obs["text"])
    envs.close()
