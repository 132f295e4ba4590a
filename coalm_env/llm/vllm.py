"""``vllm`` backend: vLLM's offline engine, ``LLM.chat`` with one ``SamplingParams`` per request.

Kept thin and on vLLM's documented API: ``LLM(model=..., **engine_kwargs)`` and
``LLM.chat(messages_batch, sampling_params=[...], use_tqdm=False, tools=...)``; each
``RequestOutput`` gives ``prompt_token_ids`` and ``outputs[0]`` with ``text``, ``token_ids``,
``logprobs`` (one ``{token_id: Logprob}`` per token when ``logprobs`` is asked) and ``finish_reason``.
vLLM needs CUDA and its own torch; it is the optional ``[vllm]`` extra, installed on GPU machines.
Seeded requests are reproducible per request (vLLM seeds each request's sampler with its ``seed``).
"""

from __future__ import annotations

import time
from typing import Any

from coalm_env.errors import DependencyNotInstalled
from coalm_env.llm.base import BaseGenerator, Generation, SamplingParams, request_seeds
from coalm_env.llm.textutil import tool_calls_from_text

__all__ = ["VLLMGenerator"]


def _import_vllm():
    try:
        import vllm
    except ImportError as exc:
        raise DependencyNotInstalled("vllm", "vllm") from exc
    return vllm


class VLLMGenerator(BaseGenerator):
    """Batched chat completions with ``vllm.LLM``.

    Args:
        model: a local folder or model id.
        params: default sampling parameters.
        logprobs: ask for the sampled tokens' logprobs (vLLM's ``logprobs=`` count; 1 is enough).
        chat_template_kwargs: extra chat-template variables, passed as vLLM's ``chat_template_kwargs``.
        engine_kwargs: passed to ``vllm.LLM`` (``tensor_parallel_size``, ``gpu_memory_utilization``, ...).
    """

    name = "vllm"

    def __init__(self, model: str, params: SamplingParams | None = None, *, logprobs: int | None = 1,
                 chat_template_kwargs: dict | None = None, **engine_kwargs: Any):
        super().__init__(model, params)
        self._vllm = _import_vllm()
        self.logprobs = logprobs
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        self.engine = self._vllm.LLM(model=model, **engine_kwargs)

    def sampling_params(self, params: SamplingParams, seed: int | None) -> Any:
        """vLLM's ``SamplingParams`` for one request."""
        return self._vllm.SamplingParams(temperature=params.temperature, top_p=params.top_p,
                                         max_tokens=int(params.max_tokens), stop=list(params.stop) or None,
                                         seed=seed, logprobs=self.logprobs)

    def generate(self, batch, *, tools=None, params=None, seeds=None) -> list[Generation]:
        if not batch:
            return []
        params = params or self.params
        sampling = [self.sampling_params(params, s) for s in request_seeds(len(batch), params, seeds)]
        kwargs: dict[str, Any] = {"sampling_params": sampling, "use_tqdm": False}
        if tools:
            kwargs["tools"] = tools
        if self.chat_template_kwargs:
            kwargs["chat_template_kwargs"] = self.chat_template_kwargs
        start = time.perf_counter()
        outputs = self.engine.chat(batch, **kwargs)
        latency = (time.perf_counter() - start) / len(batch)
        return [_generation(o, latency) for o in outputs]


def _generation(request_output: Any, latency: float) -> Generation:
    out = request_output.outputs[0]
    ids = list(out.token_ids)
    prompt_ids = list(request_output.prompt_token_ids or [])
    return Generation(text=out.text, tool_calls=tool_calls_from_text(out.text), prompt_tokens=len(prompt_ids),
                      completion_tokens=len(ids), latency_s=latency, token_ids=ids, prompt_ids=prompt_ids,
                      logprobs=_logprobs(ids, out.logprobs), finish_reason=out.finish_reason)


def _logprobs(ids: list[int], logprobs: Any) -> list[float] | None:
    """The sampled token's logprob at each position (vLLM always includes it in the position's dict)."""
    if not logprobs:
        return None
    values = []
    for tok, position in zip(ids, logprobs):
        entry = position[tok]
        values.append(float(getattr(entry, "logprob", entry)))
    return values
