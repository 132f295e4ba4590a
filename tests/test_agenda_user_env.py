"""The agenda user in full coalm/Travel-v0 episodes: with the oracle, and with a scripted agent that
makes the oracle's calls but words its replies in its own chatty style (free text the user has not
been written against)."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

import coalm_env  # noqa: F401  (registers the ids)
from coalm_env.types import StopReason

EPISODES = 25


def _last_tool(env) -> tuple[str, dict]:
    for message in reversed(env.trajectory.messages):
        if message.role == "tool":
            try:
                return message.name or "", json.loads(message.content)
            except json.JSONDecodeError:
                return message.name or "", {}
        if message.role == "user":
            break
    return "", {}


def _chatty(env, oracle: str) -> str:
    """The oracle's action, its replies reworded from the last tool result."""
    if "<tool_call>" in oracle:
        return oracle
    name, result = _last_tool(env)
    goal = env.scenario.goal
    if name.startswith("find_") and result.get("results"):
        d = name.removeprefix("find_")
        top = result["results"][0]
        facts = " ".join(f"The {s} is {top[s]}." for s in goal[d].get("reqt", []) if s in top)
        title = str(top.get("name") or top.get("trainID")).title()
        return f"Sure thing! How about **{title}**? {facts} Shall I go ahead and book it?"
    if name.startswith("find_"):
        return "Hmm, I'm sorry - nothing in our listings matches those criteria. Could we try something else?"
    if "error" in result:
        return "Unfortunately that slot is fully booked. Would a different time or day suit you?"
    if name == "book_taxi":
        return (f"Your cab is booked: look out for a {result['car type']} (driver's number "
                f"{result['phone']}). Booking ref: {result['reference']}.")
    if name.startswith("book_"):
        return f"You're all set - your booking reference is {result['reference']}. Anything else?"
    return "Is there anything else I can do for you today?"


@pytest.mark.parametrize("style", ["oracle", "chatty"])
def test_well_behaved_agent_meets_the_goal(style):
    env = gym.make("coalm/Travel-v0", oracle_hints=True, user="agenda").unwrapped
    stops, successes = [], 0
    for seed in range(EPISODES):
        obs, info = env.reset(seed=seed, options={"split": "test"})
        done = False
        while not done:
            action = info["oracle_action"] if style == "oracle" else _chatty(env, info["oracle_action"])
            obs, reward, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        stops.append(info["stop_reason"] if "stop_reason" in info else env.trajectory.stop_reason)
        successes += int(reward)
    met = sum(StopReason(s) is StopReason.GOAL_MET for s in stops)
    assert met == EPISODES, stops
    assert successes == EPISODES


def test_silent_agent_makes_the_user_give_up():
    env = gym.make("coalm/Travel-v0", user="agenda:patience=2").unwrapped
    env.reset(seed=0, options={"split": "test"})
    for step in range(2):
        obs, reward, terminated, truncated, info = env.step("Let me see.")
    assert terminated and env.trajectory.stop_reason is StopReason.USER_GAVE_UP and reward == 0
