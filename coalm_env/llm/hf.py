"""``hf`` backend: transformers ``generate`` on a local path or model id, batched with left padding.

Determinism (what is guaranteed): greedy decoding (``temperature=0``) is deterministic, and a batch
gives the same completions as its requests one by one up to floating-point differences of padded
attention (exact on CPU float32 in our tests). Sampling draws each request's tokens from its own
``torch.Generator`` seeded with that request's seed, so a seeded request's completion depends only on
its prompt, parameters and seed -- not on the other requests in the batch or the global torch RNG --
on the same device, dtype and library versions. A request without a seed gets a fresh random one.
"""

from __future__ import annotations

import time
from typing import Any

from coalm_env.errors import ConfigError, DependencyNotInstalled
from coalm_env.llm.base import BaseGenerator, Generation, SamplingParams, request_seeds
from coalm_env.llm.textutil import cut_at_stop, tool_calls_from_text

__all__ = ["HFGenerator"]


def _import_transformers():
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise DependencyNotInstalled(exc.name or "transformers", "train") from exc
    return torch, transformers


def _auto_device(torch, device: str) -> str:
    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def _auto_dtype(torch, dtype: str, device: str):
    if dtype != "auto":
        try:
            return getattr(torch, dtype)
        except AttributeError as exc:
            raise ConfigError(f"unknown torch dtype {dtype!r}", hint="e.g. float32, bfloat16") from exc
    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


class HFGenerator(BaseGenerator):
    """Chat completions with ``AutoModelForCausalLM.generate``.

    Args:
        model: a local folder or a model id (``from_pretrained`` reads it; no download is forced).
        params: default sampling parameters.
        device: ``"auto"`` (CUDA when present, else CPU), or a torch device string.
        dtype: ``"auto"`` (bfloat16 on CUDA when supported, else float32), or a torch dtype name.
        chat_template_kwargs: extra variables for the chat template (e.g. ``enable_thinking``).
        model_kwargs: passed to ``AutoModelForCausalLM.from_pretrained``.
    """

    name = "hf"

    def __init__(self, model: str, params: SamplingParams | None = None, *, device: str = "auto",
                 dtype: str = "auto", chat_template_kwargs: dict | None = None,
                 model_kwargs: dict | None = None, tokenizer: str | None = None):
        super().__init__(model, params)
        torch, transformers = _import_transformers()
        self._torch, self._transformers = torch, transformers
        self.device = _auto_device(torch, device)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer or model)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        kwargs = {"dtype": _auto_dtype(torch, dtype, self.device), **(model_kwargs or {})}
        self.hf_model = transformers.AutoModelForCausalLM.from_pretrained(model, **kwargs).to(self.device)
        self.hf_model.eval()
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        self.eos_ids = self._eos_ids()

    def _eos_ids(self) -> set[int]:
        ids = self.hf_model.generation_config.eos_token_id
        ids = set(ids if isinstance(ids, list) else [] if ids is None else [ids])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    def render(self, messages: list[dict], tools: list[dict] | None = None) -> str:
        """The prompt text the model sees (chat template with the generation prompt)."""
        return self.tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True,
                                                  tokenize=False, **self.chat_template_kwargs)

    def generate(self, batch, *, tools=None, params=None, seeds=None) -> list[Generation]:
        if not batch:
            return []
        params = params or self.params
        seeds = request_seeds(len(batch), params, seeds)
        start = time.perf_counter()
        prompts = [self.render(m, tools) for m in batch]
        enc = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        with self._torch.inference_mode():
            out = self.hf_model.generate(**enc, **self._generate_kwargs(params, seeds))
        latency = (time.perf_counter() - start) / len(batch)  # the batch's time, shared evenly
        return [self._one(i, enc, out, params, latency) for i in range(len(batch))]

    def _generate_kwargs(self, params: SamplingParams, seeds: list[int | None]) -> dict[str, Any]:
        # A fresh config, not the model's generation_config: its sampling defaults (top_k, repetition
        # penalty...) would otherwise apply too; our SamplingParams are the one source of truth.
        config = self._transformers.GenerationConfig(
            max_new_tokens=int(params.max_tokens), do_sample=False, eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.tokenizer.pad_token_id, return_dict_in_generate=True, output_logits=True,
            stop_strings=list(params.stop) or None)
        kwargs: dict[str, Any] = {"generation_config": config}
        if params.stop:
            kwargs["tokenizer"] = self.tokenizer
        if not params.greedy:
            from coalm_env.llm.hf_sampling import RowSampler

            kwargs["logits_processor"] = [RowSampler(params.temperature, params.top_p, seeds, self.device)]
        return kwargs

    def _one(self, i: int, enc, out, params: SamplingParams, latency: float) -> Generation:
        mask = enc["attention_mask"][i].bool()
        prompt_ids = enc["input_ids"][i][mask].tolist()
        width = enc["input_ids"].shape[1]
        ids = out.sequences[i, width:].tolist()
        n, reason = self._length(ids, params)
        ids = ids[:n]
        logprobs = self._logprobs(out.logits, i, ids, params)
        text = cut_at_stop(self.tokenizer.decode(ids, skip_special_tokens=True), params.stop)
        return Generation(text=text, tool_calls=tool_calls_from_text(text), prompt_tokens=len(prompt_ids),
                          completion_tokens=len(ids), latency_s=latency, token_ids=ids, prompt_ids=prompt_ids,
                          logprobs=logprobs, finish_reason=reason)

    def _length(self, ids: list[int], params: SamplingParams) -> tuple[int, str]:
        """How many generated tokens belong to the completion (through EOS or the stop string)."""
        for k, tok in enumerate(ids):
            if tok in self.eos_ids:
                return k + 1, "stop"
        for k in range(len(ids)) if params.stop else ():
            prefix = self.tokenizer.decode(ids[:k + 1], skip_special_tokens=True)
            if any(s in prefix for s in params.stop):
                return k + 1, "stop"
        return len(ids), "length"

    def _logprobs(self, logits, i: int, ids: list[int], params: SamplingParams) -> list[float]:
        """Log-probability of each sampled token under the model at the request temperature (1 if greedy)."""
        temp = params.temperature if not params.greedy else 1.0
        values = []
        for k, tok in enumerate(ids):
            row = logits[k][i].float() / temp
            values.append(float(row.log_softmax(-1)[tok]))
        return values
