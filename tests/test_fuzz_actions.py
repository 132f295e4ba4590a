"""Whatever the agent sends, ``step()`` returns; bad actions become counted, explained error observations."""

from __future__ import annotations

import json
import math

import pytest
from fixture_domain import make_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalm_env.parsing import FORMATS, MAX_ACTION_CHARS, format_calls, parse_action
from coalm_env.types import ToolCall

def _deep_call(depth: int) -> str:
    return '<tool_call>{"name": "find_item", "arguments": {"category": ' + "[" * depth + "]" * depth + "}}</tool_call>"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
API = st.sampled_from(["find_item", "buy_item", "get_order", "find_itme", "rm_rf", "", "__import__", "os.system"])
WRONG_CALL = st.builds(ToolCall, name=API, arguments=st.dictionaries(st.sampled_from(
    ["category", "max_price", "item_id", "quantity", "order_id", "zzz"]), JSON, max_size=4))
BROKEN_JSON = st.sampled_from(['{"name": "find_item", "arguments": {', '<tool_call>{"name": ', '[{"name": 1}]',
                               '{"name": "buy_item", "arguments": [1, 2]}', "<tool_call></tool_call>",
                               '```json\n{"name": "f"\n```', "Action: find_item(category=)", "[f(a=1), 2]"])
DEEP = st.integers(50, 20_000).flatmap(lambda n: st.sampled_from(
    ["[" * n + "]" * n, '{"a":' * n + "1" + "}" * n, "f(a=" + "[" * n + "]" * n + ")", "(" * n, _deep_call(n)]))
HUGE = st.integers(MAX_ACTION_CHARS - 10, MAX_ACTION_CHARS + 5_000).flatmap(lambda n: st.sampled_from(
    ["a" * n, "<tool_call>" + "x" * n, "Thought: " + "y" * n, "[" * n]))
OBJECTS = st.one_of(
    st.integers(), st.floats(), st.none(), st.binary(max_size=30), st.booleans(), st.just(object()),
    st.just({"tool_calls": [None]}), st.just([[[[]]]]), st.just({"name": ["x"]}), JSON,
)

ACTIONS = st.one_of(
    st.text(max_size=300),
    BROKEN_JSON.flatmap(lambda b: st.text(max_size=20).map(lambda t: b + t)),
    st.tuples(st.lists(WRONG_CALL, min_size=1, max_size=3), st.sampled_from(FORMATS)).map(
        lambda cf: format_calls(*cf)),
    st.lists(WRONG_CALL, min_size=1, max_size=3),
    DEEP,
    HUGE,
    OBJECTS,
)


def _nested(depth: int) -> list:
    out: list = []
    for _ in range(depth):
        out = [out]
    return out


@pytest.fixture(scope="module")
def env():
    return make_env()


def _check(env, action) -> None:
    env.reset(seed=0)
    out = env.step(action)
    assert isinstance(out, tuple) and len(out) == 5
    obs, reward, terminated, truncated, info = out
    assert env.observation_space.contains(obs)
    assert math.isfinite(reward)
    assert env.trajectory.errors == [], env.trajectory.errors  # no internal error for any agent input
    if parse_action(action).kind == "error":
        assert info["parse_error"]
        assert info["reward_components"]["parse_errors"] == 1.0
        assert obs["messages"][-1]["name"] == "parse_error"
        assert obs["messages"][-1]["content"].startswith("Error:")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(action=ACTIONS)
def test_step_never_raises(env, action) -> None:
    _check(env, action)


@pytest.mark.parametrize("depth", [100, 500, 5_000])
def test_deeply_nested_arguments(env, depth: int) -> None:
    _check(env, _deep_call(depth))
    _check(env, f"[find_item(category={'[' * depth}{']' * depth})]")
    _check(env, {"tool_calls": [{"name": "find_item", "arguments": {"category": _nested(depth)}}]})
    _check(env, _nested(depth))


def test_wrong_argument_types_reach_the_agent_as_tool_errors(env) -> None:
    env.reset(seed=0)
    obs, *_, info = env.step('{"name": "buy_item", "arguments": {"item_id": 5, "quantity": "2"}}')
    error = json.loads(obs["messages"][-1]["content"])["error"]
    assert error["type"] == "invalid_arguments"
    assert "'item_id' must be of type string, got int 5" in error["message"]
    assert "'quantity' must be of type integer, got str '2'" in error["message"]
    assert info["reward_components"]["tool_errors"] == 1.0 and info["parse_error"] is None


def test_unknown_api_suggests_the_close_one(env) -> None:
    env.reset(seed=0)
    obs, *_ = env.step("[find_itme(category='lamp')]")
    error = json.loads(obs["messages"][-1]["content"])["error"]
    assert error["type"] == "unknown_tool" and "find_item" in error["message"]


def test_parse_errors_are_counted_over_the_episode(env) -> None:
    env.reset(seed=0)
    for n in range(1, 4):
        *_, info = env.step('{"name": "find_item", "arguments": {')
        assert info["reward_components"]["parse_errors"] == float(n)
