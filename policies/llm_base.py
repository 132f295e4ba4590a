"""The shared loop of LLM policies: observations -> prompts -> one batched ``generate`` -> actions.

Subclasses build each episode's request (:meth:`LLMPolicy.request`: chat messages and tool schemas)
and turn a :class:`~coalm_env.llm.Generation` into an action (:meth:`LLMPolicy.action`). Every action
is an :class:`~coalm_env.types.AgentAction` whose ``extra`` holds the generation record (prompt and
completion token ids, logprobs, latency, token counts) and one ledger row (role ``"agent"``); the env
stores the record in ``StepRecord.extra`` and the row in ``trajectory.extra["ledger"]``.

An :class:`~coalm_env.errors.LLMError` (the backend failed after its retries) propagates: the rollout
runner ends the episodes of that call ``errored`` (not failed), and statistics leave them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from coalm_env.llm.base import Generation, SamplingParams
from coalm_env.llm.plugin import generation_record, generator_from_spec, ledger_rows
from coalm_env.types import AgentAction

__all__ = ["LLMPolicy"]


class LLMPolicy:
    """Base of the LLM policies (see the module docstring).

    Args:
        generator: a generator spec (``hf:PATH,temperature=0.7``) or a generator object.
        seed: the root of the per-request sampling seeds (each request's seed is derived from it, the
            episode and the step, so a batch's composition never changes a completion).
    """

    takes_generator_spec = True
    name = "llm"
    own_options: tuple[str, ...] = ("seed",)

    def __init__(self, generator: Any = "", **options: Any):
        self.generator, spec_options = generator_from_spec(generator, self.name, self.own_options)
        options = {**spec_options, **options}
        unknown = sorted(set(options) - set(self.own_options))
        if unknown:
            from coalm_env.errors import UnknownNameError

            raise UnknownNameError(f"option of the {self.name} policy", unknown[0], self.own_options)
        self.seed = int(options.pop("seed", 0))
        self.options = options

    # -- subclass hooks ---------------------------------------------------------------------
    def request(self, obs: dict[str, Any]) -> tuple[list[dict], list[dict] | None]:
        """The chat messages and tool schemas (or ``None``) for one observation."""
        raise NotImplementedError

    def params(self) -> SamplingParams | None:
        """Sampling parameters for this policy's calls (``None``: the generator's defaults)."""
        return None

    def action(self, gen: Generation) -> Any:
        """The env action for one completion (default: its text, read by the env's parser)."""
        return gen.text

    # -- the protocol ---------------------------------------------------------------------------
    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]]) -> list[Any]:
        if not observations:
            return []
        requests = [self.request(obs) for obs in observations]
        # one generate call for the batch; episodes offering different tool lists get one call each
        groups: dict[str, list[int]] = {}
        for i, (_, t) in enumerate(requests):
            groups.setdefault(repr(t), []).append(i)
        seeds = [self._seed(info, i) for i, info in enumerate(infos)]
        out: list[Any] = [None] * len(observations)
        for idx in groups.values():
            tools = requests[idx[0]][1]
            gens = self.generator.generate([requests[i][0] for i in idx], tools=tools, params=self.params(),
                                           seeds=[seeds[i] for i in idx])
            for i, gen in zip(idx, gens):
                out[i] = self._agent_action(gen)
        return out

    async def aact(self, observation: dict[str, Any], info: dict[str, Any]) -> Any:
        """One episode's action via ``generator.agenerate`` (the async runner,
        :mod:`coalm_env.rollout_async`); the same request and seed as :meth:`act` gives it."""
        messages, tools = self.request(observation)
        gen = await self.generator.agenerate(messages, tools=tools, params=self.params(),
                                             seed=self._seed(info, 0))
        return self._agent_action(gen)

    def _agent_action(self, gen: Generation) -> AgentAction:
        extra = generation_record(gen)
        extra["ledger"] = ledger_rows("agent", self.generator, gen)
        return AgentAction(self.action(gen), extra)

    def _seed(self, info: dict[str, Any], i: int) -> int:
        episode = info.get("episode")
        if not isinstance(episode, int):  # a lone env (no runner): its episode id, else the batch index
            episode = int(info["episode_id"], 16) % 2**32 if info.get("episode_id") else i
        key = (episode, int(info.get("step", 0)))
        return int(np.random.SeedSequence(self.seed, spawn_key=key).generate_state(1)[0])
