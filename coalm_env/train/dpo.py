"""DPO through TRL's ``DPOTrainer`` on preference pairs mined from env rollouts.

Mining (:func:`mine_pairs`): rollouts grouped by scenario; for a successful and a failed episode of the
same scenario, the longest common message prefix is the shared context; when both continue it with an
assistant message, the successful one is ``chosen`` and the failed one ``rejected``, with the CRA prompt
of the shared prefix (the one renderer) as the prompt. The rollouts come from ``mining.runs`` (run dirs)
or are played here with ``mining.policy`` (e.g. ``react:hf:{model},temperature=1.0``) on
``mining.split`` (a training split), ``mining.scenarios`` scenarios (after the first ``mining.skip``, e.g. those the
SFT data came from) x ``mining.samples`` episodes each: one pass
per sample over the same scenarios with the same episode (user) seeds, the policy's sampling seed set per pass, so
the samples of a scenario face the same user until the policy's choices differ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from coalm_env.errors import CoalmError, ConfigError
from coalm_env.render_coalm import completion_text, react_prompt
from coalm_env.types import Trajectory
from coalm_env.train.config import TrainConfig, skip_setting
from coalm_env.train.runs import changed_fraction, load_model, save_outputs, write_json

__all__ = ["mine_pairs", "rollouts_for_mining", "run"]


def _common_prefix(a: Trajectory, b: Trajectory) -> int:
    n = 0
    for x, y in zip(a.messages, b.messages):
        if x.to_dict() != y.to_dict():
            break
        n += 1
    return n


def _success(t: Trajectory) -> bool:
    return float(t.metrics.get("success", t.reward)) >= 1


def _pair(good: Trajectory, bad: Trajectory, tools: list[dict], opts: dict[str, Any]) -> dict[str, Any] | None:
    k = _common_prefix(good, bad)
    if k >= min(len(good.messages), len(bad.messages)):
        return None
    chosen, rejected = good.messages[k], bad.messages[k]
    if chosen.role != "assistant" or rejected.role != "assistant":
        return None  # the episodes diverged at a user or tool turn: no shared context for one choice
    prompt = react_prompt(good.messages[:k], tools, **opts)
    return {"prompt": [{"role": "user", "content": prompt}],
            "chosen": [{"role": "assistant", "content": completion_text(chosen)}],
            "rejected": [{"role": "assistant", "content": completion_text(rejected)}],
            "scenario_id": good.scenario_id}


def mine_pairs(trajectories: Iterable[Trajectory], *, compact: bool = False, history: int | None = None,
               results: int | None = None, preamble: bool = True,
               allow_splits: Iterable[str] = ("train",), max_pairs_per_scenario: int = 4) -> list[dict[str, Any]]:
    """Preference pairs (TRL's conversational preference format) from success/failure episodes of a scenario."""
    from coalm_env.train.export import scenario_tools

    allow, groups = set(allow_splits), defaultdict(list)
    for t in trajectories:
        if t.split not in allow:
            raise ConfigError(f"mining rollouts from split {t.split!r}", hint="mine pairs on training splits only")
        if t.stop_reason is None or t.stop_reason.value != "errored":
            groups[t.scenario_id].append(t)
    pairs, seen = [], set()
    for group in groups.values():
        goods, bads = [t for t in group if _success(t)], [t for t in group if not _success(t)]
        found = 0
        for g in goods:
            for b in bads:
                p = _pair(g, b, scenario_tools(g), {"compact": compact, "history": history, "results": results,
                                                    "preamble": preamble})
                key = None if p is None else (p["prompt"][0]["content"], p["chosen"][0]["content"],
                                              p["rejected"][0]["content"])
                if p is None or key in seen or found >= max_pairs_per_scenario:
                    continue
                seen.add(key)
                pairs.append(p)
                found += 1
    return pairs


def rollouts_for_mining(config: TrainConfig) -> list[Trajectory]:
    """The mining rollouts: ``mining.runs`` as they are, or played now with ``mining.policy``."""
    from coalm_env.rollout import RolloutConfig, run_rollouts
    from coalm_env.train.export import load_trajectories

    m = dict(config.mining)
    if m.get("runs"):
        return load_trajectories(m["runs"])
    if "policy" not in m or "env_id" not in m:
        raise ConfigError("DPO needs `mining: {runs: [...]}` or `mining: {env_id, policy, ...}`")
    from coalm_env.resolve import domain_for

    split = m.get("split", "train")
    env_options = dict(m.get("env_options") or {})
    from coalm_env.rollout import split_ids

    skip = skip_setting(m, "mining")
    scenarios = split_ids(domain_for(m["env_id"], **env_options), split)[skip:][: int(m.get("scenarios", 16))]
    if not scenarios:
        raise ConfigError(f"mining: {m['env_id']} has no {split!r} scenarios after the first {skip}")
    samples = int(m.get("samples", 4))
    policy = str(m["policy"]).replace("{model}", config.model)
    out: list[Trajectory] = []
    for k in range(samples):  # the same env/user seeds each pass; only the policy's sampling seed changes
        rc = RolloutConfig(env_id=m["env_id"], policy=_with_sampling_seed(policy, k), user=m.get("user"),
                           split=split, scenario_ids=scenarios, episodes=len(scenarios), seed=int(m.get("seed", 0)),
                           batch_size=int(m.get("batch_size", 16)), env_options=env_options,
                           out_dir=str(config.output_dir / "mining" / f"sample-{k}"))
        out += run_rollouts(rc, progress=False).trajectories
    return out


def _with_sampling_seed(policy: str, k: int) -> str:
    """``policy`` with its own ``seed`` option set to ``k`` (LLM policies: ``react``/``chat``, whose sampling
    seed is per episode and step), so that the ``samples`` passes over the same scenarios meet the same users
    (same episode seeds) and differ only in what the policy samples: their trajectories then share a prefix up
    to the first agent turn where the samples differ, which is where a preference pair comes from. Other
    policies are returned unchanged."""
    from coalm_env.registry import POLICIES

    name, sep, rest = policy.partition(":")
    try:
        factory = POLICIES.resolve(name.strip())
    except CoalmError:  # an unknown name fails with its own message when the rollout starts
        return policy
    if "seed" not in getattr(factory, "own_options", ()):
        return policy
    if "seed=" in rest:
        raise ConfigError(f"mining policy {policy!r} sets its own seed",
                          hint="leave the seed out: mining sets it per sample pass (mining.seed seeds the users)")
    return f"{policy},seed={k}" if sep else f"{policy}:seed={k}"


def run(config: TrainConfig) -> dict[str, Any]:
    """Mine pairs, train with ``DPOTrainer``, save the checkpoint and outputs, evaluate; return the metrics."""
    import datasets
    from trl import DPOTrainer

    trajectories = rollouts_for_mining(config)
    opts = {k: config.export[k] for k in ("compact", "history", "results", "preamble") if k in config.export}
    pairs = mine_pairs(trajectories, **opts)
    write_json(Path(config.output_dir) / "pairs_summary.json",
               {"rollouts": len(trajectories), "pairs": len(pairs),
                "rollout_success": sum(map(_success, trajectories)) / max(len(trajectories), 1)})
    if not pairs:
        raise ConfigError(f"no preference pairs in {len(trajectories)} rollouts",
                          hint="sample more per scenario at temperature > 0 (needs successes and failures)")
    model, tokenizer = load_model(config)
    peft_config = None
    if config.lora is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(**config.lora)
    ds = datasets.Dataset.from_list([{k: p[k] for k in ("prompt", "chosen", "rejected")} for p in pairs])
    trainer = DPOTrainer(model=model, args=config.trl_args(), train_dataset=ds, processing_class=tokenizer,
                         peft_config=peft_config)
    before = {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.train()
    extra = {"pairs": len(pairs), "rollouts": len(trajectories), "changed_params": changed_fraction(before, trainer.model)}
    return save_outputs(config, trainer, result, extra)
