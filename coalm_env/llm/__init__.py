"""The generation layer: one interface for LLM policies and LLM users, several backends.

Interface (:mod:`coalm_env.llm.base`)::

    gen = make_generator("hf:/models/tiny,temperature=0.7,max_tokens=128")
    outs = gen.generate([messages_1, messages_2], tools=schemas, seeds=[11, 12])   # sync, batched
    out = await gen.agenerate(messages, tools=schemas, seed=11)                      # async, one request

``messages`` are OpenAI-style dicts (``Message.to_openai()``); ``tools`` are OpenAI function schemas.
Each :class:`Generation` has ``text``, ``tool_calls`` (``ToolCall`` list: the server's structured calls,
else those the one parser reads in the text), ``prompt_tokens``/``completion_tokens``, ``latency_s``,
``token_ids``/``prompt_ids``/``logprobs`` where the backend has them (hf, vllm), ``finish_reason``,
``error`` (an unusable answer, counted, not raised) and ``cached``. A backend that fails after its
retries raises :class:`~coalm_env.errors.LLMError`; the env then ends the episode ``errored``.
:class:`SamplingParams` (``temperature`` 0 = greedy, ``top_p``, ``max_tokens``, ``stop``, ``seed``) are
given per call or as the generator's defaults.

Spec strings (:func:`make_generator`, :func:`split_generator_spec`)::

    hf:PATH_OR_ID[,device=cuda,dtype=bfloat16]        transformers generate, left-padded batches
    vllm:PATH_OR_ID[,tensor_parallel_size=2]          vLLM offline LLM.chat (the [vllm] extra)
    openai:MODEL@http://127.0.0.1:8000/v1             any OpenAI-compatible server (the [llm] extra)
    openai:gpt-4o-mini                                base URL/key from COALM_ENV_OPENAI_BASE_URL /
                                                      OPENAI_BASE_URL and COALM_ENV_OPENAI_API_KEY / OPENAI_API_KEY
    scripted[:NAME],responses=["Hi", "Bye"]           deterministic fake (tests), or ScriptedGenerator(fn)

followed by ``,key=value`` options: sampling fields (``temperature=0.7,max_tokens=256,seed=3``),
``cache_dir=DIR`` (on-disk response cache, :mod:`coalm_env.llm.cache`), and backend options (e.g.
``timeout=30,retries=3,concurrency=16`` for openai). A policy or user spec such as
``react:hf:PATH,temperature=0.7`` passes its remainder, ``hf:PATH,temperature=0.7``, to
:func:`make_generator` (keyword options given by the caller override the spec's).

Accounting (:mod:`coalm_env.llm.ledger`): ``Ledger.record(role, backend, model, generation)`` per call,
``Trajectory.extra["ledger"] = ledger.to_list()``, and ``ledger_metrics`` / ``sum_ledgers`` for flat
``llm_agent_*`` / ``llm_user_*`` totals (calls, tokens, latency, cost from a price table, cache hits).

Importing this package imports no heavy library; backends import theirs when constructed.
"""

from __future__ import annotations

from coalm_env.llm.base import BaseGenerator, Generation, Generator, SamplingParams
from coalm_env.llm.ledger import Ledger, LedgerEntry, Price, ledger_metrics, sum_ledgers
from coalm_env.llm.scripted import ScriptedGenerator
from coalm_env.llm.spec import GENERATORS, make_generator, split_generator_spec

__all__ = [
    "SamplingParams", "Generation", "Generator", "BaseGenerator", "ScriptedGenerator",
    "make_generator", "split_generator_spec", "GENERATORS",
    "Ledger", "LedgerEntry", "Price", "ledger_metrics", "sum_ledgers",
]
