"""Generator spec strings: ``BACKEND:MODEL[@URL][,key=value,...]``.

Examples: ``hf:/models/coalm-8b,temperature=0.7``, ``openai:coalm-8b@http://127.0.0.1:8000/v1``,
``vllm:uiuc-convai/CoALM-8B,max_tokens=512,tensor_parallel_size=2``, ``scripted,responses=["Hi"]``.
Options are parsed as in :func:`coalm_env.registry.parse_spec` (JSON values where they parse). Sampling
options (:class:`SamplingParams` fields) become the default parameters, ``cache_dir=`` turns the response
cache on, and the rest go to the backend's constructor.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.llm.base import BaseGenerator, SamplingParams
from coalm_env.registry import Registry, _split_top_level, parse_spec

__all__ = ["GENERATORS", "make_generator", "split_generator_spec"]

#: backend name -> constructor; third parties add theirs with ``GENERATORS.register(name, "pkg.mod:Class")``
GENERATORS = Registry("generator backend", {
    "hf": "coalm_env.llm.hf:HFGenerator",
    "vllm": "coalm_env.llm.vllm:VLLMGenerator",
    "openai": "coalm_env.llm.openai_backend:OpenAIGenerator",
    "scripted": "coalm_env.llm.scripted:ScriptedGenerator",
})

_URL = re.compile(r"^(?P<model>.*?)@(?P<url>https?://.+)$")


def split_generator_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"hf:PATH,temperature=0.7"`` -> ``("hf:PATH", {"temperature": 0.7})``.

    The first comma-separated item is the generator itself; the others must be ``key=value``. A policy
    spec such as ``react:hf:PATH,temperature=0.7`` hands everything after ``react:`` to this function.
    """
    head, *rest = _split_top_level(spec)
    _, options = parse_spec("generator:" + ",".join(rest))
    return head.strip(), options


def _backend_and_model(head: str) -> tuple[str, dict[str, Any]]:
    backend, _, model = head.partition(":")
    backend, model = backend.strip(), model.strip()
    if backend == "scripted":
        return backend, {"model": model} if model else {}
    if not model:
        raise ConfigError(f"generator spec {head!r} names no model", hint=f"write {backend}:MODEL_OR_PATH")
    match = _URL.match(model) if backend == "openai" else None
    if match:
        return backend, {"model": match["model"], "base_url": match["url"]}
    return backend, {"model": model}


def _check_options(factory: Any, backend: str, options: dict[str, Any]) -> None:
    sig = inspect.signature(factory)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return  # e.g. vllm: engine options pass through to vllm.LLM
    known = [n for n in sig.parameters if n not in ("self", "model", "params")]
    for key in options:
        if key not in known:
            choices = known + ["cache_dir"] + list(SamplingParams.__dataclass_fields__)
            raise UnknownNameError(f"option of the {backend} generator", key, choices)


def make_generator(spec: str | BaseGenerator, **options: Any) -> BaseGenerator:
    """Build a generator from a spec string; keyword ``options`` override the spec's own.

    An object that is not a string is returned as it is (already a generator).
    """
    if not isinstance(spec, str):
        return spec
    head, spec_options = split_generator_spec(spec)
    backend, base = _backend_and_model(head)
    options = {**spec_options, **options}
    cache_dir = options.pop("cache_dir", None)
    params, rest = SamplingParams.from_options(options)
    factory = GENERATORS.resolve(backend)
    _check_options(factory, backend, {**rest, **{k: v for k, v in base.items() if k != "model"}})
    generator = factory(**base, params=params, **rest)
    if cache_dir:
        from coalm_env.llm.cache import CachedGenerator, ResponseCache

        generator = CachedGenerator(generator, ResponseCache(cache_dir))
    return generator
