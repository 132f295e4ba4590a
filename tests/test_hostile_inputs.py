"""Issue 16: hostile agent and user input never escapes ``step()``, never becomes an internal error, never
makes a step cost seconds or an observation leave its space; the named cases as regression tests."""

from __future__ import annotations

import json
import time

import gymnasium as gym
import pytest
from fixture_domain import FixtureDomain, FixtureUser, make_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coalm_env  # noqa: F401  (registers the ids)
from coalm_env import limits
from coalm_env.backend.plan import argument_key, matched_steps
from coalm_env.env import ConversationEnv
from coalm_env.parsing import FORMATS, format_calls, parse_action
from coalm_env.render import observation
from coalm_env.types import GoldCall, Message, ToolCall, ToolResult, Trajectory, UserTurn, json_safe, to_json

HUGE = 10**5000


def _strict(traj: Trajectory) -> dict:
    return json.loads(traj.to_json(), parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))


def _step(env, action, seed: int = 0):
    env.reset(seed=seed)
    start = time.perf_counter()
    out = env.step(action)
    elapsed = time.perf_counter() - start
    assert len(out) == 5
    assert env.observation_space.contains(out[0])
    assert env.trajectory.errors == [], env.trajectory.errors
    _strict(env.trajectory)
    return out, elapsed


@pytest.fixture(scope="module")
def travel():
    return gym.make("coalm/Travel-v0", user="agenda").unwrapped


@pytest.mark.parametrize("action", [
    "[find_restaurant(area=0x" + "f" * 3600 + ")]",
    "Action: find_restaurant(area=0x" + "f" * 3600 + ")",
    "[find_restaurant(area=[1, {'x': -0x" + "f" * 4000 + "}])]",
    [ToolCall("find_restaurant", {"area": HUGE})],
    ToolCall("find_restaurant", {"area": HUGE}),
    {"name": "find_restaurant", "arguments": {"area": HUGE}},
    {"tool_calls": [{"function": {"name": "find_restaurant", "arguments": {"area": [HUGE]}}}]},
    Message(role="assistant", tool_calls=[ToolCall("find_restaurant", {"area": -HUGE})]),
], ids=lambda a: type(a).__name__)
def test_huge_integers_are_invalid_arguments(travel, action) -> None:
    (obs, _, terminated, _, info), _ = _step(travel, action)
    assert info["parse_error"].startswith("invalid_arguments:")
    assert f"at most {limits.MAX_INT_DIGITS} digits" in info["parse_error"]
    assert obs["messages"][-1]["content"].startswith("Error: invalid_arguments:")
    assert not terminated
    # the episode still ends and scores cleanly, its trajectory strict JSON
    *_, info = travel.abort()
    assert travel.trajectory.errors == []
    _strict(travel.trajectory)


def test_an_integer_beyond_float_range_is_scored_without_an_internal_error(travel) -> None:
    (obs, *_, info), _ = _step(travel, "[find_restaurant(area=1" + "0" * 309 + ")]")
    assert info["parse_error"] is None  # within the digit bound: the backend's schema check answers
    assert json.loads(obs["messages"][-1]["content"])["error"]["type"] == "invalid_arguments"
    travel.step("[find_restaurant(area='centre', food=1" + "0" * 309 + ")]")
    *_, info = travel.abort()
    assert travel.trajectory.stop_reason.value == "errored" and travel.trajectory.errors == []
    _strict(travel.trajectory)


def test_nameless_call_with_a_huge_integer_leaves_a_writable_trajectory(travel) -> None:
    (obs, *_, info), _ = _step(travel, {"name": "", "arguments": {"area": HUGE}})
    assert info["parse_error"]
    assert "<int of ~5001 digits>" in travel.trajectory.to_json()


def test_an_integer_just_inside_the_bound_reaches_the_backend(travel) -> None:
    (obs, *_, info), _ = _step(travel, f"[find_restaurant(area={10**limits.MAX_INT_DIGITS - 1})]")
    assert info["parse_error"] is None
    assert json.loads(obs["messages"][-1]["content"])["error"]["type"] == "invalid_arguments"


def test_every_renderer_survives_integers_too_long_to_print() -> None:
    call = ToolCall("f", {"a": HUGE, "b": [HUGE, {"c": HUGE}]}, id="x")
    assert "<int of ~5001 digits>" in call.signature()
    assert ToolCall("f", {"a": 1, "b": "x"}).signature() == "f(a=1, b='x')"  # exact for normal values
    obs = observation([Message(role="assistant", tool_calls=[call]), Message(role="tool", content="ok")], [])
    assert "<int of ~5001 digits>" in obs["messages"][0]["tool_calls"]
    assert json.loads(to_json({"n": HUGE, HUGE: 1})) == {"n": "<int of ~5001 digits>", "<int of ~5001 digits>": 1}
    assert json_safe([HUGE]) == ["<int of ~5001 digits>"]
    assert "<int" in ToolResult.success({"result": HUGE}).content()


def test_argument_key_never_raises() -> None:
    assert argument_key(10**309) == 10**309  # beyond float range: kept exact
    assert argument_key("1" + "0" * 400) == "1" + "0" * 400 or isinstance(argument_key("1" + "0" * 400), float)
    assert argument_key(3) == argument_key("3.0") == 3.0
    gold = [GoldCall("f", {"a": 1})]
    assert matched_steps(gold, [(ToolCall("f", {"a": 10**309}), ToolResult.success(1))]) == [False]


def test_shared_references_are_refused_quickly(travel) -> None:
    x: list = []
    for _ in range(20):
        x = [x, x]  # 2**20 leaves through shared references
    (obs, *_, info), elapsed = _step(travel, [ToolCall("find_restaurant", {"area": x})])
    assert "more than" in info["parse_error"] and elapsed < 1.0
    assert len(json.dumps(travel.trajectory.steps[-1].action)) < 1_000  # a short repr is recorded


def test_structured_call_lists_are_capped_before_parsing(travel, monkeypatch) -> None:
    import coalm_env.parsing as parsing

    parsed = []
    real = parsing._structured_call
    monkeypatch.setattr(parsing, "_structured_call", lambda c: parsed.append(c) or real(c))
    (obs, *_, info), elapsed = _step(travel, [{"name": "find_restaurant", "arguments": {}}] * 1_000)
    assert info["parse_error"].startswith("1000 tool calls in one action") and parsed == []
    text = "".join('<tool_call>{"name": "find_restaurant", "arguments": {}}</tool_call>' for _ in range(1_000))
    (obs, *_, info), _ = _step(travel, text)
    assert info["parse_error"].startswith("1000 tool calls") and parsed == []


def test_long_replies_are_truncated_with_a_mark(travel) -> None:
    travel.reset(seed=0)
    obs, *_ = travel.step("hello " * 30_000)
    reply = travel.trajectory.steps[-1].reply
    assert len(reply) < limits.MAX_REPLY_CHARS + 100 and "characters truncated" in reply
    assert travel.observation_space.contains(obs)


def test_tool_results_are_bounded_per_result_and_marked() -> None:
    result = ToolResult.success({"file_content": "x" * 500_000, "lines": list(range(100_000))})
    small = result.bounded(limits.MAX_TOOL_RESULT_CHARS)
    assert len(small.content()) <= limits.MAX_TOOL_RESULT_CHARS + 200
    assert "characters truncated" in small.content() and "more items truncated" in small.content()
    assert set(small.value) == {"file_content", "lines"}  # the structure is kept
    assert ToolResult.success({"a": 1}).bounded(100) is not None
    error = ToolResult.failure("not_found", "y" * 100_000).bounded(1_000)
    assert not error.ok and error.error["type"] == "not_found" and len(error.content()) < 1_300


# -- users ------------------------------------------------------------------------------------------
class _BadUser(FixtureUser):
    def __init__(self, turn):
        super().__init__()
        self.turn = turn

    def respond(self, requests):
        return [self.turn for _ in requests]


@pytest.mark.parametrize("turn", [UserTurn(text=None), UserTurn(text=b"bytes"), UserTurn(text=123),
                                  UserTurn(text=["x"]), "not a turn", None, UserTurn(text="ok", meta=None)],
                         ids=repr)
def test_a_malformed_user_turn_is_a_recorded_user_bug(turn) -> None:
    env = ConversationEnv(FixtureDomain(), user=_BadUser(turn))
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("Hello, how can I help?")
    assert terminated and info["stop_reason"] == "internal_error"
    assert env.observation_space.contains(obs)
    assert env.trajectory.errors[-1]["where"] == "user" and "user simulator returned" in env.trajectory.errors[-1][
        "error"]
    _strict(env.trajectory)


def test_a_10_mb_user_turn_is_truncated_with_a_mark() -> None:
    env = ConversationEnv(FixtureDomain(), user=_BadUser(UserTurn(text="word " * 2_000_000)))
    env.reset(seed=0)
    obs, *_, info = env.step("Hello, how can I help?")
    assert env.observation_space.contains(obs) and env.trajectory.errors == []
    last = obs["messages"][-1]
    assert last["role"] == "user" and len(last["content"]) < limits.MAX_USER_TEXT_CHARS + 100
    assert "characters truncated" in last["content"]
    assert env.trajectory.extra["user_text_truncated"] == 1


# -- every format, fuzzed with numbers at and beyond the bounds ---------------------------------------
# long integers are built from their digit count (hypothesis cannot print them itself)
LONG = st.tuples(st.integers(4_000, 6_000), st.sampled_from([1, -1]), st.integers(0, 9)).map(
    lambda t: t[1] * (10 ** t[0] - t[2]))
NUMBERS = st.one_of(st.integers(), LONG, st.floats())
ARGS = st.dictionaries(st.sampled_from(["category", "max_price", "quantity", "zzz"]),
                       st.recursive(NUMBERS, lambda inner: st.lists(inner, max_size=3), max_leaves=4), max_size=3)
CALLS = st.lists(st.builds(ToolCall, name=st.sampled_from(["find_item", "buy_item", ""]), arguments=ARGS),
                 min_size=1, max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(calls=CALLS, fmt=st.sampled_from((*FORMATS, "structured", "dict")))
def test_numbers_never_escape_any_format(calls, fmt) -> None:
    env = _FUZZ_ENV
    if fmt == "structured":
        action = calls
    elif fmt == "dict":
        action = {"tool_calls": [c.to_dict() for c in calls]}
    else:
        try:
            action = format_calls(calls, fmt)
        except ValueError:  # the hypothesis side cannot render some of them (json.dumps of a huge int)
            action = [c.to_dict() for c in calls]
    (obs, *_, info), elapsed = _step(env, action)
    assert elapsed < 2.0
    parsed = parse_action(action)
    if any(isinstance(v, int) and abs(v) >= 10**limits.MAX_INT_DIGITS for c in calls for v in _leaves(c.arguments)) \
            and all(c.name for c in calls) and not isinstance(action, str):  # text renders them as placeholders
        assert parsed.kind == "error"


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


_FUZZ_ENV = make_env()


# -- API-Bank and BFCL (data) ---------------------------------------------------------------------------
@pytest.mark.data
def test_apibank_calculator_and_scene_errors_are_for_the_agent() -> None:
    from conftest import need_data

    need_data("apibank")
    env = gym.make("coalm/APIBank-v0").unwrapped
    cases = {"[Calculator(formula='1e300**2')]": "too large", "[Calculator(formula='1e300*1e300')]": "too large",
             "[AddScene(name='x', devices='{[1]: 2}')]": "must be a list"}
    for action, message in cases.items():
        env.reset(seed=0)
        env.backend.reveal(["Calculator", "AddScene"])
        obs, *_ = env.step(action)
        error = json.loads(obs["messages"][-1]["content"])["error"]
        assert error["type"] == "invalid_arguments" and message in error["message"]
        assert env.trajectory.errors == []


@pytest.fixture(scope="module")
def bfcl():
    from conftest import need_data

    pytest.importorskip("bfcl_eval")
    need_data("bfcl")
    return gym.make("coalm/BFCL-MultiTurn-v0", category="base").unwrapped


def _bfcl_with(env, cls: str) -> str:
    for scenario in env.domain.scenarios("test"):
        if cls in scenario.meta.get("involved_classes", ()) or cls in json.dumps(scenario.goal)[:2000]:
            env.reset(seed=0, options={"scenario_id": scenario.id})
            if cls in env.backend.state.instances:
                return scenario.id
    for scenario in env.domain.scenarios("test"):
        env.reset(seed=0, options={"scenario_id": scenario.id})
        if cls in env.backend.state.instances:
            return scenario.id
    pytest.skip(f"no BFCL entry with {cls}")


@pytest.mark.data
def test_bfcl_math_cost_bombs_are_refused(bfcl) -> None:
    sid = _bfcl_with(bfcl, "MathAPI")
    for action in ["[round_number(number=1, decimal_places=-10000000)]",
                   "[power(base=" + "9" * 60 + ", exponent=10000)]"]:
        bfcl.reset(seed=0, options={"scenario_id": sid})
        start = time.perf_counter()
        obs, *_ = bfcl.step(action)
        assert time.perf_counter() - start < 1.0
        assert json.loads(obs["messages"][-1]["content"])["error"]["type"] == "limit_exceeded"
    bfcl.reset(seed=0, options={"scenario_id": sid})
    obs, *_ = bfcl.step("[power(base=2, exponent=10), round_number(number=2.345, decimal_places=2)]")
    assert [json.loads(m["content"]) for m in obs["messages"][-2:]] == [{"result": 1024}, {"result": 2.35}]


@pytest.mark.data
def test_bfcl_file_system_shared_directories_cannot_explode(bfcl) -> None:
    sid = _bfcl_with(bfcl, "GorillaFileSystem")
    bfcl.reset(seed=0, options={"scenario_id": sid})
    fs = bfcl.backend.state.instances["GorillaFileSystem"]
    directory = type(fs.root)
    node = directory("d0", None)
    for i in range(1, 40):  # what nested cp builds: each level shares the one below twice (2**40 paths)
        node = _two_links(directory, f"d{i}", node)
    fs._current_dir.contents["bomb"] = node
    for action in ["[du()]", "[find()]", "[cp(source='bomb', destination='bomb2')]"]:
        start = time.perf_counter()
        obs, *_ = bfcl.step(action)
        assert time.perf_counter() - start < 1.0, action
        assert json.loads(obs["messages"][-1]["content"])["error"]["type"] == "limit_exceeded"
    assert bfcl.trajectory.errors == []


def _two_links(directory, name, child):
    parent = directory(name, None)
    parent.contents = {"a": child, "b": child}
    return parent


@pytest.mark.data
def test_bfcl_echo_then_cat_gives_a_bounded_observation(bfcl) -> None:
    sid = _bfcl_with(bfcl, "GorillaFileSystem")
    bfcl.reset(seed=0, options={"scenario_id": sid})
    bfcl.step("[echo(content='" + "x" * 190_000 + "', file_name='big.txt')]")
    obs, *_ = bfcl.step("[" + ", ".join(["cat(file_name='big.txt')"] * 8) + "]")
    results = [m["content"] for m in obs["messages"][-8:]]
    assert sum(map(len, results)) <= limits.MAX_STEP_RESULT_CHARS + 8 * limits.MIN_BOUND_CHARS
    assert all("characters truncated" in r for r in results)
    assert len(bfcl.trajectory.to_json()) < 2_000_000
