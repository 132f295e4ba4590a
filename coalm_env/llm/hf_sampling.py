"""Per-request seeded sampling inside one batched ``generate`` (imported only by the ``hf`` backend).

transformers samples a batch from one global RNG, so a request's draw would depend on its batch. This
logits processor samples each row from its own ``torch.Generator`` and forces the drawn token; the
surrounding ``generate`` runs in greedy mode, so it picks exactly that token.
"""

from __future__ import annotations

import secrets
from typing import Any


class RowSampler:
    """Temperature + top-p sampling, one seeded generator per batch row."""

    def __init__(self, temperature: float, top_p: float, seeds: list[int | None], device: str):
        self.temperature = temperature
        self.top_p = top_p
        import torch  # here, not at module level: coalm_env modules import without torch

        self._torch = torch
        self.generators = []
        for seed in seeds:
            gen = torch.Generator(device=device)
            gen.manual_seed(secrets.randbits(63) if seed is None else int(seed))
            self.generators.append(gen)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        probs = self._filtered(scores.float() / self.temperature).softmax(-1)
        forced = self._torch.full_like(scores, float("-inf"))
        for row, gen in enumerate(self.generators):
            token = self._torch.multinomial(probs[row], 1, generator=gen)
            forced[row, token] = 0.0
        return forced

    def _filtered(self, logits: Any) -> Any:
        """Keep the smallest set of tokens whose probability reaches ``top_p`` (always the top one)."""
        if self.top_p >= 1.0:
            return logits
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        drop = cumulative - sorted_logits.softmax(-1) >= self.top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        return self._torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
