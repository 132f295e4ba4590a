"""The generation layer without a model: params, specs, the scripted fake, the cache, the ledger, and the
vLLM request building against a fake ``vllm`` module (vLLM itself cannot be installed here)."""

from __future__ import annotations

import asyncio
import sys
import types

import pytest

from coalm_env.errors import ConfigError, DependencyNotInstalled, LLMError, UnknownNameError
from coalm_env.llm import (Generation, Generator, Ledger, Price, SamplingParams, ScriptedGenerator, ledger_metrics,
                           make_generator, split_generator_spec, sum_ledgers)
from coalm_env.llm.cache import CachedGenerator, ResponseCache, cache_key
from coalm_env.types import Message, ToolCall

MSGS = [{"role": "user", "content": "hello"}]


def test_sampling_params_validate_and_split_options() -> None:
    params, rest = SamplingParams.from_options({"temperature": 0.7, "stop": "END", "device": "cpu"})
    assert params == SamplingParams(temperature=0.7, stop=("END",)) and rest == {"device": "cpu"}
    assert SamplingParams().greedy and not params.greedy
    for bad in ({"temperature": -1}, {"top_p": 0}, {"max_tokens": 0}):
        with pytest.raises(ConfigError):
            SamplingParams(**bad)


def test_spec_strings() -> None:
    assert split_generator_spec("hf:/m/tiny,temperature=0.7,stop=[\"a,b\"]") == (
        "hf:/m/tiny", {"temperature": 0.7, "stop": ["a,b"]})
    gen = make_generator("scripted:fake,responses=[\"Hi\"],max_tokens=9", seed=3)
    assert isinstance(gen, Generator) and gen.model == "fake" and gen.params.max_tokens == 9 and gen.params.seed == 3
    assert make_generator(gen) is gen
    with pytest.raises(UnknownNameError, match="did you mean 'hf'"):
        make_generator("hff:x")
    with pytest.raises(UnknownNameError, match="temperature"):
        make_generator("scripted,tempreature=1")
    with pytest.raises(ConfigError, match="names no model"):
        make_generator("hf:")


def test_openai_spec_reads_url_and_env(monkeypatch) -> None:
    pytest.importorskip("openai")
    gen = make_generator("openai:tiny@http://127.0.0.1:9/v1,timeout=2,retries=1")
    assert (gen.model, gen.base_url, gen.timeout, gen.retry.retries) == ("tiny", "http://127.0.0.1:9/v1", 2.0, 1)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://a/v1")
    monkeypatch.setenv("COALM_ENV_OPENAI_BASE_URL", "http://b/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "k1")
    gen = make_generator("openai:gpt-x")
    assert (gen.base_url, gen.api_key) == ("http://b/v1", "k1")


def test_scripted_generator_records_prompts_and_parses_calls() -> None:
    call = '<tool_call>{"name": "find_hotel", "arguments": {"area": "north"}}</tool_call>'
    gen = ScriptedGenerator(["Hello there. END more", call], params=SamplingParams(stop=("END",)))
    outs = gen.generate([MSGS, MSGS], seeds=[1, 2])
    assert outs[0].text == "Hello there. " and outs[0].tool_calls == []
    assert outs[1].tool_calls == [ToolCall(name="find_hotel", arguments={"area": "north"})]
    assert [c["seed"] for c in gen.calls] == [1, 2] and gen.calls[0]["messages"] == MSGS
    with pytest.raises(LLMError, match="ran out"):
        gen.generate([MSGS])
    echo = ScriptedGenerator(lambda m, tools, p, seed: f"echo {m[-1]['content']} {seed}")
    assert asyncio.run(echo.agenerate(MSGS, seed=4)).text == "echo hello 4"
    keyed = ScriptedGenerator({"hello": "hi!", "*": "what?"})
    assert [g.text for g in keyed.generate([MSGS, [{"role": "user", "content": "x"}]])] == ["hi!", "what?"]


def test_message_shapes_feed_generators() -> None:
    msg = Message(role="assistant", tool_calls=[ToolCall("f", {"a": 1}, "c1")]).to_openai()
    gen = ScriptedGenerator(["ok"])
    gen.generate([[msg]])
    assert gen.calls[0]["messages"][0]["tool_calls"][0]["function"] == {"name": "f", "arguments": {"a": 1}}


def test_cache_hits_skip_the_backend_and_keys_cover_the_request(tmp_path) -> None:
    inner = ScriptedGenerator(lambda m, t, p, s: f"answer {s}")
    gen = CachedGenerator(inner, ResponseCache(tmp_path))
    sampled = SamplingParams(temperature=1.0)
    first = gen.generate([MSGS, MSGS], params=sampled, seeds=[1, 2])
    again = gen.generate([MSGS, MSGS], params=sampled, seeds=[1, 2])
    assert len(inner.calls) == 2 and [g.cached for g in again] == [True, True]
    assert [g.text for g in again] == [g.text for g in first] == ["answer 1", "answer 2"]
    assert asyncio.run(gen.agenerate(MSGS, params=sampled, seed=2)).cached and len(inner.calls) == 2
    base = cache_key("b", "m", MSGS, None, sampled, 1)
    assert base != cache_key("b", "m", MSGS, None, sampled, 2)
    assert base != cache_key("b", "m", MSGS, [{"type": "function"}], sampled, 1)
    assert base != cache_key("b", "m2", MSGS, None, sampled, 1)
    assert cache_key("b", "m", MSGS, None, SamplingParams(), 1) == cache_key("b", "m", MSGS, None, SamplingParams(), 2)
    other_process = ResponseCache(tmp_path)  # a second handle on the same file sees the same rows
    assert len(other_process) == 2
    other_process.close()
    gen.close()


def test_cache_does_not_store_errors(tmp_path) -> None:
    inner = ScriptedGenerator([Generation(text="", error="empty_response"), "fine"])
    gen = CachedGenerator(inner, ResponseCache(tmp_path))
    assert gen.generate([MSGS])[0].error == "empty_response"
    assert gen.generate([MSGS])[0].text == "fine"
    gen.close()


def test_ledger_sums_per_role_and_prices() -> None:
    ledger = Ledger(prices={"big": Price(input_per_m=2.0, output_per_m=10.0), "small": (1.0, 1.0)})
    ledger.record("agent", "openai", "big", Generation(prompt_tokens=1000, completion_tokens=100, latency_s=0.5))
    ledger.record("agent", "openai", "big", Generation(prompt_tokens=1000, completion_tokens=100, cached=True))
    ledger.record("user", "hf", "small", Generation(prompt_tokens=500, completion_tokens=50, error="empty"))
    m = ledger.metrics()
    assert m["llm_agent_calls"] == 2 and m["llm_agent_cached"] == 1 and m["llm_user_errors"] == 1
    assert m["llm_agent_prompt_tokens"] == 2000 and m["llm_user_completion_tokens"] == 50
    assert m["llm_agent_cost_usd"] == pytest.approx(0.003) and m["llm_cost_usd"] == pytest.approx(0.003 + 0.00055)
    assert m["llm_calls"] == 3 and m["llm_latency_s"] == pytest.approx(0.5)
    stored = ledger.to_list()  # what goes into Trajectory.extra["ledger"]
    total = sum_ledgers([stored, stored, []])
    assert total["llm_calls"] == 6 and total["llm_user_prompt_tokens"] == 1000
    assert ledger_metrics([])["llm_agent_calls"] == 0


def _fake_vllm(monkeypatch) -> types.SimpleNamespace:
    seen = types.SimpleNamespace(llm_kwargs=None, chat=None)

    class Logprob:
        def __init__(self, v):
            self.logprob = v

    class LLM:
        def __init__(self, **kwargs):
            seen.llm_kwargs = kwargs

        def chat(self, messages, **kwargs):
            seen.chat = (messages, kwargs)
            out = types.SimpleNamespace(text='<tool_call>{"name": "f", "arguments": {}}</tool_call>',
                                        token_ids=[5, 6], logprobs=[{5: Logprob(-0.5), 9: Logprob(-1)}, {6: Logprob(-0.1)}],
                                        finish_reason="stop")
            return [types.SimpleNamespace(prompt_token_ids=[1, 2, 3], outputs=[out]) for _ in messages]

    module = types.ModuleType("vllm")
    module.LLM = LLM
    module.SamplingParams = lambda **kw: ("SP", kw)
    monkeypatch.setitem(sys.modules, "vllm", module)
    return seen


def test_vllm_builds_requests_on_its_documented_api(monkeypatch) -> None:
    seen = _fake_vllm(monkeypatch)
    gen = make_generator("vllm:org/model,temperature=0.5,stop=[\"END\"],tensor_parallel_size=2")
    assert seen.llm_kwargs == {"model": "org/model", "tensor_parallel_size": 2}
    outs = gen.generate([MSGS, MSGS], tools=[{"type": "function"}], seeds=[7, 8])
    messages, kwargs = seen.chat
    assert messages == [MSGS, MSGS] and kwargs["tools"] == [{"type": "function"}] and kwargs["use_tqdm"] is False
    assert [sp[1]["seed"] for sp in kwargs["sampling_params"]] == [7, 8]
    assert kwargs["sampling_params"][0][1] == {"temperature": 0.5, "top_p": 1.0, "max_tokens": 256,
                                               "stop": ["END"], "seed": 7, "logprobs": 1}
    g = outs[0]
    assert (g.token_ids, g.prompt_ids, g.logprobs, g.finish_reason) == ([5, 6], [1, 2, 3], [-0.5, -0.1], "stop")
    assert g.tool_calls == [ToolCall(name="f", arguments={})]


def test_vllm_missing_names_its_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm -> ImportError
    with pytest.raises(DependencyNotInstalled, match=r"coalm-env\[vllm\]"):
        make_generator("vllm:org/model")
