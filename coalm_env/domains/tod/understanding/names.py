"""Entity names in free text: exact variants (with or without ``the``, short forms, mined spellings) first,
then fuzzy matching (rapidfuzz) for misspellings, conservatively.

Short forms drop a generic last word (``"fitzbillies restaurant"`` -> ``"fitzbillies"``) when what is left
is distinctive (not a common word, unique among the names). The fuzzy pass only looks at windows of the
text holding a word that is not a common word, so ordinary sentences cost almost nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rapidfuzz import fuzz, process

from coalm_env.domains.tod.understanding.tokens import PhraseIndex, Token, phrase_key

__all__ = ["NameIndex", "GENERIC_SUFFIXES", "COMMON_WORDS"]

#: last words a person may leave out of a name
GENERIC_SUFFIXES = ("restaurant", "hotel", "guest house", "guesthouse", "house", "bar", "cafe", "museum",
                    "gallery", "theatre", "church", "college", "lodge", "inn", "bed and breakfast", "b and b",
                    "and grill", "restaurant and bar", "pub", "centre", "pool", "park")
#: words never taken alone as a name, and never a reason to try fuzzy matching
COMMON_WORDS = frozenset(
    "the a an and of in on at to for from with by is are was be it its this that there here you your we our i "
    "me my they them he she his her as or but not no yes so if what which who where when how would could can "
    "will shall should may might do does did have has had get got make like just also very more most some any "
    "all one two three four five six seven eight nine ten about please thank thanks okay ok sure great good "
    "nice lovely well help else anything something booked book booking reference number phone address "
    "postcode post code area price range cheap moderate expensive centre center north south east west "
    "restaurant hotel guesthouse guest house attraction museum college park theatre cinema train taxi "
    "station street road place city town cambridge food serves located offers free parking internet wifi "
    "star stars rating day time people night nights leave leaves arrive arrives depart departs minutes "
    "pounds ticket tickets table room rooms entrance fee open sorry unfortunately found find looking option "
    "options recommend suggest try called name named".split())


def _variants(name: str) -> list[tuple[str, ...]]:
    key = phrase_key(name)
    out = [key]
    if len(key) > 1 and key[0] == "the":
        out.append(key[1:])
    for base in list(out):
        for suffix in GENERIC_SUFFIXES:
            s = phrase_key(suffix)
            if len(base) > len(s) and base[-len(s):] == s:
                short = base[:-len(s)]
                if short[-1] not in ("the", "and", "of") and not all(w in COMMON_WORDS for w in short) \
                        and len(" ".join(short)) >= 4:
                    out.append(short)
    return out


class NameIndex:
    """Names of one domain's entities, found in token sequences.

    Args:
        names: the database spellings.
        variants: extra ``{surface form: database name}`` (mined from annotated dialogues).
        fuzzy_cutoff: the rapidfuzz ``ratio`` (0-100) a window must reach to count as a misspelling.
    """

    def __init__(self, names: Iterable[str], variants: Mapping[str, str] | None = None,
                 fuzzy_cutoff: float = 90.0):
        self.names = list(dict.fromkeys(str(n) for n in names))
        by_variant: dict[tuple[str, ...], set[str]] = {}
        for name in self.names:
            for v in _variants(name):
                by_variant.setdefault(v, set()).add(name)
        full = {phrase_key(n) for n in self.names}
        entries = [(v, sorted(ns)[0]) for v, ns in by_variant.items() if len(ns) == 1 or v in full]
        entries += [(phrase_key(s), n) for s, n in (variants or {}).items() if n in set(self.names)]
        self._index = PhraseIndex(entries)
        self._fuzzy_keys = {" ".join(v): n for v, n in entries if len(" ".join(v)) >= 5}
        self._choices = list(self._fuzzy_keys)
        self._lengths = sorted({len(k.split()) for k in self._choices}) or [1]
        self.cutoff = fuzzy_cutoff

    def find(self, tokens: Sequence[Token], fuzzy: bool = True) -> list[tuple[int, int, str]]:
        """``(first token, end token, name)`` of each name found, left to right."""
        found = self._index.find(tokens)
        if fuzzy and self._choices:
            taken = {i for s, e, _ in found for i in range(s, e)}
            found += self._fuzzy(tokens, taken)
        return sorted(found)

    def _fuzzy(self, tokens: Sequence[Token], taken: set[int]) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        rare = [i for i, t in enumerate(tokens) if i not in taken and t.word not in COMMON_WORDS
                and len(t.word) >= 4 and not t.word.isdigit()]
        seen: set[tuple[int, int]] = set()
        for i in rare:
            best: tuple[float, int, int, str] | None = None
            for n in self._lengths:
                for start in (i,):  # windows start at a rare word: names rarely start with a common one
                    end = start + n
                    if end > len(tokens) or (start, end) in seen or any(j in taken for j in range(start, end)):
                        continue
                    seen.add((start, end))
                    window = " ".join(t.word for t in tokens[start:end])
                    hit = process.extractOne(window, self._choices, scorer=fuzz.ratio, score_cutoff=self.cutoff)
                    if hit and (best is None or hit[1] > best[0]):
                        best = (hit[1], start, end, self._fuzzy_keys[hit[0]])
            if best is not None:
                out.append((best[1], best[2], best[3]))
                taken.update(range(best[1], best[2]))
        return out

    def resolve(self, text: str) -> str | None:
        """The database name that ``text`` (a whole name, maybe misspelled or short) stands for."""
        key = phrase_key(text)
        hits = self._index.find([Token(w, 0, 0) for w in key])
        if hits and hits[0][0] == 0 and hits[0][1] == len(key):
            return hits[0][2]
        hit = process.extractOne(" ".join(key), self._choices, scorer=fuzz.ratio, score_cutoff=self.cutoff - 5)
        return self._fuzzy_keys[hit[0]] if hit else None


def name_indexes(names: Mapping[str, Sequence[str]], variants: Mapping[str, Mapping[str, str]] | None = None,
                 ) -> dict[str, NameIndex]:
    """One :class:`NameIndex` per domain."""
    return {d: NameIndex(ns, (variants or {}).get(d)) for d, ns in names.items() if ns}
