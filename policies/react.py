"""``react``: the CoALM-IT conversational ReAct (CRA) layout, for CoALM models and any completion model.

The prompt (one user message) holds four bracketed blocks, as in CoALM-IT's CRA samples:

- ``[Instruction]``: a conversational API-calling assistant, then the domain's system prompt;
- ``[Available tools]``: numbered Python-style signatures, ``1. find_hotel(area=None, ...): ...``;
- ``[Format]``: ``Thought:`` then ``Action: function_name(argument1=value1, ...)``, or ``Thought:`` then
  ``Response: <reply>`` (CoALM-IT writes ``System:``; both are read);
- ``[Conversation history]``: ``User:`` / ``Thought:`` / ``Action:`` / ``Observation:`` / ``System:`` lines
  built from the observation's structured messages.

The completion is the action: the env's one parser reads it (ReAct lines, and also ``<tool_call>``
blocks, JSON or Python calls, API-Bank's ``API-Request: [...]``). Generation stops at a new
``Observation:`` or ``User:`` line (the model must not write the API result or the user's turn).

Spec: ``react:BACKEND:MODEL[,sampling options][,seed=N]``, e.g. ``react:hf:/models/coalm-8b,max_tokens=256``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from coalm_env.llm.base import SamplingParams
from coalm_env.render import messages_from_observation
from coalm_env.render_coalm import FORMAT, STOP, TASK, react_prompt  # the one CRA renderer (export uses it too)
from policies.llm_base import LLMPolicy

__all__ = ["ReactPolicy", "react_prompt", "STOP", "TASK", "FORMAT"]


class ReactPolicy(LLMPolicy):
    """CoALM-IT ReAct prompting (see the module docstring)."""

    name = "react"
    #: ``compact=1``: the short CRA variant for small models; ``history=N``: only the last N earlier user turns
    #: ``results=N``: tool results summarised to their first N entries (:func:`coalm_env.render_coalm.summarise_result`)
    #: ``preamble=0`` (with ``compact=1``): no instruction/tools blocks (a model trained on one env's prompts)
    own_options = ("seed", "compact", "history", "results", "preamble")

    def request(self, obs: dict[str, Any]) -> tuple[list[dict], None]:
        history, results = self.options.get("history"), self.options.get("results")
        prompt = react_prompt(messages_from_observation(obs), json.loads(obs["tools"]),
                              compact=str(self.options.get("compact", "0")).lower() in ("1", "true", "yes"),
                              history=None if history in (None, "") else int(history),
                              results=None if results in (None, "") else int(results),
                              preamble=str(self.options.get("preamble", "1")).lower() not in ("0", "false", "no"))
        return [{"role": "user", "content": prompt}], None

    def params(self) -> SamplingParams:
        base = self.generator.params
        return dataclasses.replace(base, stop=tuple(base.stop) + tuple(s for s in STOP if s not in base.stop))
