"""``ToolSearcher``: BM25 retrieval over the API descriptions (rank-bm25).

The original embeds ``"<name split into words><description>"`` with a sentence-transformer and returns
the most similar API (with ``GetUserToken`` in front when the API takes a token). Here the same
texts are ranked with BM25 (deterministic, offline, no model download). CamelCase is split, so
level-3 keywords such as ``QueryMeeting`` match ``query meeting``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["tokenize", "BM25Index", "ToolSearcher", "search_text", "retrieved_names"]

_STOP = frozenset(
    "a an the of for to in on and or is are be this that api given user's with by from it its as at "
    "which can will includes include including parameter parameters".split()
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


_SUFFIXES = ("ations", "ation", "ings", "ing", "ions", "ion", "ors", "or", "ers", "er", "ed", "es", "s", "e")


def _stem(word: str) -> str:
    """A crude suffix strip so that calculate/calculator and schedule/scheduler meet."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, CamelCase split, stop words dropped, crude suffix stemming."""
    words = re.findall(r"[a-z0-9]+", _CAMEL.sub(" ", str(text)).lower())
    return [_stem(w) for w in words if w not in _STOP]


def search_text(description: dict[str, Any]) -> str:
    """What is indexed for an API: its name in words, then its description (as the original)."""
    return f"{_CAMEL.sub(' ', description['name'])} {description['description']}"


class BM25Index:
    """BM25 over ``(key, text)`` documents."""

    def __init__(self, documents: Sequence[tuple[str, str]]):
        from rank_bm25 import BM25Okapi  # imported here: only retrieval needs it

        self.keys = [k for k, _ in documents]
        self._bm25 = BM25Okapi([tokenize(t) or ["_"] for _, t in documents])

    def rank(self, query: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` best keys with their scores, best first (ties keep document order)."""
        scores = self._bm25.get_scores(tokenize(query))
        order = sorted(range(len(self.keys)), key=lambda i: (-scores[i], i))
        return [(self.keys[i], float(scores[i])) for i in order[:k]]


class ToolSearcher:
    """Retrieves the API that best matches keywords, shaped as the benchmark's ``best_matchs``."""

    def __init__(self, descriptions: dict[str, dict[str, Any]]):
        self.descriptions = {n: d for n, d in descriptions.items() if n != "ToolSearcher"}
        self.index = BM25Index([(n, search_text(d)) for n, d in self.descriptions.items()])

    def card(self, name: str) -> dict[str, Any]:
        """The description shown for a retrieved API."""
        d = self.descriptions[name]
        return {k: d[k] for k in ("name", "description", "input_parameters", "output_parameters")}

    def best_matches(self, names: Sequence[str]) -> Any:
        """The output for a best match: its card, after GetUserToken's when it needs a token."""
        best = names[-1]
        if "token" in self.descriptions[best].get("input_parameters", {}) and "GetUserToken" in self.descriptions:
            return [self.card("GetUserToken"), self.card(best)]
        return self.card(best)

    def search(self, keywords: str) -> Any:
        """``best_matchs`` for ``keywords`` (a card, or ``[GetUserToken card, card]``). Keywords that
        spell an API's name (any case or spacing) retrieve that API."""
        squashed = re.sub(r"[^a-z0-9]", "", str(keywords).lower())
        named = [n for n in self.descriptions if n.lower() == squashed]
        if named:
            return self.best_matches(named)
        ranked = self.index.rank(str(keywords), 1)
        if not tokenize(str(keywords)) or not ranked or ranked[0][1] <= 0:
            return self.best_matches([self._fallback(str(keywords))])
        return self.best_matches([ranked[0][0]])

    def _fallback(self, keywords: str) -> str:
        """With no word overlap, the API whose name shares the most letters with the keywords."""
        import difflib

        names = list(self.descriptions)
        scores = [difflib.SequenceMatcher(None, keywords.lower(), n.lower()).ratio() for n in names]
        return names[max(range(len(names)), key=lambda i: (scores[i], -i))]


def retrieved_names(output: Any) -> list[str]:
    """API names in a ToolSearcher output (a card or a list of cards)."""
    cards = output if isinstance(output, list) else [output]
    return [c["name"] for c in cards if isinstance(c, dict) and isinstance(c.get("name"), str)]
