"""What every training run shares: its data, its outputs next to the checkpoint, and its env evaluation.

Outputs in ``output_dir``: ``resolved_config.json`` (our keys and TRL's full config), ``metrics.json``
(TRL's log history and the train metrics), ``eval.json`` (success on a held-out split with a bootstrap
95% CI, per-episode outcomes for paired comparisons) and the checkpoint itself.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError

__all__ = ["sft_rows", "write_json", "evaluate", "save_outputs", "load_model", "changed_fraction"]


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def _rows_of(source: str, export_opts: dict[str, Any]) -> list[dict[str, Any]]:
    from coalm_env.train import data, export

    path = Path(source)
    if path.is_dir() and (path / "trajectories.jsonl").exists() or path.name == "trajectories.jsonl":
        rows, _ = export.export(export.load_trajectories(path), "coalm-it", **export_opts)
        return rows
    return list(data.load_coalm_it(source))


def sft_rows(config: Any) -> list[dict[str, Any]]:
    """CoALM-IT rows from every ``data`` source (run dirs are exported with ``export`` options)."""
    if not config.data:
        raise ConfigError("the config needs `data:` (run dirs, CoALM-IT files or hub ids)")
    rows = [r for src in config.data for r in _rows_of(str(src), config.export)]
    if not rows:
        raise ConfigError(f"no training samples in {config.data}", hint="export successful train-split rollouts")
    return rows


def load_model(config: Any):
    """``(model, tokenizer)`` for ``config.model`` / ``config.tokenizer``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(config.tokenizer or config.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return AutoModelForCausalLM.from_pretrained(config.model), tokenizer


def changed_fraction(before: dict[str, Any], model: Any) -> float:
    """The fraction of parameter tensors that differ from ``before`` (a state-dict copy)."""
    after = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    keys = [k for k in before if k in after and before[k].shape == after[k].shape]
    return sum(not bool((before[k] == after[k]).all()) for k in keys) / max(len(keys), 1)


def evaluate(model_dir: str | Path, spec: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Roll the trained model out on a held-out split and score it (success with a bootstrap 95% CI).

    ``spec``: ``env_id``, ``split`` (default ``test``), ``episodes``, ``user``, ``seed``, ``batch_size``,
    ``env_options``, and ``policy`` (a spec with ``{model}`` for the checkpoint, default ``react:hf:{model}``).
    """
    from coalm_env.rollout import RolloutConfig, run_rollouts
    from coalm_env.stats.estimators import bootstrap_mean

    spec = dict(spec)
    policy = str(spec.pop("policy", "react:hf:{model}")).replace("{model}", str(model_dir))
    if spec.get("split", "test") == "train":
        raise ConfigError("the env evaluation must use a held-out split, not train")
    t0 = time.perf_counter()
    result = run_rollouts(RolloutConfig(env_id=spec.pop("env_id"), policy=policy, user=spec.pop("user", None),
                                        episodes=int(spec.pop("episodes", 20)), seed=int(spec.pop("seed", 0)),
                                        split=spec.pop("split", "test"), batch_size=int(spec.pop("batch_size", 16)),
                                        env_options=spec.pop("env_options", {}), out_dir=str(out_dir / "eval")),
                          progress=False)
    if spec:
        raise ConfigError(f"unknown eval keys {sorted(spec)}", hint="env_id, split, episodes, user, seed, "
                                                                    "batch_size, env_options, policy")
    outcomes = [{"scenario_id": t.scenario_id, "success": float(t.metrics.get("success", t.reward)),
                 "stop_reason": t.stop_reason.value if t.stop_reason else None} for t in result.trajectories]
    ci = bootstrap_mean([o["success"] for o in outcomes])
    report = {"policy": policy, "success": ci.to_dict(), "summary": result.summary, "episodes": outcomes,
              "wall_s": time.perf_counter() - t0}
    write_json(out_dir / "eval.json", report)
    return report


def save_outputs(config: Any, trainer: Any, train_result: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """Write the checkpoint, ``resolved_config.json`` and ``metrics.json``; run the eval if configured."""
    out = config.output_dir
    trainer.save_model(str(out))
    trainer.processing_class.save_pretrained(str(out))
    model_dir = out
    if config.lora is not None:  # the env evaluation loads a plain model: merge the adapter
        merged = trainer.model.merge_and_unload()
        model_dir = out / "merged"
        merged.save_pretrained(str(model_dir))
        trainer.processing_class.save_pretrained(str(model_dir))
    write_json(out / "resolved_config.json", {**config.to_dict(), "trl_resolved": trainer.args.to_dict()})
    metrics = {"train": train_result.metrics, "log_history": trainer.state.log_history, **extra}
    write_json(out / "metrics.json", metrics)
    if config.eval:
        metrics["eval"] = evaluate(model_dir, config.eval, out)["success"]
    return metrics
