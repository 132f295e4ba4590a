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
from coalm_env.types import Trajectory

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


def _oracle_trajectory(scenario_id):
    env = ConversationEnv(domain="apibank", level=1, oracle_hints=True, env_id="coalm/APIBank-v0")
    return env, _play(env, scenario_id, lambda o, i: i["oracle_action"])["trajectory"]


def test_end_state_match_compares_the_backend_with_the_gold_end_state():
    sid = "L1-AddAgenda-AddAlarm-GetUserToken-level-2-1"  # its gold calls write (an agenda, an alarm)
    env, traj = _oracle_trajectory(sid)
    scenario = env.domain.get_scenario(sid)
    assert traj.metrics["end_state_match"] == 1.0
    assert scenario.gold.end_state == {"state_hash": traj.extra["state_hash"]}  # filled on first scoring
    fresh = env.domain.build_backend(scenario, None)
    assert fresh.state_hash() != scenario.gold.end_state["state_hash"]
    info = _play(env, sid, lambda o, i: "I cannot help with that.")
    assert info["metrics"]["end_state_match"] == 0.0 and info["metrics"]["success"] == 0.0


def test_legacy_trajectories_without_the_recorded_capability_align_by_their_replay_user_spec():
    from coalm_env.domains.apibank.domain import _aligned
    from coalm_env.rescore import rescore

    sid = "L1-CancelRegistration-RecordHealthData-level-2-1"  # two user turns with gold calls and replies
    env, traj = _oracle_trajectory(sid)
    assert traj.user == "apibank_replay" and traj.extra["user_follows_dataset"] is True
    legacy = Trajectory.from_dict(traj.to_dict())
    del legacy.extra["user_follows_dataset"]  # as written before the env recorded it
    assert rescore(legacy, env.domain)[0] == rescore(traj, env.domain)[0] == traj.metrics
    unaligned = Trajectory.from_dict(legacy.to_dict())
    unaligned.user = "apibank_goal"
    assert rescore(unaligned, env.domain)[0] != traj.metrics  # alignment matters for this scenario

    def spec(user, **extra):
        return Trajectory(env_id="coalm/APIBank-v0", scenario_id=sid, domain="apibank", split="test", user=user,
                          extra=extra)

    assert _aligned(spec("apibank_replay")) and _aligned(spec("replay")) and _aligned(spec("replay:x=1"))
    assert not any(_aligned(spec(u)) for u in ("apibank_goal", "llm:scripted:x", "my_dataset_user", "apibank_replay+terse"))
    # a recorded capability decides, whatever the name (live episodes always record it)
    assert not _aligned(spec("apibank_replay", user_follows_dataset=False))
    assert _aligned(spec("my_dataset_user", user_follows_dataset=True))
