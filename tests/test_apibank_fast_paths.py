"""API-Bank's faster paths (issue 16, speed) give exactly what the plain ones gave.

``_said_verbatim`` without a regex per value, the reply metrics with one ROUGE scorer and one BLEU
metric for every reply, and ``score_calls`` not running an agent call again when it equals the gold
call of the same step (same name and arguments, same state).
"""

from __future__ import annotations

import itertools
import re

import pytest

from coalm_env.domains.apibank.domain import _said_verbatim
from coalm_env.domains.apibank.scoring import text_metrics


def _said_verbatim_regex(value, text: str) -> bool:  # the implementation before
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return False
    v = " ".join(str(value).lower().split())
    return len(v) >= 2 and re.search(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])", text.lower()) is not None


def test_said_verbatim_is_the_regex() -> None:
    # every text of up to 5 characters over an alphabet with word, boundary and case-changing characters
    # (\u0130 lowers to two characters), against values that occur at every kind of position
    alphabet = "a1 -\u0130"
    texts = [""]
    for _ in range(5):
        texts += ["".join(p) for p in itertools.product(alphabet, repeat=len(texts[-1]) + 1)]
    texts = sorted(set(texts))
    values = ["a1", "1 a", "a  1", "-a", "aa", "11", "A1", "i\u0307", "\u0130a", 1, 11, 1.5, -1, True, None, ["a1"], "a"]
    for value in values:
        for text in texts:
            assert _said_verbatim(value, text) == _said_verbatim_regex(value, text), (value, text)


def test_said_verbatim_cases() -> None:
    assert _said_verbatim("2021-03-04", "On 2021-03-04 please")
    assert not _said_verbatim("2021-03-04", "On 2021-03-045")
    assert _said_verbatim("John  Smith", "call john smith.")
    assert not _said_verbatim("ab", "xab ab1 cab")
    assert _said_verbatim("ab", "xab ab1 cab ab")
    assert _said_verbatim(12, "12 apples") and not _said_verbatim(12, "123 apples")


def test_text_metrics_with_shared_scorers_equal_fresh_ones() -> None:
    import sacrebleu
    from rouge_score import rouge_scorer

    pairs = [("Your appointment is registered, the ID is 12345678.", "The appointment ID is 12345678."),
             ("", "Nothing to say."), ("Done .", "Done ."), ("a b c d e", "e d c b a"),
             ("The weather in Paris is sunny, 23 degrees.", "It is sunny in Paris today: 23 degrees Celsius.")]
    for _ in range(2):  # the second pass reuses the scorers
        for hyp, ref in pairs:
            fresh = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"]).score(ref, hyp)
            want = {"rouge_1": fresh["rouge1"].fmeasure, "rouge_2": fresh["rouge2"].fmeasure,
                    "rouge_l": fresh["rougeL"].fmeasure, "bleu_4": sacrebleu.sentence_bleu(hyp, [ref]).score / 100.0}
            assert text_metrics([(hyp, ref)]) == want


def test_text_metrics_equal_rouge_score_on_random_replies() -> None:
    import random

    import sacrebleu
    from rouge_score import rouge_scorer

    rng = random.Random(7)
    words = ["the", "The", "id", "is", "12345678", "2023-04-05", "ok,", "Paris", "sunny", "a", "A.", "!", "x_y"]
    fresh = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"])
    for _ in range(400):
        hyp, ref = (" ".join(rng.choice(words) for _ in range(rng.randrange(0, 25))) for _ in range(2))
        want = fresh.score(ref, hyp)
        got = text_metrics([(hyp, ref)])
        assert got["rouge_l"] == want["rougeL"].fmeasure, (hyp, ref)
        assert got["rouge_1"] == want["rouge1"].fmeasure and got["rouge_2"] == want["rouge2"].fmeasure
        assert got["bleu_4"] == sacrebleu.sentence_bleu(hyp, [ref]).score / 100.0


@pytest.mark.data
def test_score_calls_runs_an_agent_call_equal_to_the_gold_call_once(monkeypatch) -> None:
    from conftest import need_data

    need_data("apibank")
    from coalm_env.domains.apibank import scoring, session
    from coalm_env.rollout import RolloutConfig, run_rollouts

    res = run_rollouts(RolloutConfig("coalm/APIBank-v0", "oracle", episodes=12, seed=3), progress=False)
    runs = []
    plain = session.run_on_copy

    def counted(graph, store, view, call, memo=None):
        runs.append(memo is not None and (call.name, repr(call.arguments)) in memo)
        return plain(graph, store, view, call, memo)

    monkeypatch.setattr(scoring, "run_on_copy", counted)
    from coalm_env.domains.apibank.domain import APIBankDomain
    from coalm_env.domains.apibank.resources import base_store

    domain = APIBankDomain(1)
    for traj in res.trajectories:
        scenario = domain.get_scenario(traj.scenario_id)
        calls = scoring.agent_calls(traj)
        fast = scoring.score_calls(domain.api_graph(), base_store(), scenario, calls, aligned=True)
        monkeypatch.setattr(scoring, "run_on_copy", lambda g, s, v, c, memo=None: plain(g, s, v, c))
        slow = scoring.score_calls(domain.api_graph(), base_store(), scenario, calls, aligned=True)
        monkeypatch.setattr(scoring, "run_on_copy", counted)
        assert fast == slow and all(fast)
    assert any(runs)  # some agent calls were read from the memo
