"""Tokens with character offsets, and a longest-match phrase index over them.

Text is read as lower-case letters-and-digits tokens. Clitics join their word whatever the spacing, so the
tokenised MultiWOZ text (``"does n't"``, ``"Saint 's"``) and ordinary text (``"doesn't"``, ``"Saint's"``)
give the same tokens (``doesnt``, ``saints``); ``&`` is the token ``and``. Every token keeps the span of
the original text it covers, so a match can report where it was found.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Token", "tokenize", "phrase_key", "PhraseIndex"]

_WORD = re.compile(r"[a-z0-9]+|&")
_CLITICS = frozenset({"s", "t", "d", "ll", "re", "ve", "m"})
_WORD_OF = operator.attrgetter("word")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


@dataclass(frozen=True, slots=True)
class Token:
    """One word: its normalised form and the ``[start, end)`` span of the text it came from."""

    word: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` (see the module docstring)."""
    low = text.lower().translate(_APOSTROPHES)
    out: list[Token] = []
    for m in _WORD.finditer(low):
        word, start = m.group(0), m.start()
        gap = low[out[-1].end:start] if out else ""
        if out and word in _CLITICS and gap.strip() == "'":
            prev = out.pop()  # "saint 's" -> saints, "doesn't" -> doesnt, "I 'd" -> id
            word, start, gap = prev.word + word, prev.start, low[out[-1].end:prev.start] if out else ""
        if out and word == "nt" and gap == " ":
            prev = out.pop()  # "does n't" -> doesnt
            word, start = prev.word + word, prev.start
        out.append(Token("and" if word == "&" else word, start, m.end()))
    return out


def phrase_key(text: str) -> tuple[str, ...]:
    """The token words of ``text``: the key phrases are indexed and looked up by (kept per text up to 256
    characters: the same candidate values and names are indexed again and again)."""
    if isinstance(text, str) and len(text) <= 256:
        return _phrase_key(text)
    return tuple(t.word for t in tokenize(text))


@functools.lru_cache(maxsize=1 << 15)
def _phrase_key(text: str) -> tuple[str, ...]:
    return tuple(t.word for t in tokenize(text))


class PhraseIndex:
    """Longest-match spotting of many phrases in token sequences.

    Args:
        entries: ``(phrase, value)`` pairs; a phrase is text (tokenised here) or a tuple of words. The
            first value given for a phrase wins.
    """

    def __init__(self, entries: Iterable[tuple[str | Sequence[str], str]] = ()):
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._seen: set[tuple[str, ...]] = set()
        for phrase, value in entries:
            self.add(phrase, value)

    def add(self, phrase: str | Sequence[str], value: str) -> None:
        """Index one phrase (a no-op when already indexed)."""
        key = phrase_key(phrase) if isinstance(phrase, str) else tuple(phrase)
        if not key or key in self._seen:
            return
        self._seen.add(key)
        entries = self._by_first.setdefault(key[0], [])
        # longest first, phrases of one length in the order added (what a stable sort by -len gives)
        at = len(entries)
        while at and len(entries[at - 1][0]) < len(key):
            at -= 1
        entries.insert(at, (key, value))

    def __contains__(self, phrase: object) -> bool:
        return (phrase_key(phrase) if isinstance(phrase, str) else tuple(phrase)) in self._seen  # type: ignore[arg-type]

    def find(self, tokens: Sequence[Token]) -> list[tuple[int, int, str]]:
        """``(first token, end token, value)`` of each non-overlapping match, left to right."""
        by_first = self._by_first
        words = list(map(_WORD_OF, tokens))
        if by_first.keys().isdisjoint(words):  # most texts hold none of a slot's words
            return []
        starts = [i for i, w in enumerate(words) if w in by_first]
        out: list[tuple[int, int, str]] = []
        after = 0  # the end of the last match (matches do not overlap)
        for i in starts:
            if i < after:
                continue
            for key, value in by_first[words[i]]:
                k = len(key)
                if k == 1 or tuple(words[i:i + k]) == key:
                    out.append((i, i + k, value))
                    after = i + k
                    break
        return out
