"""Small text utilities shared by users, policies and scorers: value spotting, times, numbers.

These are lexicon-driven (no model): a value is "mentioned" when its normalised words occur in the
text as whole words. Good enough for template and most free-text replies; paraphrases that avoid the
value's surface form are missed (documented limit of the agenda user and the rule policy).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

__all__ = [
    "word_key", "alnum_key", "mentions", "find_mentions", "find_times", "find_time_spans", "find_numbers", "WORD_NUMBERS", "NUMBER_WORDS",
    "REFERENCE_RE", "MentionIndex", "mention_index",
]

#: small numbers as words (the one table users, policies and scorers share)
NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
WORD_NUMBERS = {**{k: v for k, v in NUMBER_WORDS.items() if v}, "a single": 1, "a couple of": 2, "just me": 1,
                "myself": 1}

#: booking references: 8 upper-case letters/digits containing at least one digit and one letter
REFERENCE_RE = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8}\b")

_NON_WORD = re.compile(r"[^a-z0-9:' ]+")
_NON_ALNUM = re.compile(r"[^a-z0-9]")


def word_key(text: str) -> str:
    """Word-level comparison key (mention spotting): lower-case, punctuation to spaces (keeps ``:`` for times and ``'``), single spaces, ``&`` -> ``and``."""
    text = text.lower().replace("&", " and ").replace("-", " ")
    return " ".join(_NON_WORD.sub(" ", text).split())


def alnum_key(text: object) -> str:
    """Letters-and-digits comparison key: ``"CB2 1UF"`` and ``"cb21uf"`` share one."""
    return _NON_ALNUM.sub("", str(text).lower())


def mentions(text: str, value: str) -> bool:
    """Whether ``value`` occurs in ``text`` as whole words (case/punctuation-insensitive)."""
    v = word_key(value)
    if not v:
        return False
    return contains_bounded(word_key(text), v)


def contains_bounded(text: str, v: str) -> bool:
    """Whether ``v`` occurs in ``text`` not inside a longer word or number: what
    ``re.search(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])", text)`` finds, without compiling a pattern per
    value (hundreds of distinct patterns per episode thrash re's cache). Both already lower case."""
    at = text.find(v)
    while at != -1:
        end = at + len(v)
        if (at == 0 or text[at - 1] not in _ALNUM) and (end == len(text) or text[end] not in _ALNUM):
            return True
        at = text.find(v, at + 1)
    return False


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


@functools.lru_cache(maxsize=256)
def _matcher(values: tuple[str, ...]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    by_key: dict[str, str] = {}
    for value in values:
        by_key.setdefault(word_key(value), value)
    by_key.pop("", None)
    if not by_key:
        return None, {}
    alternation = "|".join(re.escape(v) for v in sorted(by_key, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])"), by_key


def find_mentions(text: str, values: Iterable[str]) -> list[str]:
    """Values mentioned in ``text`` as whole words, each once, in order of first appearance; at
    one position the longest value wins (``"the golden house"`` over ``"golden house"``)."""
    pattern, by_key = _matcher(tuple(values))
    if pattern is None:
        return []
    out: dict[str, None] = {}
    for m in pattern.finditer(word_key(text)):
        out.setdefault(by_key[m.group(0)], None)
    return list(out)


_TIME_RE = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?![\d])", re.IGNORECASE)


def find_times(text: str) -> list[str]:
    """Clock times in ``text`` as ``HH:MM``: ``18:30``, ``6.30pm``, ``6 pm``, ``noon``, ``midnight``."""
    return [t for _start, t in find_time_spans(text)]


def find_time_spans(text: str) -> list[tuple[int, str]]:
    """``(start offset, "HH:MM")`` for each clock time in ``text`` (as :func:`find_times`; ``noon`` and
    ``midnight`` come last), so callers can read the words before a time."""
    out: list[tuple[int, str]] = []
    lowered = text.lower()
    for m in _TIME_RE.finditer(lowered):
        hour, minute, ampm = int(m.group(1)), m.group(2), m.group(3)
        if minute is None and ampm is None:
            continue  # a bare number is not a time
        if hour > 23 or (minute is not None and int(minute) > 59):
            continue
        if ampm and ampm.startswith("p") and hour < 12:
            hour += 12
        if ampm and ampm.startswith("a") and hour == 12:
            hour = 0
        out.append((m.start(), f"{hour:02d}:{int(minute or 0):02d}"))
    for word, value in (("noon", "12:00"), ("midnight", "00:00")):
        found = re.search(rf"\b{word}\b", lowered)
        if found:
            out.append((found.start(), value))
    return out


def find_numbers(text: str) -> list[int]:
    """Integers written as digits or small number words (not parts of times or references)."""
    lowered = text.lower()
    spans = [m.span() for m in _TIME_RE.finditer(lowered) if m.group(2) or m.group(3)]
    found: list[tuple[int, int]] = []
    for m in re.finditer(r"(?<![\w:.])(\d{1,3})(?![\w:])", lowered):
        if not any(s <= m.start() < e for s, e in spans):
            found.append((m.start(), int(m.group(1))))
    for word, value in WORD_NUMBERS.items():
        for m in re.finditer(rf"\b{word}\b", lowered):
            found.append((m.start(), value))
    return [v for _, v in sorted(found)]


class MentionIndex:
    """Fast whole-word spotting of many names (thousands of trainIDs) in one pass over a text.

    Unlike :func:`find_mentions` it also finds a name written without its leading ``the`` and
    ignores a possessive ``'s`` (``"Golden Kitchen's phone"`` mentions ``"the golden kitchen"``).
    """

    def __init__(self, names: Iterable[str]):
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for name in dict.fromkeys(names):
            alias = tuple(_words(str(name)))
            # "the" is optional before a name of two or more words ("golden kitchen" = "the golden
            # kitchen"); "the place" / "the junction" keep it, or "granta place" would name a venue
            if len(alias) > 2 and alias[0] == "the":
                alias = alias[1:]
            if alias:
                self._by_first.setdefault(alias[0], []).append((alias, name))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))

    def find(self, text: str) -> list[str]:
        """Names mentioned in ``text``, in order of appearance, each once, longest match first."""
        words = _tokens(text) if isinstance(text, str) and len(text) <= 8192 else tuple(_words(text))
        found: list[str] = []
        i = 0
        while i < len(words):
            for alias, name in self._by_first.get(words[i], ()):
                if tuple(words[i:i + len(alias)]) == alias:
                    if name not in found:
                        found.append(name)
                    i += len(alias) - 1
                    break
            i += 1
        return found


@functools.lru_cache(maxsize=1024)
def _tokens(text: str) -> tuple[str, ...]:
    """The words of ``text`` for :class:`MentionIndex` (kept per text up to 8 kB: one reply is scanned for
    the names of every domain, by the scorers and the users alike)."""
    return tuple(_words(text))


def _words(text: str) -> list[str]:
    out = []
    for word in word_key(text).split():
        word = word.removesuffix("'s").strip("':")
        if word:
            out.append(word)
    return out


@functools.lru_cache(maxsize=64)
def _cached_index(names: tuple[str, ...]) -> MentionIndex:
    return MentionIndex(names)


def mention_index(names: Iterable[str]) -> MentionIndex:
    """A cached :class:`MentionIndex` for ``names`` (built once per distinct list)."""
    return _cached_index(tuple(names))
