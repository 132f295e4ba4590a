"""The ``openai`` backend end to end: a real ``transformers serve`` process on 127.0.0.1 serving the tiny
model, behind a local proxy that injects delays, 429s, 500s and malformed answers."""

from __future__ import annotations

import asyncio
import json

import pytest

from coalm_env.errors import LLMError
from coalm_env.llm import SamplingParams, make_generator
from coalm_env.types import ToolCall
from llm_fixtures import tiny_model_dir  # noqa: F401 - a fixture
from llm_servers import FaultProxy, TransformersServe

pytestmark = pytest.mark.train
MSGS = [{"role": "user", "content": "I need a cheap restaurant in the centre."}]


@pytest.fixture(scope="module")
def server(tiny_model_dir):  # noqa: F811
    pytest.importorskip("fastapi", reason="needs transformers[serving] (the [llm] extra)")
    serve = TransformersServe(tiny_model_dir)
    yield serve
    serve.stop()


@pytest.fixture(scope="module")
def proxy(server):
    fp = FaultProxy(server.url)
    yield fp
    fp.stop()


@pytest.fixture
def gen(proxy, tiny_model_dir):  # noqa: F811
    proxy.plan.clear()
    proxy.seen.clear()
    g = make_generator(f"openai:{tiny_model_dir}@{proxy.url}/v1,max_tokens=8", timeout=5, retries=2,
                       backoff_s=0.01, max_backoff_s=0.05, retry_seed=0)
    yield g
    g.close()


def _body(message: dict) -> str:
    return json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                       "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", **message}}],
                       "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})


def test_completion_through_the_real_server(gen, proxy, tiny_model_dir) -> None:  # noqa: F811
    out = gen.generate([MSGS], seeds=[5])[0]
    assert out.error is None and out.text and out.completion_tokens == 8 and out.prompt_tokens > 0
    assert out.finish_reason == "length" and out.latency_s > 0
    sent = proxy.seen[-1]
    assert (sent["seed"], sent["max_tokens"], sent["temperature"]) == (5, 8, 0.0)
    hf = make_generator(f"hf:{tiny_model_dir},max_tokens=8", device="cpu")
    assert hf.generate([MSGS])[0].text == out.text  # the server runs the same model and template
    assert gen.stats["requests"] == 1 and gen.stats["failed"] == 0


def test_a_timeout_then_a_retry_that_succeeds(gen, proxy) -> None:
    # generous margins: the retry goes to the real server, which may be slow on a loaded 2-core machine
    gen.timeout = 4.0
    proxy.plan[:] = [("delay", 6.0)]
    out = gen.generate([MSGS])[0]
    assert out.error is None and out.text
    assert gen.stats["timeouts"] == 1 and gen.stats["requests"] == 2


def test_429_and_500_are_retried(gen, proxy) -> None:
    proxy.plan[:] = [("status", 429), ("status", 500)]
    assert gen.generate([MSGS])[0].text
    assert (gen.stats["rate_limited"], gen.stats["server_errors"], gen.stats["requests"]) == (1, 1, 3)


def test_exhausted_retries_raise_llm_error(gen, proxy) -> None:
    proxy.plan[:] = [("status", 503)] * 3
    with pytest.raises(LLMError, match="after 3 attempt"):
        gen.generate([MSGS])
    assert gen.stats["failed"] == 1
    proxy.plan[:] = [("status", 400)]  # a client error is not retried
    with pytest.raises(LLMError, match="after 1 attempt"):
        gen.generate([MSGS])


def test_tool_calls_and_malformed_answers(gen, proxy) -> None:
    good = {"content": None, "tool_calls": [{"id": "t1", "type": "function", "function": {
        "name": "find_restaurant", "arguments": '{"area": "centre"}'}}]}
    bad = {"content": None, "tool_calls": [{"id": "t2", "type": "function", "function": {
        "name": "find_restaurant", "arguments": '{"area": '}}]}
    proxy.plan[:] = [("body", _body(good)), ("body", _body(bad)), ("body", _body({"content": ""})),
                     ("body", json.dumps({"id": "x", "choices": []}))]
    outs = [gen.generate([MSGS])[0] for _ in range(4)]
    assert outs[0].tool_calls == [ToolCall("find_restaurant", {"area": "centre"}, "t1")] and outs[0].error is None
    assert outs[1].tool_calls == [] and outs[1].error.startswith("malformed_tool_arguments")
    assert outs[2].error.startswith("empty_response") and outs[3].error.startswith("malformed_response")
    assert gen.stats["malformed"] == 3 and gen.stats["failed"] == 0


def test_text_tool_calls_are_parsed_and_messages_go_out_as_the_api_wants(gen, proxy) -> None:
    text = '<tool_call>\n{"name": "find_train", "arguments": {"day": "monday"}}\n</tool_call>'
    proxy.plan[:] = [("body", _body({"content": text}))]
    history = [*MSGS, {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]},
               {"role": "tool", "tool_call_id": "c1", "name": "f", "content": "{}"}]
    out = gen.generate([history], tools=[{"type": "function", "function": {"name": "find_train", "parameters": {}}}])[0]
    assert out.tool_calls == [ToolCall("find_train", {"day": "monday"})]
    sent = proxy.seen[-1]
    assert sent["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'
    assert sent["tools"][0]["function"]["name"] == "find_train"


def test_async_requests_overlap_under_the_concurrency_limit(gen, proxy) -> None:
    gen.concurrency = 2
    proxy.plan[:] = [("status", 429)]

    async def run():
        outs = await asyncio.gather(*(gen.agenerate(MSGS, seed=i, params=SamplingParams(max_tokens=4))
                                      for i in range(4)))
        await gen.aclose()
        return outs

    outs = asyncio.run(run())
    assert all(o.text and o.error is None for o in outs) and gen.stats["rate_limited"] == 1
    assert len(proxy.seen) == 5 and sorted({s["seed"] for s in proxy.seen}) == [0, 1, 2, 3]


class _ServerPolicy:
    """A minimal LLM policy for this test only (the real ones live in ``policies/``)."""

    name = "server"

    def __init__(self, gen):
        self.gen = gen

    def act(self, observations, infos):
        return [g.text or "Sorry?" for g in self.gen.generate([o["messages"] for o in observations])]


def test_a_server_that_keeps_failing_ends_the_episode_errored(gen, proxy) -> None:
    from coalm_env.rollout import RolloutConfig, run_rollouts
    from coalm_env.types import StopReason

    proxy.plan[:] = [("status", 500)] * 50
    config = RolloutConfig("coalm/Travel-v0", _ServerPolicy(gen), user="agenda", episodes=2, batch_size=2)
    result = run_rollouts(config, progress=False)
    assert [t.stop_reason for t in result.trajectories] == [StopReason.ERRORED] * 2
    assert all(t.errors[-1]["kind"] == "llm" and "after 3 attempt" in t.errors[-1]["error"] for t in result.trajectories)
    assert all(t.metrics["internal_errors"] == 0 for t in result.trajectories)
