"""Online RL on env rollouts through TRL's ``GRPOTrainer`` (``coalm-env train grpo CONFIG.yaml``).

Two adapters, chosen by ``rollout.adapter``:

- ``environment_factory`` (:mod:`coalm_env.train.env_factory`): TRL's own tool loop; the scenario's APIs,
  ``reply_to_user`` and ``end_conversation`` are methods of one env object per rollout. TRL generates
  (with ``use_vllm: true`` on GPU machines, vLLM), so every GRPOConfig generation knob applies.
- ``rollout_func`` (:mod:`coalm_env.train.rollout_func`): whole episodes played by our ``chat``/``react``
  policy on the trainer's current model, user and tool tokens masked out of the loss (``env_mask``).

Our keys (the rest of the YAML is ``GRPOConfig``; :mod:`coalm_env.train.config`)::

    env: {id: coalm/Travel-v0, user: agenda, split: train, scenarios: 64, options: {max_turns: 6}}
    reward: {success: 1.0, graph_credit: 0.2}     # weights (coalm_env.train.reward)
    rollout: {adapter: rollout_func, policy: chat, max_tokens: 64, max_episode_tokens: null, seed: 0,
              policy_options: {},          # react: {compact: 1, history: 1, results: 1, preamble: 0}
              mode: episode}               # episode: one spliced sequence per episode; branch: one exact step
                                           # per row, branched from a greedy episode (per-step GRPO)

``trainer: rloo`` is refused: TRL 1.16's ``RLOOTrainer`` takes neither ``environment_factory`` nor
``rollout_func``, so it cannot run multi-turn episodes or mask env tokens.
"""

from __future__ import annotations

import os
from typing import Any

from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.train.config import skip_setting

__all__ = ["ADAPTERS", "run", "build_trainer", "env_settings"]

ADAPTERS = ("environment_factory", "rollout_func")
_ENV_KEYS = ("id", "user", "split", "scenarios", "skip", "options")
_ROLLOUT_KEYS = ("adapter", "policy", "max_tokens", "max_episode_tokens", "seed", "policy_options", "mode",
                 "branch_step")


def _checked(section: dict[str, Any], known: tuple[str, ...], where: str) -> dict[str, Any]:
    for key in section:
        if key not in known:
            raise UnknownNameError(f"key of `{where}:`", key, known)
    return dict(section)


def env_settings(config: Any) -> tuple[str, dict[str, Any], str, int | None]:
    """``(env_id, gym.make kwargs, split, scenario limit)`` from the ``env:`` section (``skip``: see
    :func:`env_skip`)."""
    env = _checked(config.env or {}, _ENV_KEYS, "env")
    if "id" not in env:
        raise ConfigError("the grpo config needs `env: {id: ...}` (e.g. coalm/Travel-v0)")
    kwargs = dict(env.get("options") or {})
    if env.get("user") is not None:
        kwargs["user"] = env["user"]
    limit = env.get("scenarios")
    return str(env["id"]), kwargs, str(env.get("split", "train")), None if limit is None else int(limit)


def env_skip(config: Any) -> int:
    """``env.skip``: how many scenarios at the head of the split to leave out (so that RL trains on scenarios
    an SFT run has not memorised); 0 by default."""
    return skip_setting(config.env, "env")


def _parts(config: Any) -> dict[str, Any]:
    """The adapter's trainer arguments: dataset rows, reward function, and the factory or rollout."""
    env_id, kwargs, split, limit = env_settings(config)
    rollout = _checked(config.rollout or {}, _ROLLOUT_KEYS, "rollout")
    adapter = rollout.pop("adapter", "environment_factory")
    if adapter == "environment_factory":
        from coalm_env.train.env_factory import build_environments, env_reward

        if rollout:
            raise ConfigError(f"rollout keys {sorted(rollout)} apply to the rollout_func adapter only",
                              hint="the environment_factory adapter generates with GRPOConfig's knobs")
        rows, factories = build_environments(env_id, kwargs, split=split, limit=limit, skip=env_skip(config))
        return {"rows": rows, "reward": env_reward(config.reward), "environment_factory": factories}
    if adapter == "rollout_func":
        from coalm_env.train.rollout_func import EpisodeRollout, metrics_reward, rollout_rows

        rows = rollout_rows(env_id, kwargs, split=split, limit=limit, skip=env_skip(config))
        func = EpisodeRollout(env_id, {**kwargs, "split": split}, **rollout)
        return {"rows": rows, "reward": metrics_reward(config.reward), "rollout_func": func}
    raise UnknownNameError("GRPO adapter", str(adapter), ADAPTERS)


def build_trainer(config: Any, extra_rewards: list | None = None):
    """The ``GRPOTrainer`` for ``config``; ``extra_rewards`` are appended to the env's reward (tests)."""
    if config.trainer != "grpo":
        raise ConfigError(f"trainer {config.trainer!r} cannot run env episodes in TRL 1.16",
                          hint="RLOOTrainer takes neither environment_factory nor rollout_func; use trainer: grpo")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # both adapters use TRL's experimental hooks
    import datasets
    from trl import GRPOTrainer

    from coalm_env.train.runs import load_model

    parts = _parts(config)
    model, tokenizer = load_model(config)
    tokenizer.padding_side = "left"  # GRPOTrainer requires it
    peft_config = None
    if config.lora is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(**config.lora)
    adapter = {k: parts[k] for k in ("environment_factory", "rollout_func") if k in parts}
    dataset = datasets.Dataset.from_list(parts["rows"]).shuffle(seed=config.seed_data)
    return GRPOTrainer(model=model, reward_funcs=[parts["reward"], *(extra_rewards or [])], args=config.trl_args(),
                       train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config, **adapter)


def run(config: Any) -> dict[str, Any]:
    """Train, save the checkpoint and its outputs (:func:`coalm_env.train.runs.save_outputs`), evaluate
    in the env when ``eval:`` is set; return the metrics. ``config``: a ``TrainConfig`` or a raw mapping."""
    from coalm_env.train.config import from_mapping
    from coalm_env.train.runs import changed_fraction, save_outputs

    if isinstance(config, dict):
        config = from_mapping(config)
    trainer = build_trainer(config)
    before = {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.train()
    extra = {"scenarios": len(trainer.train_dataset), "changed_params": changed_fraction(before, trainer.model),
             "adapter": (config.rollout or {}).get("adapter", "environment_factory")}
    return save_outputs(config, trainer, result, extra)
