"""The LLM user: the reserved end signal, premature-stop and fault flags, goal text from every domain,
spec strings, LLMError -> errored, and full episodes with the tiny local model."""

from __future__ import annotations

import gymnasium as gym
import pytest
from conftest import need_data
from llm_fixtures import tiny_generator, tiny_model_dir  # noqa: F401 (pytest fixtures)

import coalm_env  # noqa: F401
from coalm_env.errors import LLMError
from coalm_env.llm import ScriptedGenerator
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import StopReason
from policies.react import ReactPolicy
from simulators.llm import LLMUser, parse_end_signal

TRAVEL = "coalm/Travel-v0"
FAST = {"max_turns": 2, "max_steps_per_turn": 2}


@pytest.mark.parametrize(("text", "clean", "stop"), [
    ("Thanks! [END_CONVERSATION: goal_met]", "Thanks!", StopReason.GOAL_MET),
    ("[end_conversation: gave_up] Forget it.", "Forget it.", StopReason.USER_GAVE_UP),
    ("Bye. [END_CONVERSATION]", "Bye.", StopReason.USER_ENDED),
    ("ok end_conversation(reason='goal_met')", "ok", StopReason.GOAL_MET),
    ("Thank you, goodbye!", "Thank you, goodbye!", None),  # prose ends nothing
])
def test_end_signal(text, clean, stop):
    assert parse_end_signal(text)[:2] == (clean, stop)


def _play(responses, policy_reply="Sure, which day would you like?"):
    env = gym.make(TRAVEL, user=LLMUser(ScriptedGenerator(responses)), **FAST)
    env.reset(seed=0)
    return env.step(policy_reply)[4]


def test_goodbye_before_the_goal_is_premature():
    info = _play(["I need a train from ely.", "Thanks, bye! [END_CONVERSATION: goal_met]"])
    assert info["stop_reason"] == "goal_met"
    m = info["metrics"]
    assert m["success"] == 0 and m["user_premature_stop"] == 1 and m["user_fault"] == 1


def test_giving_up_is_not_premature_and_faults_are_flagged():
    info = _play(["I need a train from ely.", "How can I help you? [END_CONVERSATION: gave_up]"])
    m = info["metrics"]
    assert info["stop_reason"] == "user_gave_up" and m["user_premature_stop"] == 0
    assert m["user_fault_role_flip"] == 1 and m["user_fault"] == 1


def test_repeat_and_leak():
    info = _play(["I need a train from ely.", "I need a train from ely. [END_CONVERSATION: gave_up]"])
    assert info["metrics"]["user_fault_repeat"] == 1
    leak = _play(["I need a train from ely.", "Also an expensive italian place in the north. [END_CONVERSATION: gave_up]"])
    assert leak["metrics"]["user_fault_leak"] == 1


def test_rescoring_keeps_the_user_fault_flags():
    from coalm_env.rescore import rescore_all
    from coalm_env.types import Trajectory

    env = gym.make(TRAVEL, user=LLMUser(ScriptedGenerator(
        ["I need a train from ely.", "How can I help you? [END_CONVERSATION: gave_up]"])), **FAST)
    env.reset(seed=0)
    env.step("Sure, which day would you like?")
    traj = Trajectory.from_json(env.unwrapped.trajectory.to_json())  # as read back from trajectories.jsonl
    assert traj.extra["user_metrics"] and traj.metrics["user_fault_role_flip"] == 1
    (again,), _ = rescore_all([traj])
    flags = {k: v for k, v in traj.metrics.items() if k.startswith("user_")}
    assert flags and {k: again.metrics.get(k) for k in flags} == flags


def test_prompt_has_the_goal_and_no_tool_traffic():
    gen = ScriptedGenerator(["I need a train.", "ok"], cycle=True)
    env = gym.make(TRAVEL, user=LLMUser(gen), **FAST)
    env.reset(seed=0)
    env.step("[find_train(departure='ely')]")
    env.step("Which day?")
    system, *rest = gen.calls[-1]["messages"]
    assert "Your goal, one item at a time:" in system["content"] and "[END_CONVERSATION" in system["content"]
    assert [m["role"] for m in rest] == ["user", "assistant", "user"]
    assert "find_train" not in str(rest)
    ledger = env.unwrapped.trajectory.extra["ledger"]
    assert [r["role"] for r in ledger] == ["user", "user"]


def test_spec_from_gym_make_and_llm_error():
    env = gym.make(TRAVEL, user='llm:scripted,responses=["Hello, I need a hotel."],seed=2')
    obs, _ = env.reset(seed=0)
    assert obs["messages"][-1]["content"] == "Hello, I need a hotel."
    assert env.unwrapped.user.seed == 2
    user = LLMUser(ScriptedGenerator([LLMError("down")]))
    result = run_rollouts(RolloutConfig(TRAVEL, "rule", user, episodes=2, env_options=FAST), progress=False)
    assert [t.stop_reason for t in result.trajectories] == [StopReason.ERRORED] * 2
    assert all(t.metrics["internal_errors"] == 0 for t in result.trajectories)


_ENVS = {TRAVEL: None, "coalm/MultiWOZ-v0": "multiwoz24", "coalm/BFCL-MultiTurn-v0": "bfcl",
         "coalm/APIBank-v0": "apibank"}


@pytest.mark.train
@pytest.mark.parametrize("env_id", list(_ENVS))
def test_llm_user_plays_every_env(env_id: str, tiny_generator):  # noqa: F811
    if _ENVS[env_id]:
        need_data(_ENVS[env_id])
    # the session's one model behind both roles; one one-turn episode: the opening and the reply to the
    # agent's turn are the two user calls
    user, policy = LLMUser(tiny_generator), ReactPolicy(tiny_generator)
    options = {"max_turns": 1, "max_steps_per_turn": 1}
    result = run_rollouts(RolloutConfig(env_id, policy, user, episodes=1, env_options=options), progress=False)
    assert len(result.trajectories) == 1
    for traj in result.trajectories:
        assert traj.metrics["internal_errors"] == 0, traj.errors
        assert "user_fault" in traj.metrics and {r["role"] for r in traj.extra["ledger"]} == {"agent", "user"}
    assert result.summary["llm"]["llm_user_calls"] >= 2
