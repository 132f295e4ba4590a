"""The env's incremental observation (render.ObservationCache) equals render.observation at every step:
Travel and BFCL oracle episodes (BFCL's held-out functions change the tool list mid-episode), a message
changed in place, a tool list in another layout, and observation dicts a policy mutates."""

from __future__ import annotations

import pytest

from coalm_env import render
from coalm_env.resolve import make_env
from coalm_env.types import Message
from tests.conftest import need_data


def _fresh(env):
    return render.observation(env.trajectory.messages, env.backend.tool_schemas())


def _play(env, seeds, **reset_options):
    checked = 0
    for seed in seeds:
        obs, info = env.reset(seed=seed, options=reset_options or None)
        while True:
            assert obs == _fresh(env)
            obs["messages"][-1]["content"] = "mutated by a policy"  # must not leak into the next observation
            checked += 1
            obs, _r, term, trunc, info = env.step(info["oracle_action"])
            if term or trunc:
                break
    return checked


def test_travel_oracle_episodes() -> None:
    assert _play(make_env("coalm/Travel-v0", oracle_hints=True), range(5)) > 20


def test_bfcl_miss_func_episodes() -> None:
    need_data("bfcl")
    env = make_env("coalm/BFCL-MultiTurn-v0", category="miss_func", oracle_hints=True)
    assert _play(env, range(3)) > 10


def test_in_place_change_and_other_layouts() -> None:
    cache = render.ObservationCache()
    msgs = [Message("system", "be helpful"), Message("user", "hi")]
    tools = [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}]
    assert cache.observation(msgs, tools) == render.observation(msgs, tools)
    msgs[1].content = "hello"
    tools[0]["function"]["name"] = "g"
    assert cache.observation(msgs, tools) == render.observation(msgs, tools)
    odd = [{"type": "function", "function": {"name": "h", "parameters": {}}, "extra": 1}]
    msgs.append(Message("assistant", "ok"))
    assert cache.observation(msgs, odd) == render.observation(msgs, odd)
    assert cache.observation(msgs[:1], []) == render.observation(msgs[:1], [])


def test_growing_history_with_an_earlier_message_changed() -> None:
    cache = render.ObservationCache()
    msgs = [Message("system", "be helpful")]
    for i in range(12):  # grown one message at a time, as the env grows it
        msgs.append(Message("user" if i % 3 == 0 else "assistant" if i % 3 == 1 else "tool", f"m{i}"))
        assert cache.observation(msgs, []) == render.observation(msgs, [])
    msgs[3].content = "changed in the middle"
    msgs.append(Message("system", "a late system note"))
    assert cache.observation(msgs, []) == render.observation(msgs, [])
    msgs[5] = Message("user", "replaced")
    assert cache.observation(msgs, []) == render.observation(msgs, [])


def test_a_session_keeps_its_tool_tuple_until_its_tool_list_changes() -> None:
    env = make_env("coalm/Travel-v0")
    env.reset(seed=0)
    session = env.backend
    view = session.tools_view()
    assert type(view) is tuple and session.tools_view() is view
    assert session.tool_schemas() == list(view)
    assert session.tool_schemas()[0] is not session.tool_schemas()[0]  # callers still get dicts of their own
    hidden = session.visible.pop()  # a tool taken away, then shown again: a new tuple each time
    fewer = session.tools_view()
    assert fewer is not view and len(fewer) == len(view) - 1
    assert session.reveal([hidden]) == [hidden]
    again = session.tools_view()
    assert again is not fewer and again == view
    cache = render.ObservationCache()
    for tools in (view, fewer, again, again):
        assert cache.observation([], tools) == render.observation([], tools)
