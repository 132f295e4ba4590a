"""The ``hf`` backend on the session's tiny local model: batching, seeds, stop strings, tools, cache."""

from __future__ import annotations

import pytest

from coalm_env.llm import SamplingParams, make_generator
from llm_fixtures import tiny_model_dir  # noqa: F401 - a fixture

pytestmark = pytest.mark.train

PROMPTS = [
    [{"role": "user", "content": "I need a hotel in the north with free parking."}],
    [{"role": "user", "content": "hi"}],
    [{"role": "system", "content": "Be brief."},
     {"role": "user", "content": "Book a taxi from the hotel to the museum at 17:00, please."}],
    [{"role": "user", "content": "find me a train"},
     {"role": "assistant", "content": "", "tool_calls": [
         {"id": "c1", "type": "function", "function": {"name": "find_train", "arguments": {"day": "monday"}}}]},
     {"role": "tool", "tool_call_id": "c1", "name": "find_train", "content": "[]"}],
]
TOOLS = [{"type": "function", "function": {"name": "find_train", "description": "Search trains.",
                                           "parameters": {"type": "object", "properties": {"day": {"type": "string"}}}}}]


@pytest.fixture(scope="module")
def gen(tiny_model_dir):  # noqa: F811
    return make_generator(f"hf:{tiny_model_dir},max_tokens=12", device="cpu")


def test_batched_equals_one_by_one_under_greedy(gen) -> None:
    batch = gen.generate(PROMPTS, tools=TOOLS)
    single = [gen.generate([p], tools=TOOLS)[0] for p in PROMPTS]
    assert len({len(g.prompt_ids) for g in batch}) > 1  # the batch really was left-padded
    for b, s in zip(batch, single):
        assert b.token_ids == s.token_ids and b.text == s.text
        assert b.logprobs == pytest.approx(s.logprobs, abs=1e-4)


def test_results_carry_ids_logprobs_and_counts(gen) -> None:
    for g in gen.generate(PROMPTS[:2]):
        assert g.completion_tokens == len(g.token_ids) == len(g.logprobs) > 0
        assert g.prompt_tokens == len(g.prompt_ids) > 0
        assert all(lp <= 0 for lp in g.logprobs)
        assert g.finish_reason in ("stop", "length") and g.latency_s > 0 and not g.cached


def test_seeded_sampling_is_reproducible_and_independent_of_the_batch(gen) -> None:
    params = SamplingParams(temperature=1.0, top_p=0.9, max_tokens=12)
    first = gen.generate(PROMPTS, params=params, seeds=[1, 2, 3, 4])
    again = gen.generate(PROMPTS[::-1], params=params, seeds=[4, 3, 2, 1])[::-1]
    alone = gen.generate([PROMPTS[2]], params=params, seeds=[3])[0]
    assert [g.token_ids for g in first] == [g.token_ids for g in again]
    assert alone.token_ids == first[2].token_ids
    other = gen.generate([PROMPTS[2]], params=params, seeds=[99])[0]
    assert other.token_ids != alone.token_ids


def test_stop_strings_end_the_text_before_the_stop(gen) -> None:
    full = gen.generate([PROMPTS[0]])[0].text
    stop = full[4:7]
    assert stop.strip()  # a stop string the greedy completion really contains
    cut = gen.generate([PROMPTS[0]], params=SamplingParams(max_tokens=12, stop=(stop,)))[0]
    assert cut.text == full[:full.find(stop)]
    assert cut.finish_reason == "stop" and cut.completion_tokens <= 12


def test_tools_reach_the_chat_template(gen) -> None:
    with_tools = gen.render(PROMPTS[3], TOOLS)
    assert "# Tools" in with_tools and '"name": "find_train"' in with_tools
    assert '<tool_call>\n{"name": "find_train", "arguments": {"day": "monday"}}' in with_tools
    assert "<tool_response>\n[]\n</tool_response>" in with_tools
    assert "# Tools" not in gen.render(PROMPTS[3])
    g = gen.generate([PROMPTS[3]], tools=TOOLS)[0]
    assert gen.tokenizer.decode(g.prompt_ids) == with_tools


def test_tool_calls_are_read_by_the_one_parser(gen, monkeypatch) -> None:
    text = '<tool_call>\n{"name": "find_train", "arguments": {"day": "friday"}}\n</tool_call>'
    monkeypatch.setattr(gen.tokenizer, "decode", lambda ids, **kw: text)
    g = gen.generate([PROMPTS[0]])[0]
    assert [(c.name, c.arguments) for c in g.tool_calls] == [("find_train", {"day": "friday"})]


def test_cache_hit_makes_no_model_call(tiny_model_dir, tmp_path, monkeypatch) -> None:  # noqa: F811
    gen = make_generator(f"hf:{tiny_model_dir},max_tokens=8", device="cpu", cache_dir=str(tmp_path))
    first = gen.generate(PROMPTS[:2], seeds=[5, 6])
    monkeypatch.setattr(gen.inner.hf_model, "generate", lambda *a, **k: pytest.fail("model called on a hit"))
    second = gen.generate(PROMPTS[:2], seeds=[7, 8])  # greedy: the seed is not part of the key
    assert [g.cached for g in second] == [True, True] and not any(g.cached for g in first)
    for a, b in zip(first, second):
        assert {**a.to_dict(), "cached": True} == b.to_dict()
    gen.close()
