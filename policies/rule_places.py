"""Entity names and places in user text, for the rule policy.

Names the agent has seen in tool results are masked with placeholders (``zzent0zz``) before anything
else is read, so words inside a name ("the jade museum", "arts centre") are not taken for values; taxi
and train places get a role (departure or destination) from the words before them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from coalm_env.text import word_key

__all__ = ["ENT_RE", "PLACE_REFS", "mask_names", "place_role", "free_places"]

ENT_RE = re.compile(r"zzent(\d+)zz")
#: the spellings of "guesthouse" inside a name ("bright guest house" said "bright bed and breakfast")
_GUESTHOUSE = r"(?:guest[\s\W]*house|bed[\s\W]+(?:and|&)[\s\W]+breakfast|b[\s\W]*&[\s\W]*b)"
_ENT = "zzent{}zz"
#: first words of a "from X" / "to X" capture that show X is not a place
_NOT_PLACES = {"me", "us", "go", "get", "be", "leave", "arrive", "pick", "travel", "book", "make", "have", "take",
               "find", "know", "reach", "visit", "see", "eat", "stay", "ride", "head", "depart", "drive", "catch",
               "ask", "arrange", "order", "reserve", "there", "here", "it", "my", "a", "an", "your", "their", "what",
               "commute", "come", "bring", "drop", "transport", "shuttle", "carry", "both", "each", "and"}
#: words that refer to the entity on offer in a domain ("a taxi from the hotel")
PLACE_REFS = {"restaurant": ("restaurant",), "hotel": ("hotel", "guesthouse", "guest house"),
              "attraction": ("attraction", "museum", "college", "park", "theatre", "gallery", "cinema", "church",
                             "pool", "club", "nightclub", "boat", "hall")}


def mask_names(text: str, names: Sequence[str]) -> tuple[str, list[str]]:
    """``text`` with every known name replaced by a placeholder, and the names by placeholder index."""
    found: list[str] = []
    # ASCII text: a name's pattern can match only where its plain words occur as substrings (any case), so
    # names whose words are absent are skipped before their pattern is compiled (other text: every pattern)
    low = text.lower() if text.isascii() else None
    for name in sorted(set(names), key=lambda n: -len(n)):
        if low is not None and not all(part in low for part in _name_literals(name)):
            continue
        pattern = _name_pattern(name)
        if pattern is not None and pattern.search(text):
            text = pattern.sub(f" {_ENT.format(len(found))} ", text)
            low = text.lower() if low is not None else None
            found.append(name)
    return text, found


@functools.lru_cache(maxsize=1 << 14)
def _name_literals(name: str) -> tuple[str, ...]:
    """The substrings every match of :func:`_name_pattern` holds (lower case): each plain word, less the
    final "s" of a word that may take an apostrophe; nothing for the spellings of "guest house"."""
    words = word_key(name).removeprefix("the ").split()
    out, i = [], 0
    while i < len(words):
        size = 1 if words[i] == "guesthouse" else 2 if words[i:i + 2] == ["guest", "house"] else \
            3 if words[i:i + 3] == ["bed", "and", "breakfast"] else 0
        if size:
            i += size
            continue
        word = words[i].replace("'", "")
        out.append(word[:-1] if len(word) > 3 and word.endswith("s") else word)
        i += 1
    return tuple(out)


@functools.lru_cache(maxsize=1 << 14)
def _name_pattern(name: str) -> re.Pattern[str] | None:
    """The compiled pattern of a name (``None`` for a name without words), built once per name."""
    words = word_key(name).removeprefix("the ").split()
    if not words:
        return None
    return re.compile(r"(?<![A-Za-z0-9])(?:the\s+)?" + _name_body(words) + r"(?![A-Za-z0-9])", re.IGNORECASE)


def _name_body(words: list[str]) -> str:
    """A name's words as a pattern, any punctuation or spacing between them; "guest house" in any of its
    spellings ("bright guest house" said "bright bed and breakfast"); a final "s" with or without an
    apostrophe ("london kings cross" said "London King's Cross")."""
    parts, i = [], 0
    while i < len(words):
        size = 1 if words[i] == "guesthouse" else 2 if words[i:i + 2] == ["guest", "house"] else \
            3 if words[i:i + 3] == ["bed", "and", "breakfast"] else 0
        if size:
            parts.append(_GUESTHOUSE)
            i += size
        else:
            word = words[i].replace("'", "")
            parts.append(re.escape(word[:-1]) + "'?s" if len(word) > 3 and word.endswith("s") else re.escape(word))
            i += 1  # "kings" and "king's" alike
    return r"[\s\W]+".join(parts)


def place_role(before: str) -> str | None:
    """The role of a place from the words before it; ``None`` when no cue says."""
    src = max((m.end() for m in re.finditer(r"\bfrom\b|\bpick|\bleav|\bdepart|\bstart", before)), default=-1)
    dst = max((m.end() for m in re.finditer(r"\bto\b|\binto\b|\btowards\b|\barriv|\bgo\b|\bget\b|\breach|"
                                            r"\bdestination|\bheading|\b(?:be|am|are|get|getting) in\b", before)),
              default=-1)
    if src == dst == -1:
        return None
    return "departure" if src > dst else "destination"


def free_places(text: str, taken: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Places the agent has never seen: ``from X`` / ``to Y`` with X, Y as written."""
    out = []
    for m in re.finditer(r"\b(from|to)\s+(?:the\s+)?([a-z0-9' ]+?)(?=\s+(?:to|from|at|by|and|leaving|arriving|"
                         r"after|before|on|please|around|so|in time|going|heading|departing|getting|travelling|"
                         r"traveling|then|for|with|instead|that|which|who|so that)\b|$)", text):
        place = m.group(2).strip()
        if place.split()[0] in _NOT_PLACES or ENT_RE.search(place) or len(place) < 3:
            continue
        if any(place in words for words in PLACE_REFS.values()):
            continue
        if not any(abs(p - m.start(2)) < 3 for p, _n in taken):
            out.append((m.start(2), place))
    return out
