"""Retry policy for server backends: exponential backoff with full jitter on transient failures.

Written here (a dozen lines) rather than taken from a library so that sync and async calls share one
policy and the client's own retries stay off (``max_retries=0``), which keeps the attempt count exact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["RetryPolicy"]


@dataclass
class RetryPolicy:
    """``retries`` extra attempts after the first; the k-th waits ``uniform(0, min(cap, base * 2**k))``.

    The jitter RNG is this policy's own (seeded by ``seed``), never the global ``random`` state.
    """

    retries: int = 3
    base_s: float = 0.5
    cap_s: float = 8.0
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        return self._rng.uniform(0, min(self.cap_s, self.base_s * 2 ** attempt))
