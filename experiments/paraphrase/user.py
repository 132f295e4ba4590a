"""The paraphrasing agenda user: the agenda user's acts (and goal logic) unchanged, its text said with
synonyms ("inexpensive"/"budget", "city center", "car park", "bed and breakfast", "Wi-Fi") and other
sentence frames. A :class:`~coalm_env.users.UserWrapper`; its choices are seeded by the episode's seed,
scenario and turn, so a seed replays the same dialogue."""

from __future__ import annotations

import re
import zlib
from typing import Any

import numpy as np

from coalm_env.protocols import UserRequest
from coalm_env.types import UserTurn
from coalm_env.users import UserWrapper

__all__ = ["ParaphraseUser", "paraphrase_user_text"]

# (pattern, replacements); the first option of each is a synonym, never the original spelling alone
_WORDS: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"\bcheap\b", re.I), ("inexpensive", "budget", "cheap", "low-cost")),
    (re.compile(r"\bmoderate(?:ly priced)?\b", re.I), ("mid-range", "moderately priced", "moderate")),
    (re.compile(r"\bexpensive\b", re.I), ("pricey", "upscale", "high-end", "expensive")),
    (re.compile(r"\bin the centre\b", re.I), ("in the city center", "in the centre of town", "in the center",
                                              "in the city centre")),
    (re.compile(r"\bcentre\b", re.I), ("city center", "center", "centre")),
    (re.compile(r"\b(?:has|with|have|offers?|includes?) (?:free )?parking\b", re.I),
     ("with a car park", "with free parking", "that has a car park", "with parking available")),
    (re.compile(r"\bparking\b", re.I), ("car park", "parking", "a place to park")),
    (re.compile(r"\binternet\b", re.I), ("wifi", "Wi-Fi", "internet", "wireless internet")),
    (re.compile(r"\bguest ?house\b", re.I), ("bed and breakfast", "guest house", "B&B", "guesthouse")),
]
_FRAMES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"^I am looking for\b|^I'm looking for\b|^I need\b", re.I),
     ("I'd like", "I'm searching for", "Could you find me", "I want", "I need")),
    (re.compile(r"^Can you help me find\b|^Could you help me find\b", re.I),
     ("Help me find", "I'd like to find", "Please find me", "Can you look up")),
    (re.compile(r"\bCould you give me the\b", re.I), ("What is the", "May I have the", "Tell me the")),
    (re.compile(r"\bPlease book it\b", re.I), ("Go ahead and book it", "Can you reserve it", "Book it")),
]
_OPENERS = ("", "", "", "Hmm, ", "OK, so ", "Right. ", "Alright, ")


def paraphrase_user_text(text: str, rng: np.random.Generator, p_word: float = 0.8, p_frame: float = 0.5) -> str:
    """``text`` with synonyms and other frames (each rule applied with its chance)."""
    out = text
    for pattern, options in _WORDS:
        if pattern.search(out) and rng.random() < p_word:
            choice = options[int(rng.integers(len(options)))]
            out = pattern.sub(choice, out, count=1)
    for pattern, options in _FRAMES:
        if pattern.search(out) and rng.random() < p_frame:
            out = pattern.sub(options[int(rng.integers(len(options)))], out, count=1)
    opener = _OPENERS[int(rng.integers(len(_OPENERS)))]
    if opener and out and not out.lower().startswith(("hi", "hello", "thank", "great", "perfect")):
        out = opener + out[:1].lower() + out[1:] if not out.startswith("I ") and not out.startswith("I'") else opener + out
    return out


class ParaphraseUser(UserWrapper):
    """The agenda user (or ``inner``) with its text paraphrased; its acts and stops kept.

    Args:
        inner: the user to wrap (default: a fresh :class:`simulators.agenda.AgendaUser`).
        p_word / p_frame: chance each matching synonym / frame rule is applied.
    """

    name = "paraphrase_agenda"

    def __init__(self, inner: Any = None, p_word: float = 0.8, p_frame: float = 0.5, **options: Any):
        if inner is None:
            from simulators.agenda import AgendaUser

            inner = AgendaUser(**options)
        super().__init__(inner)
        self.p_word, self.p_frame = float(p_word), float(p_frame)

    def initial_state(self, request: UserRequest) -> Any:
        return 0

    def transform_turn(self, request: UserRequest, turn: UserTurn, state: Any) -> tuple[UserTurn, Any]:
        n = int(state or 0)
        if not turn.text:
            return turn, n + 1
        sid = getattr(request.scenario, "id", "")
        rng = np.random.default_rng([zlib.crc32(str(sid).encode()), int(request.seed or 0) % 2**32, n])
        text = paraphrase_user_text(turn.text, rng, self.p_word, self.p_frame)
        import dataclasses

        return dataclasses.replace(turn, text=text, meta={**turn.meta, "template_text": turn.text}), n + 1
