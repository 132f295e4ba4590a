"""``openai`` backend: any OpenAI-compatible chat-completions server through the maintained client.

vLLM serve, SGLang, TGI, ``transformers serve`` and OpenAI itself speak this API. Timeouts, 429s,
5xx answers and dropped connections are retried with backoff and jitter (:class:`RetryPolicy`);
when the retries are spent the call raises :class:`~coalm_env.errors.LLMError`, which ends the episode
``errored``. A response that arrives but is unusable (no choices, empty, tool-call arguments that are
not a JSON object) is not retried: it becomes a :class:`Generation` with ``error`` set, counted in
``stats``.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import weakref
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from coalm_env.errors import DependencyNotInstalled, LLMError
from coalm_env.llm.base import BaseGenerator, Generation, SamplingParams, request_seeds
from coalm_env.llm.retry import RetryPolicy
from coalm_env.llm.textutil import tool_calls_from_text
from coalm_env.types import ToolCall

__all__ = ["OpenAIGenerator", "to_wire_messages"]


def _env(name: str) -> str | None:
    return os.environ.get(f"COALM_ENV_{name}") or os.environ.get(name)


def _import_openai():
    try:
        import openai
    except ImportError as exc:
        raise DependencyNotInstalled("openai", "llm") from exc
    return openai


def to_wire_messages(messages: list[dict]) -> list[dict]:
    """Our OpenAI-shaped messages with tool-call arguments as JSON strings, as the API wants them."""
    out = []
    for message in messages:
        message = dict(message)
        if message.get("tool_calls"):
            message["tool_calls"] = [_wire_call(c) for c in message["tool_calls"]]
        out.append(message)
    return out


def _wire_call(call: dict) -> dict:
    fn = dict(call.get("function") or {"name": call.get("name"), "arguments": call.get("arguments", {})})
    if not isinstance(fn.get("arguments"), str):
        fn["arguments"] = json.dumps(fn.get("arguments") or {}, ensure_ascii=False)
    return {"id": call.get("id") or "", "type": "function", "function": fn}


class OpenAIGenerator(BaseGenerator):
    """Chat completions from an OpenAI-compatible server.

    Args:
        model: the model name the server knows.
        params: default sampling parameters.
        base_url: the server, e.g. ``http://127.0.0.1:8000/v1``; default ``$COALM_ENV_OPENAI_BASE_URL``,
            then ``$OPENAI_BASE_URL``, then the client's default (api.openai.com).
        api_key: default ``$COALM_ENV_OPENAI_API_KEY``, then ``$OPENAI_API_KEY``, then ``"EMPTY"``
            (local servers ignore it).
        timeout: seconds per attempt.
        retries, backoff_s, max_backoff_s: the retry policy (extra attempts, first and largest wait).
        concurrency: most requests in flight at once (per generator).
        logprobs: ask the server for token logprobs (not every server supports it).
        extra_body: extra JSON fields for every request (server-specific options).
    """

    name = "openai"
    _RETRY_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))

    def __init__(self, model: str, params: SamplingParams | None = None, *, base_url: str | None = None,
                 api_key: str | None = None, timeout: float = 60.0, retries: int = 3, backoff_s: float = 0.5,
                 max_backoff_s: float = 8.0, concurrency: int = 16, logprobs: bool = False,
                 extra_body: dict | None = None, retry_seed: int | None = None):
        super().__init__(model, params)
        self._openai = _import_openai()
        self.base_url = base_url or _env("OPENAI_BASE_URL")
        self.api_key = api_key or _env("OPENAI_API_KEY") or "EMPTY"
        self.timeout = float(timeout)
        self.retry = RetryPolicy(int(retries), float(backoff_s), float(max_backoff_s), retry_seed)
        self.concurrency = int(concurrency)
        self.logprobs = bool(logprobs)
        self.extra_body = dict(extra_body or {})
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._client = None
        self._async: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per event loop

    # -- requests -----------------------------------------------------------------------------------

    def _request(self, messages: list[dict], tools: list[dict] | None, params: SamplingParams,
                 seed: int | None) -> dict[str, Any]:
        req: dict[str, Any] = dict(model=self.model, messages=to_wire_messages(messages),
                                   temperature=params.temperature, top_p=params.top_p,
                                   max_tokens=int(params.max_tokens), timeout=self.timeout)
        if params.stop:
            req["stop"] = list(params.stop)
        if seed is not None:
            req["seed"] = int(seed)
        if tools:
            req["tools"] = tools
        if self.logprobs:
            req["logprobs"] = True
        if self.extra_body:
            req["extra_body"] = self.extra_body
        return req

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def _retryable(self, exc: Exception) -> str | None:
        """The stats key of a transient failure, or None when retrying cannot help."""
        o = self._openai
        if isinstance(exc, o.APITimeoutError):
            return "timeouts"
        if isinstance(exc, o.APIConnectionError):
            return "connection_errors"
        if isinstance(exc, o.APIStatusError) and exc.status_code in self._RETRY_STATUS:
            return "rate_limited" if exc.status_code == 429 else "server_errors"
        return None

    def _give_up(self, exc: Exception, attempts: int) -> LLMError:
        self._count("failed")
        return LLMError(f"{self.name}:{self.model} failed after {attempts} attempt(s): "
                        f"{type(exc).__name__}: {exc}",
                        hint="check the server at " + (self.base_url or "the default OpenAI URL"))

    # -- sync -----------------------------------------------------------------------------------------

    def _sync_client(self):
        with self._lock:
            if self._client is None:
                self._client = self._openai.OpenAI(base_url=self.base_url, api_key=self.api_key, max_retries=0)
            return self._client

    def _call(self, req: dict[str, Any]) -> Generation:
        client, start = self._sync_client(), time.perf_counter()
        for attempt in range(self.retry.attempts):
            self._count("requests")
            try:
                return self._generation(client.chat.completions.create(**req), start)
            except self._openai.OpenAIError as exc:
                kind = self._retryable(exc)
                if kind is None or attempt == self.retry.retries:
                    raise self._give_up(exc, attempt + 1) from exc
                self._count(kind)
                time.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")

    def generate(self, batch, *, tools=None, params=None, seeds=None) -> list[Generation]:
        params = params or self.params
        reqs = [self._request(m, tools, params, s) for m, s in zip(batch, request_seeds(len(batch), params, seeds))]
        if len(reqs) <= 1:
            return [self._call(r) for r in reqs]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(reqs))) as pool:
            return list(pool.map(self._call, reqs))

    # -- async ----------------------------------------------------------------------------------------

    def _async_client(self):
        loop = asyncio.get_running_loop()
        if loop not in self._async:  # a client and a semaphore belong to one event loop
            client = self._openai.AsyncOpenAI(base_url=self.base_url, api_key=self.api_key, max_retries=0)
            self._async[loop] = (client, asyncio.Semaphore(self.concurrency))
        return self._async[loop]

    async def agenerate(self, messages, *, tools=None, params=None, seed=None) -> Generation:
        params = params or self.params
        req = self._request(messages, tools, params, params.seed if seed is None else seed)
        client, semaphore = self._async_client()
        async with semaphore:
            start = time.perf_counter()
            for attempt in range(self.retry.attempts):
                self._count("requests")
                try:
                    return self._generation(await client.chat.completions.create(**req), start)
                except self._openai.OpenAIError as exc:
                    kind = self._retryable(exc)
                    if kind is None or attempt == self.retry.retries:
                        raise self._give_up(exc, attempt + 1) from exc
                    self._count(kind)
                    await asyncio.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        """Close the async client of the running event loop."""
        entry = self._async.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[0].close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- responses ------------------------------------------------------------------------------------

    def _generation(self, response: Any, start: float) -> Generation:
        gen = Generation(latency_s=time.perf_counter() - start)
        usage = getattr(response, "usage", None)
        gen.prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        gen.completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        choices = getattr(response, "choices", None) or []
        message = getattr(choices[0], "message", None) if choices else None
        if message is None:
            return self._malformed(gen, "malformed_response: no choice with a message")
        gen.finish_reason = getattr(choices[0], "finish_reason", None)
        gen.text = message.content or ""
        errors = self._read_calls(gen, getattr(message, "tool_calls", None) or [])
        gen.tool_calls = gen.tool_calls or ([] if errors else tool_calls_from_text(gen.text))
        gen.logprobs = _logprobs(getattr(choices[0], "logprobs", None))
        if errors:
            return self._malformed(gen, "; ".join(errors))
        if not gen.text and not gen.tool_calls:
            return self._malformed(gen, "empty_response: no text and no tool calls")
        return gen

    def _read_calls(self, gen: Generation, calls: list[Any]) -> list[str]:
        errors = []
        for call in calls:
            fn = getattr(call, "function", None)
            name = getattr(fn, "name", None)
            try:
                args = json.loads(getattr(fn, "arguments", None) or "{}")
            except (TypeError, ValueError) as exc:
                errors.append(f"malformed_tool_arguments: {name}: {exc}")
                continue
            if not name or not isinstance(args, dict):
                errors.append(f"malformed_tool_call: {name!r} with arguments {type(args).__name__}")
                continue
            gen.tool_calls.append(ToolCall(name=name, arguments=args, id=getattr(call, "id", "") or ""))
        return errors

    def _malformed(self, gen: Generation, error: str) -> Generation:
        self._count("malformed")
        gen.error = error
        return gen


def _logprobs(choice_logprobs: Any) -> list[float] | None:
    content = getattr(choice_logprobs, "content", None)
    if not content:
        return None
    return [float(t.logprob) for t in content]
