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


#: words after which a short form or a misspelling names a street, not the venue ("Trinity Lane",
#: "4 Kings Parade", "Lensfield Road", "London Kings Cross")
STREET_WORDS = frozenset("street st lane road rd terrace parade avenue ave way hill close square row cross drive "
                         "court crescent walk passage lynn hedges".split())


def _variants(name: str) -> list[tuple[str, ...]]:
    key = phrase_key(name)
    out = [key]
    if len(key) > 1 and key[0] == "the" and not all(w in COMMON_WORDS for w in key[1:]):
        out.append(key[1:])  # "the place" is a name, "place" is a word
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
        # "the place" said without its "the" is a name only when capitalised ("I'd recommend Place, a nightclub")
        self._cased = PhraseIndex((k[1:], n) for n in self.names for k in [phrase_key(n)]
                                  if len(k) > 1 and k[0] == "the" and all(w in COMMON_WORDS for w in k[1:]))
        #: keys that stand for a name as a whole (with or without "the", mined spellings); the others are
        #: short forms, which do not count before a street word
        self._whole = {v for v, n in entries if v == phrase_key(n) or phrase_key(n)[:1] == ("the",) and
                       v == phrase_key(n)[1:]}
        self._fuzzy_keys = {" ".join(v): n for v, n in entries if len(" ".join(v)) >= 5}
        self._choices = list(self._fuzzy_keys)
        self._lengths = sorted({len(k.split()) for k in self._choices}) or [1]
        self.cutoff = fuzzy_cutoff
        self._length_set = frozenset(self._lengths)
        # ratio >= cutoff needs 2 min(a, b) / (a + b) >= cutoff: no window longer than this can match a key
        longest_key = max((len(k) for k in self._choices), default=0)
        self._max_chars = int(longest_key * (2 / (fuzzy_cutoff / 100) - 1)) + 1
        self._near: dict[int, list[str]] = {}  # window length -> the choices a ratio >= cutoff allows
        self._memo: dict[str, tuple[float, str] | None] = {}  # window -> best fuzzy hit

    def find(self, tokens: Sequence[Token], fuzzy: bool = True, text: str | None = None) -> list[tuple[int, int, str]]:
        """``(first token, end token, name)`` of each name found, left to right (``text``: the text the tokens
        come from, for names of common words said capitalised without their "the")."""
        found = [h for h in self._index.find(tokens)
                 if tuple(t.word for t in tokens[h[0]:h[1]]) in self._whole or not _street(tokens, h[1])]
        if text is not None and self._cased._by_first:
            taken = {i for s, e, _ in found for i in range(s, e)}
            found += [h for h in self._cased.find(tokens) if h[0] not in taken and text[tokens[h[0]].start].isupper()
                      and (h[0] == 0 or tokens[h[0] - 1].word != "the")]
        if fuzzy and self._choices:
            taken = {i for s, e, _ in found for i in range(s, e)}
            found += [h for h in self._fuzzy(tokens, taken) if not _street(tokens, h[1])]
        return sorted(found)

    def _best(self, window: str) -> tuple[float, str] | None:
        """The best fuzzy key for a window (memoised; only keys of a length the cutoff allows are scored)."""
        if window in self._memo:
            return self._memo[window]
        n = len(window)
        near = self._near.get(n)
        if near is None:
            # ratio = 2 M / (a + b) <= 2 min(a, b) / (a + b): keys much shorter or longer cannot reach the cutoff
            c = self.cutoff / 100
            near = self._near[n] = [k for k in self._choices if 2 * min(n, len(k)) / (n + len(k)) >= c - 1e-9]
        hit = process.extractOne(window, near, scorer=fuzz.ratio, score_cutoff=self.cutoff) if near else None
        best = None
        if hit and not (window.startswith(hit[0]) and window[len(hit[0]):] != "s" or hit[0].startswith(window)):
            # "indian"/"india", "kettl"/"kettle": another word or a cut one, not a misspelling (a possessive
            # "kettle 's" -> "kettles" is the name)
            best = (hit[1], hit[0])
        if len(self._memo) > 50000:
            self._memo.clear()
        self._memo[window] = best
        return best

    def _fuzzy(self, tokens: Sequence[Token], taken: set[int]) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        rare = [i for i, t in enumerate(tokens) if i not in taken and t.word not in COMMON_WORDS
                and len(t.word) >= 4 and not t.word.isdigit()]
        lengths, longest, n_tokens = self._length_set, self._lengths[-1], len(tokens)
        for i in rare:  # windows start at a rare word: names rarely start with a common one
            if i in taken:
                continue
            best: tuple[float, int, int, str] | None = None
            window = ""
            for end in range(i + 1, min(n_tokens, i + longest) + 1):
                if end - 1 in taken:
                    break
                window = tokens[i].word if end == i + 1 else f"{window} {tokens[end - 1].word}"
                if len(window) > self._max_chars:
                    break  # longer windows cannot reach the cutoff against any key
                if end - i not in lengths:
                    continue
                hit = self._best(window)
                if hit and (best is None or hit[0] > best[0]):
                    best = (hit[0], i, end, self._fuzzy_keys[hit[1]])
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


def _street(tokens: Sequence[Token], end: int) -> bool:
    return end < len(tokens) and tokens[end].word in STREET_WORDS


def name_indexes(names: Mapping[str, Sequence[str]], variants: Mapping[str, Mapping[str, str]] | None = None,
                 ) -> dict[str, NameIndex]:
    """One :class:`NameIndex` per domain."""
    return {d: NameIndex(ns, (variants or {}).get(d)) for d, ns in names.items() if ns}
