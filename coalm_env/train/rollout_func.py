"""GRPO adapter (b): TRL's ``rollout_func``, whole multi-turn episodes with the user simulator.

``GRPOTrainer(rollout_func=EpisodeRollout(...))`` hands the callable each generation round's prompts
(already repeated ``num_generations`` times) and the trainer. Each prompt is a scenario id
(:func:`rollout_rows`); :class:`EpisodeRollout` plays one episode per prompt, lock-step over the batch,
with an LLM policy (``chat`` or ``react``) whose generator is the trainer's *current* model
(:class:`TrainerGenerator`), so what is trained on is what was sampled: each agent step's prompt ids,
completion ids and logprobs come from ``StepRecord.extra``.

An episode becomes one sequence (:func:`splice`): the first step's prompt, then each step's sampled
completion (``env_mask`` 1) followed by the tokens the env added before the next step -- tool results,
the user's turn, the template's turn markers (``env_mask`` 0, logprob 0). When the next prompt extends
the last one (a prefix-preserving chat template), the re-rendered agent turn is skipped, since the
sampled tokens stand for it; where it does not (``react`` re-renders the whole history in one user
message), the tokens after the longest common prefix are taken, and the step is counted as inexact
(``rollout/exact_context``): the trainer then scores the completion in a slightly different context than
the one it was sampled in.

``mode="branch"`` trains on exact contexts instead (per-step GRPO): each group of ``num_generations``
rows of one scenario plays that scenario once greedily (temperature 0), draws a branch step ``k`` among
its agent steps (seeded), rebuilds the state before step ``k`` in each of the group's envs by replaying
the greedy actions on the same reset seed (the env is deterministic; ``rollout/exact_context`` checks that
the rebuilt prompt equals the greedy one), samples the group's ``num_generations`` completions at step
``k`` at the trainer's temperature, and finishes each branch greedily. A row is then that step's own
prompt ids and sampled completion (the context it was sampled in, exactly), and its reward is the
episode's: the group shares the prefix and the user's draws, so the group baseline isolates the effect
of the step-``k`` choice on a greedy episode, which is what the greedy evaluation measures. Groups whose
branches all end alike carry no advantage (``rollout/informative_groups`` logs their share).

The reward (:func:`metrics_reward`) is :func:`coalm_env.train.reward.episode_reward` of each episode's
metrics, forwarded to reward functions as the ``coalm_metrics`` column.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from coalm_env.errors import ConfigError
from coalm_env.llm.base import SamplingParams
from coalm_env.llm.hf import HFGenerator
from coalm_env.train.reward import check_weights, episode_reward

__all__ = ["TrainerGenerator", "EpisodeRollout", "splice", "rollout_rows", "metrics_reward"]


class TrainerGenerator(HFGenerator):
    """The ``hf`` backend on an already loaded model and tokenizer (the trainer's, updated in place)."""

    def __init__(self, model: Any, tokenizer: Any, params: SamplingParams | None = None, name: str = "trainer"):
        import torch
        import transformers

        self.model, self.params = name, params or SamplingParams()
        self._torch, self._transformers = torch, transformers
        self.hf_model, self.tokenizer = model, tokenizer
        self.device = str(next(model.parameters()).device)
        self.chat_template_kwargs = {}
        self.eos_ids = self._eos_ids()


def _lcp(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    return next((i for i in range(n) if a[i] != b[i]), n)


def _env_tokens(prompt: list[int], prev_prompt: list[int], prev_completion: list[int],
                eos_ids: set[int]) -> tuple[list[int], bool]:
    """The tokens the env added between two agent steps, and whether the context was exact."""
    j = _lcp(prompt, prev_prompt)
    if j < len(prev_prompt):  # the template re-rendered the history: take what follows the common part
        return prompt[j:], False
    exact = prompt[j:j + len(prev_completion)] == prev_completion
    end = next((k + 1 for k in range(j, len(prompt)) if prompt[k] in eos_ids), j)  # skip the agent turn
    return prompt[end:], exact


def splice(steps: Sequence[Mapping[str, Any]], eos_ids: set[int]) -> dict[str, Any]:
    """One episode's sequence from its agent steps' generation records (``prompt_ids``, ``token_ids``,
    ``logprobs``): ``prompt_ids``, ``completion_ids``, ``logprobs``, ``env_mask``, ``exact`` (the share
    of steps after the first whose sampled context equals the spliced one)."""
    prompt = list(steps[0]["prompt_ids"])
    out: dict[str, Any] = {"prompt_ids": prompt, "completion_ids": [], "logprobs": [], "env_mask": []}
    exact = []
    for k, step in enumerate(steps):
        if k:
            prev = steps[k - 1]
            extra, same = _env_tokens(list(step["prompt_ids"]), list(prev["prompt_ids"]), list(prev["token_ids"]),
                                      eos_ids)
            exact.append(same)
            _extend(out, extra, [0.0] * len(extra), 0)
        _extend(out, list(step["token_ids"]), [float(x) for x in step["logprobs"]], 1)
    out["exact"] = float(np.mean(exact)) if exact else 1.0
    return out


def _extend(out: dict[str, Any], ids: list[int], logprobs: list[float], mask: int) -> None:
    out["completion_ids"] += ids
    out["logprobs"] += logprobs
    out["env_mask"] += [mask] * len(ids)


def _truncate(seq: dict[str, Any], limit: int | None) -> dict[str, Any]:
    if limit is not None:
        for key in ("completion_ids", "logprobs", "env_mask"):
            seq[key] = seq[key][:limit]
    return seq


def rollout_rows(env_id: str, env_kwargs: Mapping[str, Any] | None = None, *, split: str = "train",
                 limit: int | None = None, skip: int = 0) -> list[dict[str, str]]:
    """Dataset rows for the ``rollout_func`` adapter: ``{"prompt": scenario_id}`` for the first ``limit``
    scenarios of ``split`` after its first ``skip`` (TRL gives ``rollout_func`` only the prompts, so the prompt is the key)."""
    import gymnasium as gym

    import coalm_env  # noqa: F401

    kwargs = {k: v for k, v in dict(env_kwargs or {}).items() if k != "split"}
    domain = gym.make(env_id, **kwargs).unwrapped.domain
    rows = [{"prompt": s.id} for s in domain.scenarios(split)[skip:][:limit]]
    if not rows:
        raise ConfigError(f"{env_id} has no scenarios in split {split!r}" + (f" after the first {skip}" if skip else ""))
    return rows


class EpisodeRollout:
    """A ``rollout_func`` playing whole episodes (see the module docstring).

    Args:
        env_id: a registered id (``coalm/Travel-v0``).
        env_kwargs: ``gym.make`` options (``user="agenda"``, ``split``, ``max_turns``...).
        policy: ``"chat"`` (chat-template tool calling) or ``"react"`` (the CoALM-IT layout).
        max_tokens: most tokens per agent step (default: the trainer's ``max_completion_length``).
        max_episode_tokens: cap on an episode's spliced completion (``None``: no cap).
        seed: root of the episodes' reset seeds (each call draws fresh ones; the generations of one
            prompt face different users' draws and sample with different seeds).
        policy_options: the policy's own options (``react``: ``compact``, ``history``, ``results``,
            ``preamble``), so RL samples with the prompt layout the model was fine-tuned on.
        mode: ``"episode"`` (one spliced sequence per episode) or ``"branch"`` (one exact agent step per
            row, branched from a greedy episode; see the module docstring).
        branch_step: how branch mode draws its step among the greedy episode's generated ones:
            ``"uniform"``, or ``"uncertain"``: with probability proportional to ``1 - p_min``, ``p_min`` the
            step's least likely greedy token (its exp logprob), so that groups branch where the policy hesitated,
            where samples most often differ (a step with every token near-certain is rarely drawn).
    """

    MODES = ("episode", "branch")
    BRANCH_STEPS = ("uniform", "uncertain")

    def __init__(self, env_id: str, env_kwargs: Mapping[str, Any] | None = None, *, policy: str = "chat",
                 max_tokens: int | None = None, max_episode_tokens: int | None = None, seed: int = 0,
                 policy_options: Mapping[str, Any] | None = None, mode: str = "episode",
                 branch_step: str = "uniform"):
        if mode not in self.MODES:
            raise ConfigError(f"rollout mode must be one of {', '.join(self.MODES)}, got {mode!r}")
        if branch_step not in self.BRANCH_STEPS:
            raise ConfigError(f"rollout branch_step must be one of {', '.join(self.BRANCH_STEPS)}, got {branch_step!r}")
        if branch_step != "uniform" and mode != "branch":
            raise ConfigError(f"rollout branch_step={branch_step!r} applies to mode: branch only (mode is {mode!r})")
        self.mode, self.branch_step = mode, branch_step
        if policy not in ("chat", "react"):
            raise ConfigError(f"rollout policy must be 'chat' or 'react', got {policy!r}")
        self.policy_options = {str(k): v for k, v in dict(policy_options or {}).items()}
        if "seed" in self.policy_options:
            raise ConfigError("set the rollout seed with `rollout: {seed: N}`, not in policy_options")
        from coalm_env.registry import POLICIES

        POLICIES.resolve(policy)(None, **self.policy_options)  # unknown options fail here, not mid-training
        self.env_id, self.env_kwargs = env_id, dict(env_kwargs or {})
        self.policy_name, self.max_tokens, self.max_episode_tokens = policy, max_tokens, max_episode_tokens
        self.seed = int(seed)
        self._counter = itertools.count()
        self._envs: list[Any] = []

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, list]:
        model = trainer.accelerator.unwrap_model(trainer.model)
        was_training = model.training
        model.eval()
        try:
            if self.mode == "branch":
                return self._branch_batch([str(p) for p in prompts], model, trainer)
            trajectories = self.play([str(p) for p in prompts], self._policy(model, trainer))
        finally:
            model.train(was_training)
        return self._batch(trajectories, trainer)

    def _policy(self, model: Any, trainer: Any, greedy: bool = False) -> Any:
        from coalm_env.registry import POLICIES

        args = trainer.args
        params = SamplingParams(temperature=0.0 if greedy else float(args.temperature), top_p=float(args.top_p),
                                max_tokens=int(self.max_tokens or args.max_completion_length))
        generator = TrainerGenerator(model, trainer.processing_class, params)
        return POLICIES.resolve(self.policy_name)(generator, seed=self.seed, **self.policy_options)

    def _env(self, i: int) -> Any:
        import gymnasium as gym

        import coalm_env  # noqa: F401

        while len(self._envs) <= i:  # built once, reset per episode
            self._envs.append(gym.make(self.env_id, **self.env_kwargs).unwrapped)
        return self._envs[i]

    def _reset_seed(self) -> int:
        return int(np.random.SeedSequence([self.seed, next(self._counter)]).generate_state(1)[0])

    def play(self, scenario_ids: Sequence[str], policy: Any, seeds: Sequence[int] | None = None) -> list[Any]:
        """One episode per scenario id, lock-step (one batched ``act`` per round), on ``seeds`` (default: fresh
        reset seeds); the trajectories."""
        envs = [self._env(i) for i in range(len(scenario_ids))]
        obs, infos = [], []
        for k, (env, sid) in enumerate(zip(envs, scenario_ids)):
            o, info = env.reset(seed=self._reset_seed() if seeds is None else seeds[k], options={"scenario_id": sid})
            obs.append(o)
            infos.append(info)
        self._finish(envs, obs, infos, policy)
        return [env.trajectory for env in envs]

    @staticmethod
    def _finish(envs: Sequence[Any], obs: list[Any], infos: list[Any], policy: Any) -> None:
        """Step every env with ``policy`` (lock-step, one batched ``act`` per round) until all have ended."""
        active = [i for i, env in enumerate(envs) if env.trajectory.stop_reason is None]
        while active:
            actions = policy.act([obs[i] for i in active], [infos[i] for i in active])
            for i, action in zip(active, actions):
                obs[i], _, terminated, truncated, infos[i] = envs[i].step(action)
            active = [i for i in active if envs[i].trajectory.stop_reason is None]

    # -- branch mode ---------------------------------------------------------------------------
    def _branch_batch(self, prompts: list[str], model: Any, trainer: Any) -> dict[str, list]:
        """Rows of exact agent steps branched from greedy episodes (module docstring, ``mode="branch"``)."""
        size = int(getattr(trainer, "num_generations", 0) or trainer.args.num_generations)
        if len(prompts) % size or any(len(set(prompts[g:g + size])) != 1 for g in range(0, len(prompts), size)):
            raise ConfigError("branch mode needs each scenario's num_generations rows side by side (GRPO's layout)")
        groups = [prompts[g] for g in range(0, len(prompts), size)]
        greedy, sampler = self._policy(model, trainer, greedy=True), self._policy(model, trainer)
        # 1. one greedy episode per group, on the seed its branches will share
        seeds = [self._reset_seed() for _ in groups]
        played = [list(t.steps) for t in self.play(groups, greedy, seeds)]
        envs = self._envs[:len(groups)]
        # 2. the branch step of each group: one of the greedy episode's generated agent steps
        rng = np.random.default_rng([self.seed, next(self._counter)])
        branch = [self._draw_step(steps, rng) for steps in played]
        self.last_branch = branch  # the branch step (step index) of each group of the last call: diagnostics
        # 3. rebuild the state before the branch step in each branch's env (same seed, the greedy actions)
        rows = [(g, b) for g in range(len(groups)) for b in range(size)]
        benvs = [self._env(len(groups) + r) for r in range(len(rows))]
        bobs: list[Any] = [None] * len(rows)
        binfos: list[Any] = [None] * len(rows)
        for r, (g, b) in enumerate(rows):
            bobs[r], binfos[r] = benvs[r].reset(seed=seeds[g], options={"scenario_id": groups[g]})
            for step in played[g][:branch[g] or 0]:
                bobs[r], _, _, _, binfos[r] = benvs[r].step(step.action)
        live = [r for r, (g, _) in enumerate(rows) if branch[g] is not None
                and benvs[r].trajectory.stop_reason is None]
        # 4. the group's samples at the branch step: distinct sampling seeds per branch
        infos_k = [{**binfos[r], "episode": int(self._reset_seed() % 2**31)} for r in live]
        sampled = dict(zip(live, sampler.act([bobs[r] for r in live], infos_k)))
        exact = []
        for r, action in sampled.items():
            g = rows[r][0]
            exact.append(list(action.extra.get("prompt_ids") or []) ==
                         list(played[g][branch[g]].extra.get("prompt_ids") or []))
            bobs[r], _, _, _, binfos[r] = benvs[r].step(action)
        # 5. each branch finishes greedily; its reward is its episode's
        self._finish([benvs[r] for r in live], [bobs[r] for r in live], [binfos[r] for r in live], greedy)
        tokenizer = trainer.processing_class
        out: dict[str, list] = {"prompt_ids": [], "completion_ids": [], "logprobs": [], "env_mask": [],
                                "coalm_metrics": []}
        for r in range(len(rows)):
            if r in sampled and sampled[r].extra.get("token_ids") is not None:
                rec = sampled[r].extra
                seq = {"prompt_ids": list(rec["prompt_ids"]), "completion_ids": list(rec["token_ids"]),
                       "logprobs": [float(x) for x in rec["logprobs"]], "env_mask": [1] * len(rec["token_ids"])}
                metrics = dict(benvs[r].trajectory.metrics)
            else:  # the user ended the greedy episode before any agent step: nothing to learn from
                seq = _empty(tokenizer)
                seq.pop("exact")
                metrics = dict(envs[rows[r][0]].trajectory.metrics)
            for key, value in seq.items():
                out[key].append(value)
            out["coalm_metrics"].append(metrics)
        _log(trainer, "rollout/exact_context", float(np.mean(exact)) if exact else 1.0)
        outcomes = [[out["coalm_metrics"][g * size + b].get("success", 0.0) for b in range(size)]
                    for g in range(len(groups))]
        _log(trainer, "rollout/informative_groups", float(np.mean([len(set(o)) > 1 for o in outcomes])))
        _log(trainer, "rollout/greedy_success", float(np.mean([e.trajectory.metrics.get("success", 0.0)
                                                                for e in envs])))
        return out

    def _draw_step(self, steps: Sequence[Any], rng: np.random.Generator) -> int | None:
        """The branch step of one greedy episode (``branch_step``), or ``None`` when it generated none."""
        generated = [j for j, s in enumerate(steps) if s.extra.get("token_ids") is not None]
        if not generated:
            return None
        if self.branch_step == "uncertain":
            w = np.array([1.0 - float(np.exp(min(steps[j].extra.get("logprobs") or [0.0]))) for j in generated])
            if w.sum() > 0:  # (every step certain: uniform)
                return int(generated[rng.choice(len(generated), p=w / w.sum())])
        return int(generated[rng.integers(len(generated))])

    def _batch(self, trajectories: Sequence[Any], trainer: Any) -> dict[str, list]:
        tokenizer = trainer.processing_class
        eos = set(getattr(trainer, "eos_token_ids", None) or [tokenizer.eos_token_id])
        out: dict[str, list] = {"prompt_ids": [], "completion_ids": [], "logprobs": [], "env_mask": [],
                                "coalm_metrics": []}
        exact = []
        for traj in trajectories:
            steps = [s.extra for s in traj.steps if s.extra.get("token_ids") is not None]
            seq = splice(steps, eos) if steps else _empty(tokenizer)
            exact.append(seq.pop("exact"))
            for key, value in _truncate(seq, self.max_episode_tokens).items():
                out[key].append(value)
            out["coalm_metrics"].append(dict(traj.metrics))
        _log(trainer, "rollout/exact_context", float(np.mean(exact)))
        return out


def _empty(tokenizer: Any) -> dict[str, Any]:
    """An episode without agent steps (the user ended it first): one masked end-of-turn token."""
    eos = tokenizer.eos_token_id
    return {"prompt_ids": [eos], "completion_ids": [eos], "logprobs": [0.0], "env_mask": [0], "exact": 1.0}


def _log(trainer: Any, name: str, value: float) -> None:
    metrics = getattr(trainer, "_metrics", None)
    if isinstance(metrics, dict) and "train" in metrics:
        metrics["train"][name].append(value)


def metrics_reward(weights: Mapping[str, float] | None = None) -> Callable[..., list[float]]:
    """The reward function for the ``rollout_func`` adapter (reads the forwarded ``coalm_metrics``)."""
    weights = check_weights(weights)

    def coalm_episode(completions, coalm_metrics=None, log_metric=None, **_: Any) -> list[float]:
        if log_metric is not None:
            for name in weights:
                log_metric(f"env/{name}", float(np.mean([m.get(name, 0.0) for m in coalm_metrics])))
        return [episode_reward(m, weights) for m in coalm_metrics]

    return coalm_episode
