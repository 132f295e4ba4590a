"""API-Bank through ConversationEnv: the oracle scores 100% on every level, level-2 visibility, the
users (replay and goal-driven), and Gymnasium's checker for ``coalm/APIBank-v0`` with each level."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest
from conftest import need_data
from gymnasium.utils.env_checker import check_env

from coalm_env.env import ConversationEnv
from coalm_env.scoring import mean_metrics

pytestmark = pytest.mark.data


@pytest.fixture(scope="module", autouse=True)
def _data():
    need_data("apibank")


def _play(env, scenario_id, policy):
    obs, info = env.reset(seed=0, options={"scenario_id": scenario_id})
    while True:
        obs, reward, terminated, truncated, info = env.step(policy(obs, info))
        if terminated or truncated:
            return info


@pytest.mark.parametrize("level", [1, 2, 3])
def test_oracle_scores_100_percent_on_every_level(level):
    from experiments.apibank_audit import oracle_rollouts

    rows = oracle_rollouts(level)
    assert len(rows) == {1: 213, 2: 50, 3: 50}[level]
    mean = mean_metrics([{k: v for k, v in r.items() if k != "stop_reason"} for r in rows])
    assert mean["success"] == 1.0 and mean["api_call_accuracy"] == 1.0
    assert mean["rouge_l"] == pytest.approx(1.0) and mean["internal_errors"] == 0.0
    assert {r["stop_reason"] for r in rows} == {"user_ended"}


def test_level2_starts_with_tool_searcher_only_and_reveals_what_it_retrieves():
    env = ConversationEnv(domain="apibank", level=2)
    env.reset(seed=0, options={"scenario_id": "L2-AddAlarm-level-3-1"})
    assert env.backend.visible == ["ToolSearcher"]
    obs, *_ = env.step('<tool_call>{"name": "AddAlarm", "arguments": {"token": "x", "time": "y"}}</tool_call>')
    assert "unknown_tool" in obs["messages"][-1]["content"]
    obs, *_ = env.step('<tool_call>{"name": "ToolSearcher", "arguments": {"keywords": "add an alarm"}}</tool_call>')
    assert set(env.backend.visible) == {"ToolSearcher", "GetUserToken", "AddAlarm"}
    assert {t["function"]["name"] for t in json.loads(obs["tools"])} == set(env.backend.visible)


def test_level1_shows_the_dialogue_apis_and_a_wrong_call_fails_the_episode():
    env = ConversationEnv(domain="apibank", level=1, oracle_hints=True)

    def wrong_time(obs, info):
        action = info["oracle_action"]
        return action.replace("2023-03-20 06:30:00", "2023-03-20 06:45:00")

    info = _play(env, "L1-DeleteAlarm-level-1-1", wrong_time)
    assert set(env.backend.visible) == {"DeleteAlarm", "GetUserToken"}
    assert info["metrics"]["success"] == 0.0 and info["metrics"]["api_call_accuracy"] < 1.0


def test_goal_user_with_the_oracle_ends_satisfied():
    env = ConversationEnv(domain="apibank", level=1, user="apibank_goal", oracle_hints=True)
    info = _play(env, "L1-AddAgenda-AddAlarm-GetUserToken-level-2-1", lambda o, i: i["oracle_action"])
    assert info["stop_reason"] == "goal_met" and info["metrics"]["success"] == 1.0


def test_goal_user_answers_questions_for_facts_and_gives_up_without_progress():
    env = ConversationEnv(domain="apibank", level=1, user="apibank_goal:patience=2")
    obs, info = env.reset(seed=0, options={"scenario_id": "L1-AddAgenda-AddAlarm-GetUserToken-level-2-1"})
    obs, *_ = env.step("Sure. What is your username and password?")
    assert "JaneSmith" in obs["messages"][-1]["content"]
    info = _play_more(env, ["Hmm.", "Hmm.", "Hmm."])
    assert info["stop_reason"] == "user_gave_up" and info["metrics"]["success"] == 0.0


def _play_more(env, replies):
    for reply in replies:
        obs, reward, terminated, truncated, info = env.step(reply)
        if terminated or truncated:
            return info
    raise AssertionError("the user never ended the episode")


@pytest.mark.parametrize("level", [2, 3])
def test_check_env_for_each_level(level):
    env = gym.make("coalm/APIBank-v0", level=level)
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs) and info["scenario_id"].startswith(f"L{level}-")
