"""GRPO through TRL on coalm/Travel-v0 (agenda user): both adapters train the tiny model on CPU.

One GRPO step each, 2 generations, 8 tokens per completion. The tiny model is random, so every episode
fails alike and the env reward alone has zero variance within a group (zero advantage, no update); the
trainer tests add a reward on the sampled token ids so the step must move the weights.
"""

from __future__ import annotations

import json

import pytest

pytestmark = [
    pytest.mark.train,
    # TRL 1.16's generation path calls transformers 5.x's deprecated gradient-checkpointing aliases (not our code)
    pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"),
    pytest.mark.filterwarnings("ignore:`gradient_checkpointing_disable` is deprecated:FutureWarning"),
    pytest.mark.filterwarnings("ignore:`gradient_checkpointing_enable` is deprecated:FutureWarning"),
]
pytest.importorskip("trl", reason="needs the [train] extra")

from llm_fixtures import tiny_model_dir  # noqa: E402,F401  (a fixture)

from coalm_env.errors import ConfigError, UnknownNameError  # noqa: E402
from coalm_env.train.config import from_mapping  # noqa: E402
from coalm_env.train.reward import check_weights, episode_reward  # noqa: E402
from coalm_env.train.rollout_func import splice  # noqa: E402

ENV = {"id": "coalm/Travel-v0", "user": "agenda", "split": "train", "scenarios": 2,
       "options": {"max_turns": 2, "max_steps_per_turn": 2}}
TRL = {"max_steps": 1, "per_device_train_batch_size": 2, "num_generations": 2, "max_completion_length": 8,
       "learning_rate": 1e-2, "beta": 0.0, "report_to": "none", "use_cpu": True, "bf16": False,
       "save_strategy": "no", "logging_steps": 1, "max_tool_calling_iterations": 2}


def _config(model_dir, tmp_path, rollout):
    trl = dict(TRL, output_dir=str(tmp_path / "out"))
    if rollout.get("adapter") == "rollout_func":
        trl.pop("max_tool_calling_iterations")
    return from_mapping({"trainer": "grpo", "model": str(model_dir), "env": ENV, "rollout": rollout,
                         "reward": {"success": 1.0, "tool_calls": 0.1}, **trl})


def _token_noise(completion_ids, **_):
    return [float(sum(ids) % 7) for ids in completion_ids]


def _first_token(completion_ids, **_):
    return [float(ids[0]) if ids else 0.0 for ids in completion_ids]


def _train(config, noise=_token_noise):
    import torch

    from coalm_env.train.grpo import build_trainer

    trainer = build_trainer(config, extra_rewards=[noise])
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.train()
    changed = [k for k, v in trainer.model.state_dict().items() if not torch.equal(before[k], v)]
    return trainer, changed


def test_environment_factory_adapter_trains(tiny_model_dir, tmp_path):
    trainer, changed = _train(_config(tiny_model_dir, tmp_path, {"adapter": "environment_factory"}))
    assert changed
    log = trainer.state.log_history[0]
    assert "rewards/coalm_episode/mean" in log and "env/success" in log
    assert all(env._done for env in trainer.environments)  # every rollout's episode was ended and scored
    assert all(env._env.trajectory.metrics for env in trainer.environments)


def test_rollout_func_adapter_trains_with_env_mask(tiny_model_dir, tmp_path):
    trainer, changed = _train(_config(tiny_model_dir, tmp_path, {"adapter": "rollout_func", "policy": "chat"}))
    assert changed
    log = trainer.state.log_history[0]
    assert "rewards/coalm_episode/mean" in log and "rollout/exact_context" in log
    assert all(env.trajectory.stop_reason is not None for env in trainer.rollout_func._envs)


def test_splice_masks_env_tokens_and_skips_the_rerendered_turn():
    eos = {9}
    steps = [{"prompt_ids": [1, 2], "token_ids": [5, 9], "logprobs": [-0.5, -0.1]},
             # the template extends the last prompt: re-rendered agent turn [5, 9], then env tokens [7, 8]
             {"prompt_ids": [1, 2, 5, 9, 7, 8], "token_ids": [6, 9], "logprobs": [-0.2, -0.3]}]
    seq = splice(steps, eos)
    assert seq["prompt_ids"] == [1, 2]
    assert seq["completion_ids"] == [5, 9, 7, 8, 6, 9]
    assert seq["env_mask"] == [1, 1, 0, 0, 1, 1]
    assert seq["logprobs"] == [-0.5, -0.1, 0.0, 0.0, -0.2, -0.3]
    assert seq["exact"] == 1.0
    rerendered = [dict(steps[0]), {"prompt_ids": [1, 3, 4], "token_ids": [6], "logprobs": [-1.0]}]
    seq = splice(rerendered, eos)  # react: the history is re-rendered; tokens after the common prefix
    assert seq["completion_ids"] == [5, 9, 3, 4, 6] and seq["env_mask"] == [1, 1, 0, 0, 1]
    assert seq["exact"] == 0.0


def test_env_object_tools_are_typed_and_run_on_the_backend():
    from transformers.utils import get_json_schema

    from coalm_env.train.env_factory import REPLY_TOOL, build_environments, env_reward

    rows, factories = build_environments("coalm/Travel-v0", {"user": "agenda"}, limit=1)
    assert set(rows[0]) == {"prompt", "scenario_id", "seed", "environment"} and list(factories) == [rows[0]["environment"]]
    env = factories[rows[0]["environment"]]()
    schema = get_json_schema(env.book_restaurant)["function"]
    assert schema["parameters"]["required"] == ["name", "people", "day", "time"]
    assert "enum" in get_json_schema(env.find_restaurant)["function"]["parameters"]["properties"]["area"]
    assert get_json_schema(getattr(env, REPLY_TOOL))["function"]["parameters"]["required"] == ["message"]
    assert env.reset(scenario_id=rows[0]["scenario_id"], seed=0)  # the user's opening turn
    result = env.find_train(departure="ely", destination="cambridge")
    assert json.loads(result)["count"] > 0
    assert isinstance(getattr(env, REPLY_TOOL)("Which day would you like to travel?"), str)
    reward = env_reward({"success": 1.0, "tool_calls": 0.5})
    assert reward([[{"role": "assistant", "content": "Goodbye!"}]], environments=[env]) == [0.5]
    assert env._env.trajectory.stop_reason.value == "agent_ended"
    assert env.find_train(departure="ely") == "Error: the conversation is over."


def test_reward_weights_and_config_errors(tiny_model_dir, tmp_path):
    assert check_weights({"graph_credit": 0.2}) == {"graph_credit": 0.2, "success": 1.0}
    assert episode_reward({"success": 1.0, "graph_credit": 0.5}, {"success": 1.0, "graph_credit": 0.2}) == 1.1
    with pytest.raises(UnknownNameError, match="graph_credit"):
        check_weights({"graph_credit_": 1.0})
    from coalm_env.train.grpo import build_trainer

    with pytest.raises(UnknownNameError, match="adapter"):
        build_trainer(_config(tiny_model_dir, tmp_path, {"adapter": "rollout_fun"}))
    with pytest.raises(UnknownNameError, match="policy"):
        build_trainer(_config(tiny_model_dir, tmp_path, {"adapter": "rollout_func", "polcy": "chat"}))
    with pytest.raises(UnknownNameError, match="compact"):  # the react policy's own options are checked up front
        build_trainer(_config(tiny_model_dir, tmp_path, {"adapter": "rollout_func", "policy": "react",
                                                         "policy_options": {"compactt": 1}}))
    rloo = from_mapping({"trainer": "rloo", "model": str(tiny_model_dir), "env": ENV, "output_dir": str(tmp_path)})
    with pytest.raises(ConfigError, match="RLOOTrainer"):
        build_trainer(rloo)


def test_rollout_func_branch_mode_trains_on_exact_step_contexts(tiny_model_dir, tmp_path):
    """mode=branch: each row is one agent step sampled in its own context, branched from a greedy episode:
    the group's branches replay the same greedy prefix on the same seed, the rebuilt prompt equals the greedy
    one (exact_context 1), and each row's prompt is the branch step's prompt."""
    trainer, changed = _train(_config(tiny_model_dir, tmp_path, {"adapter": "rollout_func", "policy": "react",
                                                                   "mode": "branch"}), noise=_first_token)
    assert changed  # (the two samples' first tokens differ with this seed, so the group has an advantage)
    log = trainer.state.log_history[0]
    assert log["rollout/exact_context"] == 1.0 and "rollout/informative_groups" in log
    func = trainer.rollout_func
    (k,) = func.last_branch  # one group per step (batch 2, 2 generations)
    greedy, branches = func._envs[0].trajectory, [e.trajectory for e in func._envs[1:3]]
    assert k is not None and k < len(greedy.steps)
    for traj in branches:
        assert traj.scenario_id == greedy.scenario_id and traj.stop_reason is not None
        assert [s.action for s in traj.steps[:k]] == [s.action for s in greedy.steps[:k]]
        assert traj.steps[k].extra["prompt_ids"] == greedy.steps[k].extra["prompt_ids"]


def test_env_skip_leaves_out_the_head_of_the_split(tiny_model_dir, tmp_path):
    """``env.skip`` (both adapters): the rows start after the first ``skip`` scenarios of the split."""
    from coalm_env.train.env_factory import build_environments
    from coalm_env.train.grpo import env_skip
    from coalm_env.train.rollout_func import rollout_rows

    kwargs = {"user": "agenda", "n_train": 12}
    rows = rollout_rows("coalm/Travel-v0", kwargs, limit=3, skip=10)
    assert [r["prompt"] for r in rows] == ["travel-train-00010", "travel-train-00011"]
    env_rows, _ = build_environments("coalm/Travel-v0", kwargs, limit=2, skip=5)
    assert [r["scenario_id"] for r in env_rows] == ["travel-train-00005", "travel-train-00006"]
    with pytest.raises(ConfigError, match="after the first 12"):
        rollout_rows("coalm/Travel-v0", kwargs, skip=12)
    config = from_mapping({"trainer": "grpo", "model": str(tiny_model_dir), "env": {**ENV, "skip": 4},
                           "output_dir": str(tmp_path)})
    assert env_skip(config) == 4
    for bad in (-2, 1.5, "4"):
        with pytest.raises(ConfigError, match="env.skip"):
            env_skip(from_mapping({"trainer": "grpo", "model": "m", "env": {**ENV, "skip": bad},
                                   "output_dir": str(tmp_path)}))


def test_rollout_func_branch_mode_is_refused_for_unknown_modes():
    from coalm_env.train.rollout_func import EpisodeRollout

    with pytest.raises(ConfigError, match="rollout mode"):
        EpisodeRollout("coalm/Travel-v0", {}, policy="react", mode="steps")
    with pytest.raises(ConfigError, match="branch_step"):
        EpisodeRollout("coalm/Travel-v0", {}, policy="react", mode="branch", branch_step="random")
    with pytest.raises(ConfigError, match="mode: branch only"):
        EpisodeRollout("coalm/Travel-v0", {}, policy="react", mode="episode", branch_step="uncertain")


def test_uncertain_branch_step_draws_where_the_greedy_policy_hesitated():
    """branch_step=uncertain: weight 1 - p_min per generated step; a step whose every token was certain is never
    drawn while another is not, steps without generation never; all certain falls back to uniform."""
    import math
    from types import SimpleNamespace

    import numpy as np

    from coalm_env.train.rollout_func import EpisodeRollout

    def step(logprobs):
        return SimpleNamespace(extra={} if logprobs is None else {"token_ids": [1] * len(logprobs),
                                                                  "logprobs": logprobs})

    steps = [step(None), step([0.0, 0.0]), step([0.0, math.log(0.5)]), step([math.log(0.9)])]
    rollout = EpisodeRollout("coalm/Travel-v0", {}, policy="react", mode="branch", branch_step="uncertain")
    rng = np.random.default_rng(0)
    drawn = [rollout._draw_step(steps, rng) for _ in range(600)]
    assert set(drawn) == {2, 3} and 4 * drawn.count(3) < drawn.count(2)  # weights 0.5 vs 0.1
    certain = [step(None), step([0.0]), step([0.0])]
    assert {rollout._draw_step(certain, rng) for _ in range(100)} == {1, 2}
    assert rollout._draw_step([step(None)], rng) is None
    uniform = EpisodeRollout("coalm/Travel-v0", {}, policy="react", mode="branch")
    assert {uniform._draw_step(steps, rng) for _ in range(200)} == {1, 2, 3}
