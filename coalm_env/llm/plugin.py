"""What LLM policies and LLM users share: a generator from their spec, and the generation record.

A plug-in registered with ``takes_generator_spec = True`` gets the raw remainder of its spec
(``react:hf:PATH,temperature=0.7,max_history=20`` -> ``hf:PATH,temperature=0.7,max_history=20``);
:func:`generator_from_spec` keeps the plug-in's own options (``own``) and builds the generator from
the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.llm.base import BaseGenerator, Generation
from coalm_env.llm.ledger import Ledger
from coalm_env.llm.spec import make_generator, split_generator_spec

__all__ = ["generator_from_spec", "generation_record", "ledger_rows"]


def generator_from_spec(spec: str | BaseGenerator, owner: str,
                        own: Iterable[str] = ()) -> tuple[BaseGenerator, dict[str, Any]]:
    """``(generator, the plug-in's own options)`` from a generator spec (or a ready generator)."""
    if not isinstance(spec, str):
        return spec, {}
    if not spec.strip():
        raise ConfigError(f"{owner} needs a generator", hint=f"e.g. {owner}:hf:PATH or {owner}:scripted")
    head, options = split_generator_spec(spec)
    mine = {k: options.pop(k) for k in list(options) if k in set(own)}
    return make_generator(head, **options), mine


def generation_record(gen: Generation) -> dict[str, Any]:
    """What a step keeps of one generation (``StepRecord.extra``): what was sampled, exactly."""
    return {"text": gen.text, "prompt_ids": gen.prompt_ids, "token_ids": gen.token_ids, "logprobs": gen.logprobs,
            "prompt_tokens": gen.prompt_tokens, "completion_tokens": gen.completion_tokens,
            "latency_s": gen.latency_s, "finish_reason": gen.finish_reason, "cached": gen.cached, "error": gen.error}


def ledger_rows(role: str, generator: BaseGenerator, gen: Generation) -> list[dict[str, Any]]:
    """One ledger row for ``gen`` (the env gathers rows into ``trajectory.extra["ledger"]``)."""
    ledger = Ledger()
    ledger.record(role, getattr(generator, "name", type(generator).__name__), generator.model, gen)
    return ledger.to_list()
