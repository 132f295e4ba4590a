"""Gymnasium spaces for conversations: any Unicode text, and the observation layout."""

from __future__ import annotations

import functools
import string
from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = ["UnicodeText", "observation_space", "action_space", "SAMPLE_CHARSET"]

# Characters drawn by ``sample()``: printable ASCII plus accented Latin, punctuation and a few symbols
# that real user text carries. ``contains()`` accepts every Unicode character (see UnicodeText).
SAMPLE_CHARSET = string.printable + "".join(chr(c) for c in range(0xC0, 0x180)) + "€£¥–—‘’“”…•°±×÷😀🙂👍"


@functools.lru_cache(maxsize=1)
def _charset_tables() -> dict[str, Any]:
    proto = spaces.Text(1, charset=SAMPLE_CHARSET)
    return {k: v for k, v in vars(proto).items() if k.startswith("_char")}


class UnicodeText(spaces.Text):
    """A :class:`gymnasium.spaces.Text` whose members are *any* Unicode string within the length bounds.

    Real conversations carry characters no fixed charset lists (emoji, scripts, adversarial text), so
    ``contains`` checks the type and length only. ``sample()`` draws from :data:`SAMPLE_CHARSET`, with
    lengths capped at ``sample_max_length`` so sampling a space that admits megabytes stays cheap.
    """

    def __init__(self, max_length: int, *, min_length: int = 0, sample_max_length: int = 256, seed: Any = None):
        super().__init__(max_length, min_length=min_length, charset="a", seed=seed)
        # share one set of charset tables between every instance: a Text builds ~40 KB of them, and an
        # env has eight text spaces (1,000 live envs would otherwise spend ~400 MB on charsets)
        for attr, value in _charset_tables().items():
            setattr(self, attr, value)
        self.sample_max_length = max(min_length, min(max_length, sample_max_length))

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        if mask is not None or probability is not None:
            return super().sample(mask=mask, probability=probability)
        length = int(self.np_random.integers(self.min_length, self.sample_max_length + 1))
        chars = self.np_random.choice(np.array(list(self.character_set)), size=length)
        return "".join(chars.tolist())

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length})"

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, UnicodeText)
            and self.min_length == other.min_length
            and self.max_length == other.max_length
        )


def message_space(max_chars: int) -> spaces.Dict:
    """One chat message; ``tool_calls`` is a JSON list, empty strings stand for absent fields."""
    return spaces.Dict(
        {
            "role": UnicodeText(16, min_length=1),
            "content": UnicodeText(max_chars),
            "tool_calls": UnicodeText(max_chars),
            "tool_call_id": UnicodeText(256),
            "name": UnicodeText(256),
        }
    )


def observation_space(max_chars: int) -> spaces.Dict:
    """``text``: the rendered prompt; ``messages``: the structured conversation; ``tools``: JSON schemas."""
    return spaces.Dict(
        {
            "text": UnicodeText(max_chars),
            "messages": spaces.Sequence(message_space(max_chars), stack=False),
            "tools": UnicodeText(max_chars),
        }
    )


def action_space(max_chars: int) -> UnicodeText:
    return UnicodeText(max_chars)
