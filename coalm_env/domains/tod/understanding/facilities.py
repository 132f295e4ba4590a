"""Yes/no facilities said as phrases (``"free Wi-Fi"``, ``"no parking"``, ``"doesn't have internet"``,
``"parking is not available"``) and free entrance said as ``"doesn't charge admission"``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from coalm_env.domains.tod.understanding.patterns import Span
from coalm_env.domains.tod.understanding.synonyms import FACILITY_WORDS, FREE_FEE
from coalm_env.domains.tod.understanding.tokens import PhraseIndex, Token

__all__ = ["facility_values", "fee_free", "fee_unknown", "FEE_UNKNOWN"]

_FACILITY = {slot: PhraseIndex((w, slot) for w in words) for slot, words in FACILITY_WORDS.items()}
_FREE = PhraseIndex((w, "free") for w in FREE_FEE)
_NEG_BEFORE = frozenset({"no", "not", "doesnt", "dont", "didnt", "isnt", "arent", "without", "lacks", "lack",
                         "neither", "nor", "nt", "cannot", "cant", "wont", "never", "unfortunately"})
_NEG_AFTER = frozenset({"not", "isnt", "arent", "unavailable", "no", "none", "nt", "wasnt", "lacking"})
_STOP_BEFORE = frozenset({"but", "however", "although", "though", "whereas", "while", "yet", "also", "plus",
                          "offers", "has", "have", "with", "includes", "provides", "free", "and"})
_CHARGE = frozenset({"charge", "charges", "fee", "admission", "entry", "entrance", "cost"})


def _boundary(low: str, a: Token, b: Token) -> bool:
    return any(c in low[a.end:b.start] for c in ".,;!?\n")


def facility_values(tokens: Sequence[Token], low: str, slot: str) -> list[Span]:
    """``(start, end, "yes"|"no")`` for each mention of the facility ``slot`` (``parking``/``internet``)."""
    out: list[Span] = []
    for s, e, _ in _FACILITY[slot].find(tokens):
        value = "no" if _negated_before(tokens, low, s) or _negated_after(tokens, low, e) else "yes"
        out.append((tokens[s].start, tokens[e - 1].end, value))
    return out


def _negated_before(tokens: Sequence[Token], low: str, s: int) -> bool:
    for j in range(s - 1, max(-1, s - 6), -1):
        if _boundary(low, tokens[j], tokens[j + 1]):
            return False
        w = tokens[j].word
        if w in _NEG_BEFORE:
            # "doesn't have parking", "no free wifi"; but "not only parking", "no charge for parking" are yes
            return not (j + 1 < len(tokens) and tokens[j + 1].word in ("only", "charge", "extra", "problem"))
        if w in _STOP_BEFORE and j < s - 1 and w not in ("free", "has", "have", "with"):
            return False
    return False


def _negated_after(tokens: Sequence[Token], low: str, e: int) -> bool:
    for j in range(e, min(len(tokens), e + 3)):
        if _boundary(low, tokens[j - 1], tokens[j]):
            return False
        if tokens[j].word in _NEG_AFTER:
            return True
    return False


def fee_free(tokens: Sequence[Token]) -> list[Span]:
    """``(start, end, "free")`` where the text says entrance costs nothing."""
    out = []
    for s, e, _ in _FREE.find(tokens):
        if tokens[s].word in ("doesnt", "does", "dont", "do") and not any(
                t.word in _CHARGE or t.word == "pay" for t in tokens[e - 1:e + 3]):
            continue
        if tokens[s].word == "free" and e == s + 1 and e < len(tokens) and tokens[e].word in (
                "parking", "wifi", "internet", "wi", "wireless", "car"):
            continue  # "free parking" is a facility, not a fee
        out.append((tokens[s].start, tokens[e - 1].end, "free"))
    return out


#: the value an unknown entrance fee reads as (MultiWOZ annotates "not listed", "unknown", "?" ...)
FEE_UNKNOWN = "unknown"
_UNKNOWN = re.compile(
    r"\b(?:unknown|unsure|not (?:currently )?(?:listed|known|available|sure|certain|provided|shown|given)|no currently listed|"
    r"unavailable|(?:not|n't|never) (?:have|know|see|show|list|include|find|got|access)\w*(?: (?:any|that|the|their|its|"
    r"an?|price|this|access to))*(?: (?:information|info|details|entrance fee|entry fee|fee|admission|price|cost)\w*)?"
    r"|no (?:information|info|details|listing|record|data)|does not list|doesn't list)\b")
_FEE_WORD = re.compile(r"\b(?:fee|fees|admission|entry|entrance|cost|costs|price|prices|charge|information|info|"
                       r"that|unsure|unknown)\b")


def fee_unknown(low: str) -> list[Span]:
    """``(start, end, "unknown")`` where the text says the entrance fee is not known ("is not listed", "I don't
    have that information", "unknown")."""
    if _FEE_WORD.search(low) is None:
        return []
    return [(m.start(), m.end(), FEE_UNKNOWN) for m in _UNKNOWN.finditer(low)]
