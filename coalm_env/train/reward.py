"""The training reward of one episode: the env's task success plus optional dense terms.

``weights`` maps metric names to weights: ``success`` (default 1.0) and any of the dense terms the env
puts in ``info["reward_components"]`` (``graph_credit``, ``parse_errors``, ``tool_errors``,
``tool_calls``, ``turns``, ``steps``; :func:`coalm_env.scoring.dense_components`). Both GRPO adapters
(:mod:`coalm_env.train.env_factory`, :mod:`coalm_env.train.rollout_func`) score with this one rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from coalm_env.errors import UnknownNameError

__all__ = ["REWARD_TERMS", "check_weights", "episode_reward"]

#: the names a weight may be given for
REWARD_TERMS = ("success", "graph_credit", "parse_errors", "tool_errors", "tool_calls", "turns", "steps")


def check_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """``weights`` with ``success`` defaulting to 1.0; unknown names are rejected with a suggestion."""
    weights = dict(weights or {})
    for name in weights:
        if name not in REWARD_TERMS:
            raise UnknownNameError("reward term", name, REWARD_TERMS)
    weights.setdefault("success", 1.0)
    return {k: float(v) for k, v in weights.items()}


def episode_reward(metrics: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """``sum(weights[k] * metrics[k])`` over the weighted terms (a missing metric counts 0)."""
    return float(sum(w * float(metrics.get(k, 0.0)) for k, w in weights.items()))
