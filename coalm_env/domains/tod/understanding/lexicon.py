"""The variant lexicon: surface forms of closed-class values and entity names, built at run time.

:func:`fallback_lexicon` is the hand-written table (:mod:`.synonyms`) alone: what Travel, which has no
dialogue data, reads with. :func:`load_lexicon` adds, from a MultiWOZ folder when it is there, the
ontology's value spellings and the surface forms annotated in the **val** dialogues (``span_info``: act,
slot, value, first and last word), mapped onto canonical values and database names. The test split is
never read: the environments play it. Results are cached per folder for the process.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from coalm_env.domains.tod.understanding.synonyms import SYNONYMS
from coalm_env.domains.tod.understanding.tokens import PhraseIndex, Token, phrase_key

__all__ = ["Lexicon", "fallback_lexicon", "load_lexicon", "VAL_DIALOGUES", "SPAN_SLOTS", "read_db_names"]

#: the one dialogue file the lexicon may read (relative to the MultiWOZ folder)
VAL_DIALOGUES = "convlab_mwz21_valtest/val.json"
#: MultiWOZ's short act-slot names -> schema slot names (closed classes and names only)
SPAN_SLOTS = {"Area": "area", "Price": "pricerange", "Type": "type", "Food": "food", "Day": "day", "Name": "name"}
_DOMAINS = ("restaurant", "hotel", "attraction")
#: words around a value that do not change it ("the west side of town", "centre area", "in the centre")
_FILLER = frozenset("the a an in on of at side part parts area areas town city cambridge located end region "
                    "section zone range price priced type".split())


@dataclass
class Lexicon:
    """Surface forms per slot.

    Attributes:
        values: ``{slot: {surface form: canonical value}}`` for the closed-class slots.
        name_variants: ``{domain: {surface form: database name}}`` mined from annotations.
        sources: the files that went into it (for reports and the test-split guard).
    """

    values: dict[str, dict[str, str]] = field(default_factory=dict)
    name_variants: dict[str, dict[str, str]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def add(self, slot: str, surface: str, value: str) -> None:
        """Record one surface form (the first value recorded for a form wins)."""
        if phrase_key(surface):
            self.values.setdefault(slot, {}).setdefault(surface, value)
            self.__dict__.pop("indexes", None)  # rebuilt on next use

    @functools.cached_property
    def indexes(self) -> dict[str, PhraseIndex]:
        """One :class:`~.tokens.PhraseIndex` per slot, longest forms first."""
        return {slot: PhraseIndex(forms.items()) for slot, forms in self.values.items()}

    def canonical(self, slot: str, value: str) -> str | None:
        """The canonical value a whole surface form stands for, or ``None``."""
        index = self.indexes.get(slot)
        if index is None:
            return None
        key = phrase_key(value)
        hits = index.find([Token(w, 0, 0) for w in key])
        if len(hits) == 1 and hits[0][:2] == (0, len(key)):
            return hits[0][2]
        # "west side of town", "the centre area": the one value named, among filler words only
        rest = [w for i, w in enumerate(key) if not any(s <= i < e for s, e, _ in hits)]
        if len({h[2] for h in hits}) == 1 and len(hits) == 1 and all(w in _FILLER for w in rest):
            return hits[0][2]
        return None


def fallback_lexicon() -> Lexicon:
    """The hand-written synonym table alone (no data needed)."""
    lex = Lexicon(sources=("synonyms",))
    for slot, table in SYNONYMS.items():
        for value, forms in table.items():
            for form in forms:
                lex.add(slot, form, value)
    return lex


def read_db_names(folder: Path) -> dict[str, list[str]]:
    """``{domain: [names]}`` of the restaurant, hotel and attraction databases in ``folder/db``."""
    out = {}
    for d in _DOMAINS:
        path = folder / "db" / f"{d}_db.json"
        if path.is_file():
            out[d] = [r["name"] for r in json.loads(path.read_text()) if r.get("name")]
    return out


@functools.lru_cache(maxsize=4)
def load_lexicon(folder: str | Path | None) -> Lexicon:
    """The fallback table plus what the MultiWOZ ``folder`` holds (ontology, val ``span_info``, DB
    spellings); the fallback alone when ``folder`` is ``None`` or lacks the files."""
    lex = fallback_lexicon()
    if folder is None or not Path(folder).is_dir():
        return lex
    folder = Path(folder)
    sources = list(lex.sources)
    for d, slot in (("restaurant", "food"), ("attraction", "type"), ("hotel", "type")):
        path = folder / "db" / f"{d}_db.json"
        if path.is_file():
            for r in json.loads(path.read_text()):
                if r.get(slot):
                    lex.add(slot, r[slot], r[slot])
            sources.append(str(path))
    _add_ontology(lex, folder / "ontology.json", sources)
    names = read_db_names(folder)
    _add_spans(lex, folder / VAL_DIALOGUES, names, sources)
    lex.sources = tuple(sources)
    return lex


def _add_ontology(lex: Lexicon, path: Path, sources: list[str]) -> None:
    if not path.is_file():
        return
    found = []
    for key, values in json.loads(path.read_text()).items():
        slot = key.split("-", 1)[1]
        if slot not in SYNONYMS:
            continue
        for v in values:
            if "|" in v or ">" in v or v in ("none", "dontcare"):
                continue
            found.append((slot, v, lex.canonical(slot, v) or v))  # "guest house" -> guesthouse; a new food is itself
    for slot, v, canon in found:
        lex.add(slot, v, canon)
    sources.append(str(path))


def _add_spans(lex: Lexicon, path: Path, names: Mapping[str, list[str]], sources: list[str]) -> None:
    if not path.is_file():
        return
    from coalm_env.domains.tod.understanding.names import COMMON_WORDS, NameIndex

    indexes = {d: NameIndex(ns) for d, ns in names.items()}
    counts: Counter[tuple[str, str, str]] = Counter()
    for dialogue in json.loads(path.read_text()).values():
        for turn in dialogue.get("log", ()):
            words = turn.get("text", "").split()
            for act, short, value, first, last in turn.get("span_info", ()):
                slot = SPAN_SLOTS.get(short)
                surface = " ".join(words[int(first):int(last) + 1])
                if slot is not None and surface:
                    counts[(act.split("-")[0].lower(), slot, surface.lower(), str(value).lower())] += 1
    found = []
    for (domain, slot, surface, value), _n in counts.items():
        if slot == "name":
            index = indexes.get(domain)
            name = index.resolve(value) if index else None
            generic = any(lex.canonical(s, surface) for s in SYNONYMS) or all(w in COMMON_WORDS for w in
                                                                               phrase_key(surface))
            if name is not None and not generic and index.resolve(surface) in (None, name):
                lex.name_variants.setdefault(domain, {}).setdefault(surface, name)
        else:
            canon = lex.canonical(slot, value)
            if canon is not None and not surface.startswith("same "):  # "same area": coreference, not a form
                found.append((slot, surface, canon))
    for slot, surface, canon in found:
        lex.add(slot, surface, canon)
    sources.append(str(path))
