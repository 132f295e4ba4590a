"""BFCL multi-turn through the env: oracle replay, empty agents, tool reveals, dispatch safety, step limit."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest
from conftest import need_data

import coalm_env  # noqa: F401  (registers the ids)

pytestmark = pytest.mark.data
pytest.importorskip("bfcl_eval")

ENV_ID = "coalm/BFCL-MultiTurn-v0"
CATEGORIES = ("base", "miss_func", "miss_param", "long_context")
# The one entry no model can pass: its question has 5 turns, its ground truth 6, so BFCL's runner
# fails it as force_terminated (bfcl-eval 2025.8.6.2 data).
KNOWN_BAD = {"multi_turn_base_154"}


@pytest.fixture(scope="module")
def bfcl_data():
    return need_data("bfcl")


def _make(category: str = "base", **kwargs) -> gym.Env:
    return gym.make(ENV_ID, category=category, **kwargs)


def _play(env: gym.Env, scenario_id: str, agent) -> dict:
    _, info = env.reset(seed=0, options={"scenario_id": scenario_id})
    while True:
        _, _, terminated, truncated, info = env.step(agent(info))
        if terminated or truncated:
            return info


def _oracle(info: dict) -> str:
    return info["oracle_action"]


@pytest.mark.parametrize("category", CATEGORIES)
def test_oracle_replay_passes_every_entry(bfcl_data, category):
    env = _make(category, oracle_hints=True)
    failed = []
    for scenario in env.unwrapped.domain.scenarios("test"):
        info = _play(env, scenario.id, _oracle)
        metrics = info["metrics"]
        assert metrics["internal_errors"] == 0, info["trajectory"].errors
        if not metrics["success"]:
            failed.append(scenario.id)
        assert metrics["bfcl_turn_acc"] >= (5 / 6 if scenario.id in KNOWN_BAD else 1.0)
    assert set(failed) == KNOWN_BAD & {s.id for s in env.unwrapped.domain.scenarios("test")}


def test_known_bad_entry_is_force_terminated(bfcl_data):
    env = _make("base", oracle_hints=True)
    info = _play(env, "multi_turn_base_154", _oracle)
    assert info["metrics"]["bfcl_force_terminated"] == 1.0
    assert info["stop_reason"] == "user_ended"


@pytest.mark.parametrize("category", CATEGORIES)
def test_empty_responses_score_zero(bfcl_data, category):
    env = _make(category)
    for scenario in env.unwrapped.domain.scenarios("test")[:25]:
        info = _play(env, scenario.id, lambda info: "I cannot help with that.")
        assert info["metrics"]["success"] == 0.0
        assert info["metrics"]["bfcl_turn_acc"] == 0.0
        assert info["metrics"]["bfcl_empty_turn"] == 1.0


def _tool_names(obs: dict) -> set[str]:
    return {t["function"]["name"] for t in json.loads(obs["tools"])}


def test_miss_func_reveals_tools_mid_episode(bfcl_data):
    env = _make("miss_func", oracle_hints=True)
    scenario = env.unwrapped.domain.get_scenario("multi_turn_miss_func_0")
    reveal_turn = next(m for m in scenario.meta["turn_meta"] if m["kind"] == "reveal")
    assert reveal_turn["reveal"] == ["sort"] and reveal_turn["turn"] == 3
    obs, info = env.reset(seed=0, options={"scenario_id": scenario.id})
    seen = []
    while True:
        seen.append((info["turn"], "sort" in _tool_names(obs)))
        obs, _, term, trunc, info = env.step(info["oracle_action"])
        if term or trunc:
            break
    assert all(not shown for turn, shown in seen if turn <= 3)
    assert any(shown for turn, shown in seen if turn == 4)
    assert all(shown for turn, shown in seen if turn >= 4)
    assert info["metrics"]["success"] == 1.0


@pytest.mark.parametrize(
    "name",
    ["_load_scenario", "__init__", "__class__", "GorillaFileSystem.ls", "os.system", "place_order", "eval"],
)
def test_non_public_or_foreign_names_are_structured_errors(bfcl_data, name):
    env = _make("base")
    env.reset(seed=0, options={"scenario_id": "multi_turn_base_0"})  # GorillaFileSystem + TwitterAPI
    before = env.unwrapped.backend.state.instances["GorillaFileSystem"].root
    snapshot = repr(vars(env.unwrapped.backend.state.instances["TwitterAPI"]))
    obs, _, term, trunc, info = env.step(f"[{name}(scenario={{}})]")
    result = env.unwrapped.trajectory.steps[-1].results[0]
    assert not result.ok and result.error["type"] == "unknown_tool"
    assert env.unwrapped.backend.state.instances["GorillaFileSystem"].root is before
    assert repr(vars(env.unwrapped.backend.state.instances["TwitterAPI"])) == snapshot
    assert not env.unwrapped.backend.internal_errors and not (term or trunc)


def test_bad_arguments_are_rejected_before_dispatch(bfcl_data):
    env = _make("base")
    env.reset(seed=0, options={"scenario_id": "multi_turn_base_0"})
    env.step("[cd(folder=3), ls(a=True, extra='x'), mkdir()]")
    results = env.unwrapped.trajectory.steps[-1].results
    assert [r.error["type"] for r in results] == ["invalid_arguments"] * 3
    env.step("[cat(file_name='no_such_file.txt')]")
    result = env.unwrapped.trajectory.steps[-1].results[0]
    assert result.ok and "error" in result.value  # the official backend's own answer


def test_step_limit_force_terminates_an_early_turn(bfcl_data):
    env = _make("base")
    info = _play(env, "multi_turn_base_0", lambda info: "[pwd()]")
    assert info["stop_reason"] == "max_steps" and len(env.unwrapped.trajectory.steps) == 21
    assert info["metrics"]["success"] == 0.0 and info["metrics"]["bfcl_force_terminated"] == 1.0


def test_step_limit_on_the_last_turn_is_scored_normally(bfcl_data):
    env = _make("base", oracle_hints=True)

    def agent(info):  # the gold calls once, then read-only calls until the cap
        steps = env.unwrapped.trajectory.steps
        return info["oracle_action"] if not steps else "[check_tire_pressure()]"

    info = _play(env, "multi_turn_base_50", agent)
    assert info["stop_reason"] == "max_steps"
    assert info["metrics"]["success"] == 1.0


def test_replay_is_deterministic(bfcl_data):
    env = _make("long_context", oracle_hints=True)
    runs = [_play(env, "multi_turn_long_context_7", _oracle)["trajectory"] for _ in range(2)]
    first, second = (json.loads(t.to_json()) for t in runs)
    assert first["steps"] == second["steps"] and first["metrics"] == second["metrics"]


def test_scenario_goal_and_turn_meta(bfcl_data):
    domain = _make("miss_param").unwrapped.domain
    scenario = domain.get_scenario("multi_turn_miss_param_0")
    kinds = [m["kind"] for m in scenario.meta["turn_meta"]]
    assert kinds == ["request", "request", "request", "no_call_expected", "follow_up"]
    turns = scenario.goal["turns"]
    assert [t["request"] for t in turns] == scenario.user_turns
    assert turns[2]["expected_calls"] == ["sort(file_name='final_report.pdf')"]  # positional in the data
    assert turns[3]["expected_calls"] == [] and not turns[3]["expects_calls"]


def test_backend_exceptions_and_resource_bounds_are_structured_errors(bfcl_data):
    env = _make("base")
    env.reset(seed=0, options={"scenario_id": "multi_turn_base_15"})  # GorillaFileSystem + MathAPI
    env.step("[power(base=10, exponent=100000000), logarithm(value=2, base=10, precision=10000000)]")
    assert [r.error["type"] for r in env.unwrapped.trajectory.steps[-1].results] == ["invalid_arguments"] * 2
    env.step("[multiply(a=" + "9" * 4000 + ", b=" + "9" * 4000 + ")]")  # too many digits to print
    result = env.unwrapped.trajectory.steps[-1].results[0]
    assert result.error["type"] == "execution_error" and "digits" in result.error["message"]
    env.reset(seed=0, options={"scenario_id": "multi_turn_base_46"})  # MessageAPI documents a parameter
    env.step("[delete_message(receiver_id='USR002', message_id=1)]")  # its method does not take
    result = env.unwrapped.trajectory.steps[-1].results[0]
    assert result.error["type"] == "execution_error" and "unexpected keyword argument" in result.error["message"]
    assert not env.unwrapped.backend.internal_errors
