"""The LLM policies: the CRA prompt layout, batched generation, the generation record, ledgers, errors,
spec strings from the CLI and Python, and full episodes in every env with the tiny local model."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import pytest
from conftest import need_data
from llm_fixtures import tiny_generator, tiny_model_dir  # noqa: F401 (pytest fixtures)

import coalm_env  # noqa: F401 (registers the ids)
from coalm_env.cli import main
from coalm_env.errors import LLMError
from coalm_env.llm import ScriptedGenerator
from coalm_env.registry import POLICIES
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.specs import ENV_SPECS
from coalm_env.types import Trajectory
from policies.chat import ChatPolicy
from policies.react import ReactPolicy

TRAVEL = "coalm/Travel-v0"
FAST = {"max_turns": 2, "max_steps_per_turn": 2}
#: the tiny-model episodes: prompts run to ~10k byte-level tokens (BFCL), so one turn each
ONE_TURN = {"max_turns": 1, "max_steps_per_turn": 2}


def _travel_obs():
    env = gym.make(TRAVEL, user="agenda")
    obs, info = env.reset(seed=0)
    return env, obs, info


def test_react_prompt_layout_golden():
    env, obs, info = _travel_obs()
    policy = ReactPolicy(ScriptedGenerator(["Thought: look\nAction: find_train(departure='ely')"]))
    obs, *_ = env.step(policy.act([obs], [info])[0])
    prompt = policy.request(obs)[0][0]["content"]
    blocks = [b.split("\n", 1)[0] for b in prompt.split("\n\n") if b.startswith("[")]
    assert blocks == ["[Instruction]", "[Available tools]", "[Format]", "[Conversation history]"]
    assert prompt.startswith("[Instruction]\nYou are a conversational API-calling assistant.")
    assert "\n1. find_restaurant(food=None, area=None, pricerange=None, name=None): " in prompt
    assert "\n2. book_restaurant(name, people, day, time): " in prompt
    history = prompt.split("[Conversation history]\n", 1)[1].splitlines()
    assert history[0] == "User: Can you help me find a train leaving from ely to cambridge?"
    assert history[1:3] == ["Thought: look", "Action: find_train(departure='ely')"]
    assert history[3].startswith('Observation: {"count": ')
    assert policy.params().stop == ("\nObservation:", "\nUser:")


def test_one_generate_call_per_act_and_the_record():
    gen = ScriptedGenerator(["Response: Hello!"], cycle=True)
    policy = ReactPolicy(gen)
    envs = [gym.make(TRAVEL, user="agenda") for _ in range(3)]
    pairs = [e.reset(seed=i) for i, e in enumerate(envs)]
    actions = policy.act([o for o, _ in pairs], [i for _, i in pairs])
    assert len(gen.calls) == 3 and len({c["seed"] for c in gen.calls}) == 3  # one batch, per-request seeds
    assert all(a.extra["ledger"][0]["role"] == "agent" for a in actions)
    envs[0].step(actions[0])
    traj = envs[0].unwrapped.trajectory
    assert traj.steps[0].extra["text"] == "Response: Hello!" and "ledger" not in traj.steps[0].extra
    assert traj.extra["ledger"][0]["backend"] == "scripted"


def test_chat_policy_messages_tools_and_structured_calls():
    from coalm_env.llm.base import Generation
    from coalm_env.types import ToolCall

    server_calls = Generation(text="", tool_calls=[ToolCall("find_train", {"departure": "ely"})])
    gen = ScriptedGenerator([server_calls])
    env, obs, info = _travel_obs()
    action = ChatPolicy(gen).act([obs], [info])[0]
    call = gen.calls[0]
    assert call["messages"][0]["role"] == "system" and call["messages"][-1]["role"] == "user"
    assert [t["function"]["name"] for t in call["tools"]][-1] == "end_conversation"
    env.step(action)
    assert env.unwrapped.trajectory.steps[0].calls[0].name == "find_train"


@pytest.mark.parametrize("text", [
    '<tool_call>\n{"name": "find_train", "arguments": {"departure": "ely"}}\n</tool_call>',
    '{"name": "find_train", "parameters": {"departure": "ely"}}',
    "[find_train(departure='ely')]",
])
def test_chat_outputs_in_every_format_become_calls(text):
    env, obs, info = _travel_obs()
    env.step(ChatPolicy(ScriptedGenerator([text])).act([obs], [info])[0])
    step = env.unwrapped.trajectory.steps[0]
    assert step.kind == "tool_calls" and step.calls[0].arguments == {"departure": "ely"}


def test_llm_error_ends_the_episodes_errored():
    policy = ReactPolicy(ScriptedGenerator([LLMError("server down after 3 retries")]))
    result = run_rollouts(RolloutConfig(TRAVEL, policy, "agenda", episodes=2, env_options=FAST), progress=False)
    for traj in result.trajectories:
        assert traj.stop_reason.value == "errored" and traj.metrics["internal_errors"] == 0
        assert traj.errors[0]["kind"] == "llm"


def test_specs_resolve():
    policy = POLICIES.make('react:scripted,responses=["Response: hi"],max_tokens=8,seed=3')
    assert isinstance(policy, ReactPolicy) and policy.seed == 3 and policy.generator.params.max_tokens == 8
    assert isinstance(POLICIES.make("chat:scripted"), ChatPolicy)


def _check(trajectories: list[Trajectory]) -> None:
    for traj in trajectories:
        assert traj.metrics["internal_errors"] == 0, traj.errors
        again = Trajectory.from_json(json.dumps(json.loads(traj.to_json()), allow_nan=False))
        assert again.scenario_id == traj.scenario_id
        step = traj.steps[0]
        assert step.extra["token_ids"] and len(step.extra["logprobs"]) == len(step.extra["token_ids"])
        assert step.extra["prompt_ids"]
        assert any(row["role"] == "agent" for row in traj.extra["ledger"])


@pytest.mark.train
def test_cli_rollout_with_the_tiny_model(tiny_model_dir: Path, tmp_path: Path):  # noqa: F811
    # the spec string is the point here (the CLI loads the model); one episode, two one-step turns
    argv = ["rollout", TRAVEL, "--policy", f"react:hf:{tiny_model_dir},max_tokens=8", "--user", "agenda",
            "--episodes", "1", "--env-option", "max_turns=2", "--env-option", "max_steps_per_turn=1",
            "--out", str(tmp_path)]
    assert main(argv) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["llm"]["llm_agent_calls"] >= 2 and summary["llm"]["llm_agent_completion_tokens"] > 0
    lines = (tmp_path / "trajectories.jsonl").read_text().splitlines()
    _check([Trajectory.from_json(line) for line in lines])


_ENVS = {TRAVEL: None, "coalm/MultiWOZ-v0": "multiwoz24", "coalm/BFCL-MultiTurn-v0": "bfcl",
         "coalm/APIBank-v0": "apibank"}


@pytest.mark.train
@pytest.mark.parametrize("name", ["react", "chat"])
@pytest.mark.parametrize("env_id", list(_ENVS))
def test_policies_play_every_env(name: str, env_id: str, tiny_generator):  # noqa: F811
    if _ENVS[env_id]:
        need_data(_ENVS[env_id])
    assert env_id in ENV_SPECS
    policy = {"react": ReactPolicy, "chat": ChatPolicy}[name](tiny_generator)  # the session's one model
    result = run_rollouts(RolloutConfig(env_id, policy, None, episodes=1, env_options=ONE_TURN), progress=False)
    assert len(result.trajectories) == 1
    _check(result.trajectories)
