"""The paraphrasing oracle and user (experiments/paraphrase): deterministic for a seed, calls unchanged."""

from __future__ import annotations

from coalm_env.rollout import RolloutConfig, run_rollouts
from experiments.paraphrase.oracle import ParaphraseOracle
from experiments.paraphrase.user import ParaphraseUser


def _texts(policy, user, seed):
    res = run_rollouts(RolloutConfig("coalm/Travel-v0", policy, user=user, episodes=6, split="test", seed=seed,
                                     batch_size=3), progress=False)
    return [[(m.role, m.content, [c.name for c in m.tool_calls or ()]) for m in t.messages] for t in res.trajectories]


def test_paraphrase_oracle_deterministic_for_a_seed():
    a = _texts(ParaphraseOracle(templates=None), "agenda", 3)
    b = _texts(ParaphraseOracle(templates=None), "agenda", 3)
    assert a == b
    plain = _texts("oracle", "agenda", 3)
    replies = lambda ts: [c for t in ts for r, c, calls in t if r == "assistant" and not calls]  # noqa: E731
    assert replies(a) != replies(plain)  # it does rewrite


def test_paraphrase_oracle_keeps_calls():
    para, plain = _texts(ParaphraseOracle(templates=None), "agenda", 5), _texts("oracle", "agenda", 5)
    first_calls = lambda t: [(c, calls) for r, c, calls in t if calls][:1]  # noqa: E731
    assert [first_calls(t) for t in para] == [first_calls(t) for t in plain]


def test_paraphrase_user_deterministic_and_keeps_acts():
    a = _texts("oracle", ParaphraseUser(), 1)
    b = _texts("oracle", ParaphraseUser(), 1)
    assert a == b
