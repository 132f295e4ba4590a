"""The MultiWOZ databases, normalised to the slot names of :mod:`coalm_env.domains.tod.schema`.

Read from ``db/*.json`` of the ``multiwoz24`` dataset (the files mwzeval ships); police and hospital
from ``db_convlab2/`` when present (it adds their address and postcode). Normalisation:
- every value a string; attraction ``mutliple sports`` -> ``multiple sports`` (as mwzeval and ConvLab);
- hotel ``price`` (``{single, double, family}``) -> one string ``"single 50 pounds, double 70 pounds, ..."``;
- ``id``, ``location``, ``introduction``, ``signature``, ``takesbookings`` dropped (not slots);
- hospital entries get ``name`` ``addenbrookes hospital`` (one hospital, many departments).
``?`` (unknown) becomes ``unknown``, which (as ``?`` in the evaluators) matches any constraint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env import data
from coalm_env.backend.store import Store, StoreView
from coalm_env.domains.multiwoz.values import alternatives, dst_value, name_spelling_key
from coalm_env.domains.tod import db
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.tod.vocab import _value_key, clock_time

__all__ = ["DOMAINS", "MultiWOZDatabase", "load_database", "matches", "api_lexicon"]

DOMAINS = ("restaurant", "hotel", "attraction", "train", "taxi", "police", "hospital")
_DROP = {"id", "location", "introduction", "signature", "takesbookings", "n"}
_LEXICON_SLOTS = ("food", "area", "pricerange", "type", "stars", "parking", "internet", "departure",
                  "destination", "day", "department")
UNKNOWN = "unknown"
_INDEXED = ("day", "departure", "destination")


def _record(domain: str, raw: Mapping[str, Any]) -> dict[str, str]:
    rec: dict[str, str] = {}
    for key, value in raw.items():
        if key in _DROP:
            continue
        if key == "price" and isinstance(value, dict):
            value = ", ".join(f"{k} {v} pounds" for k, v in sorted(value.items()))
        rec[key] = str(value).strip()
        if rec[key] == "?":
            rec[key] = UNKNOWN
    if domain in ("restaurant", "hotel", "attraction", "police"):
        rec["name"] = rec["name"].lower()
    if domain == "attraction" and rec.get("type"):
        rec["type"] = dst_value("type", rec["type"])
    if domain == "hospital":
        rec.setdefault("name", "addenbrookes hospital")
    return rec


def _read(domain: str) -> list[dict[str, Any]]:
    if domain in ("police", "hospital") and data.dataset_dir("multiwoz24").joinpath("db_convlab2").is_dir():
        rows = data.read_json("multiwoz24", "db_convlab2", f"{domain}_db.json")
    else:
        rows = data.read_json("multiwoz24", "db", f"{domain}_db.json")
    return rows if isinstance(rows, list) else [rows]


def _keyed(domain: str, rows: Sequence[Mapping[str, str]]) -> dict[str, Mapping[str, str]]:
    """Rows by entity key; a repeated key (336 trainIDs run on two routes) gets ``#2``, ``#3``, ..."""
    out: dict[str, Mapping[str, str]] = {}
    for row in rows:
        key = base = db.record_key(domain, row)
        n = 1
        while key in out:
            n += 1
            key = f"{base}#{n}"
        out[key] = row
    return out


def _sorted(domain: str, rows: list) -> list:
    if domain == "train":
        rows.sort(key=lambda r: (clock_time(r.get("leaveAt", "")), r.get("trainID", "")))
    return rows


def _stem(name: str) -> str:
    """:func:`name_spelling_key` without a generic trailing word (``"meze bar restaurant"`` ~ ``"meze bar"``)."""
    key = name_spelling_key(name)
    for suffix in ("restaurant", "hotel", "guesthouse"):
        if key.endswith(suffix) and len(key) > len(suffix) + 2:
            return key[: -len(suffix)]
    return key


def matches(record: Mapping[str, Any], constraints: Mapping[str, Any]) -> bool:
    """MultiWOZ matching (:meth:`coalm_env.domains.tod.vocab.Vocabulary.matches`) with canonical values, names compared
    by :func:`name_spelling_key`, and the evaluators' rule that an ``unknown`` (the dataset's ``?``) attribute
    matches anything. Constraint sets of short texts are compiled once (:func:`matcher`, kept per set); others
    are read as :func:`plain_matches` reads them."""
    if len(constraints) <= 16:
        try:
            key = tuple(constraints.items())
            if all(type(k) is str and type(v) is str and len(v) <= 256 for k, v in key):
                return _kept_matcher(key)(record)
        except (AttributeError, TypeError):
            pass
    return plain_matches(record, constraints)


@functools.lru_cache(maxsize=1 << 13)
def _kept_matcher(items: tuple[tuple[str, str], ...]) -> Callable[[Mapping[str, Any]], bool]:
    return matcher(dict(items))


def plain_matches(record: Mapping[str, Any], constraints: Mapping[str, Any]) -> bool:
    """:func:`matches`, read slot by slot for one record (the reference the compiled :func:`matcher` equals)."""
    wanted = {}
    for slot, value in constraints.items():
        have = record.get(slot)
        if have == UNKNOWN:
            continue
        if slot in ("name",) and have is not None and dst_value(slot, value) not in ("", "dontcare"):
            if name_spelling_key(str(have)) != name_spelling_key(str(value)):
                return False
            continue
        wanted[slot] = dst_value(slot, value) if slot not in ("leaveAt", "arriveBy") else value
    return db.VOCAB.matches(record, wanted)


def matcher(constraints: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate equal to ``lambda record: matches(record, constraints)`` on every record, with the constraint
    side (canonical values, name keys, comparison keys) worked out once instead of once per row."""
    # (slot, 0 name key / 1 not before / 2 not after / 3 equal, key, whether a row without the slot fails)
    checks: list[tuple[str, int, str, bool]] = []
    for slot, value in constraints.items():
        if slot == "name":
            want = dst_value(slot, value)
            if want not in ("", "dontcare"):
                checks.append((slot, 0, name_spelling_key(str(value)), db.VOCAB.constrains(want)))
                continue
        else:
            want = dst_value(slot, value) if slot not in ("leaveAt", "arriveBy") else value
        if not db.VOCAB.constrains(want):
            continue
        kind = 1 if slot == "leaveAt" else 2 if slot == "arriveBy" else 3
        checks.append((slot, kind, db.VOCAB.value_key(slot, want), True))

    def match(record: Mapping[str, Any]) -> bool:
        for slot, kind, want, absent_fails in checks:
            have = record.get(slot)
            if have == UNKNOWN:
                continue
            if have is None:
                if absent_fails:
                    return False
                continue
            if kind == 0:
                if name_spelling_key(str(have)) != want:
                    return False
            elif kind == 3:
                if _value_key(slot, str(have)) != want:
                    return False
            elif (_value_key(slot, str(have)) < want) if kind == 1 else (_value_key(slot, str(have)) > want):
                return False
        return True

    return match


@dataclass
class MultiWOZDatabase:
    """The normalised tables, their :class:`Store`, value lexicon and entity names.

    Attributes:
        tables: ``{domain: [record, ...]}`` (taxi has none).
        store: the shared base store (episodes get copy-on-write views).
        lexicon: ``{domain: {slot: [values]}}`` of the enumerable slots.
        names: ``{domain: [entity key values]}`` (names; trainIDs; departments).
    """

    tables: dict[str, list[dict[str, str]]]
    store: Store = field(init=False)
    lexicon: dict[str, dict[str, list[str]]] = field(init=False)
    names: dict[str, list[str]] = field(init=False)
    _by_key: dict[str, dict[str, str]] = field(init=False, repr=False)
    _cache: dict[str, dict[tuple, list]] = field(init=False, repr=False, default_factory=dict)
    _rows: dict[str, list] = field(init=False, repr=False, default_factory=dict)
    _by_slot: dict[tuple, set] = field(init=False, repr=False, default_factory=dict)
    _slot_index: dict[tuple, tuple] = field(init=False, repr=False, default_factory=dict)
    _row_by_key: dict[str, dict] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.store = Store({d: _keyed(d, rows) for d, rows in self.tables.items()})
        self.lexicon = {
            d: {s: sorted({r[s] for r in rows if r.get(s) not in (None, "", UNKNOWN)})
                for s in _LEXICON_SLOTS if any(s in r for r in rows)}
            for d, rows in self.tables.items()
        }
        self.names = {d: [r[SCHEMAS[d].entity_key] for r in rows] for d, rows in self.tables.items()}
        self._by_key = {d: {name_spelling_key(n): n for n in names} for d, names in self.names.items()}
        self._by_stem: dict[str, dict[str, str | None]] = {}
        for d, names in self.names.items():
            stems: dict[str, str | None] = {}
            for n in names:
                stem = _stem(n)
                stems[stem] = None if stem in stems and stems[stem] != n else n  # ambiguous stems map to None
            self._by_stem[d] = stems

    def resolve_name(self, domain: str, name: str) -> str | None:
        """The database spelling of an entity name (variants, ``the``, punctuation tolerated), or ``None``."""
        if domain == "train":
            want = str(name).strip().upper()
            ids = self.__dict__.get("_train_id_set")
            if ids is None:  # built once (a set per call cost more than the rest of the look-up)
                ids = self._train_id_set = frozenset(self.names.get("train", ()))
            return want if want in ids else None
        if domain == "hospital":
            return next((n for n in self.names["hospital"] if n == dst_value("department", name)), None)
        exact = self._by_key.get(domain, {}).get(name_spelling_key(str(name)))
        return exact if exact is not None else self._by_stem.get(domain, {}).get(_stem(str(name)))

    def query(self, view: StoreView | None, domain: str, constraints: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every entity of ``domain`` matching ``constraints`` (see :func:`matches`), in key order; trains by
        departure time. Episodes never write the entity tables, so results over the base tables are cached."""
        if view is not None and view.touched(domain):
            match = matcher(constraints)
            return _sorted(domain, [dict(r) for _k, r in sorted(view.scan(domain)) if match(r)])
        frozen = tuple(sorted((str(k), str(v)) for k, v in constraints.items()))
        return [dict(r) for r in self._base_query(domain, frozen)]

    def query_head(self, view: StoreView | None, domain: str, constraints: Mapping[str, Any],
                   n: int) -> tuple[int, list[dict[str, Any]]]:
        """``(len(hits), hits[:n])`` of :meth:`query`, copying only the first ``n`` rows (a search shows a few)."""
        if view is not None and view.touched(domain):
            hits = self.query(view, domain, constraints)
            return len(hits), hits[:n]
        rows = self._base_query(domain, tuple(sorted((str(k), str(v)) for k, v in constraints.items())))
        return len(rows), [dict(r) for r in rows[:n]]

    def _candidates(self, domain: str, constraints: Mapping[str, str]) -> list[tuple[str, Mapping[str, str]]]:
        """Rows that may match, in key order: for trains, only those on the wanted day and route."""
        if not self._rows:
            self._rows = {d: sorted(self.store.view().scan(d)) for d in self.tables}
            self._by_slot = {(d, s, dst_value(s, r[s])): set() for d in ("train",) for _k, r in self._rows[d]
                             for s in _INDEXED if s in r}
            for _k, r in self._rows.get("train", ()):
                for s in _INDEXED:
                    self._by_slot[("train", s, dst_value(s, r[s]))].add(_k)
        rows = self._rows.get(domain, [])
        keep: set[str] | None = None
        if domain == "train":
            for s in _INDEXED:
                want = dst_value(s, constraints.get(s, ""))
                if want not in ("", "dontcare"):
                    hit = self._by_slot.get(("train", s, want), set())
                    keep = hit if keep is None else keep & hit
        for slot, value in constraints.items():  # every equality constraint narrows through its value index
            hit = self._slot_hits(domain, slot, value)
            if hit is not None:
                keep = hit if keep is None else keep & hit
        if keep is None:
            return rows
        by_key = self._row_by_key.get(domain)
        if by_key is None:
            by_key = self._row_by_key[domain] = dict(rows)
        return [(k, by_key[k]) for k in sorted(keep)]  # rows are in key order (keys are unique)

    def _slot_hits(self, domain: str, slot: str, value: str) -> set[str] | None:
        """Keys of every row that can pass :func:`matches` on the one constraint ``slot=value`` (a superset:
        :func:`matches` still decides), or ``None`` where the constraint is not an equality the index
        answers (times compare as ranges; ``dontcare`` and empty values constrain nothing). The index
        (value key -> row keys, with the ``unknown`` rows, which match anything, in every answer) is
        built once per domain and slot, with the key :func:`matches` compares."""
        if slot in ("leaveAt", "arriveBy"):
            return None
        want = dst_value(slot, value)
        if slot == "name":
            if want in ("", "dontcare"):
                return None
            key = name_spelling_key(value)
        else:
            if not db.VOCAB.constrains(want):
                return None
            key = db.VOCAB.value_key(slot, want)
        index = self._slot_index.get((domain, slot))
        if index is None:
            by_value: dict[str, set[str]] = {}
            always: set[str] = set()  # unknown values match anything; rows without a name fail later
            for k, r in self._rows.get(domain, []):
                have = r.get(slot)
                if have == UNKNOWN or (have is None and slot == "name"):
                    always.add(k)
                elif have is not None:
                    hkey = name_spelling_key(str(have)) if slot == "name" else db.VOCAB.value_key(slot, have)
                    by_value.setdefault(hkey, set()).add(k)
            index = self._slot_index[(domain, slot)] = (by_value, always)
        by_value, always = index
        return by_value.get(key, set()) | always

    def _base_query(self, domain: str, frozen: tuple[tuple[str, str], ...]) -> list[Mapping[str, str]]:
        if frozen not in self._cache.setdefault(domain, {}):
            if len(self._cache[domain]) > 50_000:
                self._cache[domain].clear()
            constraints = dict(frozen)
            match = matcher(constraints)
            rows = [r for _k, r in self._candidates(domain, constraints) if match(r)]
            self._cache[domain][frozen] = _sorted(domain, rows)
        return self._cache[domain][frozen]

    def entity(self, domain: str, name: str, hint: Mapping[str, Any] | None = None) -> dict[str, str] | None:
        """The record called ``name`` (any spelling :meth:`resolve_name` accepts), or ``None``. Where the key
        is not unique (trainIDs), the record matching ``hint`` (constraints) is preferred."""
        key = self.resolve_name(domain, name)
        if key is None:
            return None
        by_key = self.__dict__.setdefault("_entity_rows", {})
        if domain not in by_key:  # key -> rows, built once per domain (was a scan of the table per call)
            index: dict[str, list] = {}
            for r in self.tables[domain]:
                index.setdefault(r[SCHEMAS[domain].entity_key], []).append(r)
            by_key[domain] = index
        rows = list(by_key[domain].get(key, ()))
        if len(rows) > 1 and hint:
            rows = sorted(rows, key=lambda r: not matches(r, hint))
        return dict(rows[0]) if rows else None


def api_lexicon(database: MultiWOZDatabase) -> dict[str, dict[str, list[str]]]:
    """The values the find APIs accept per enumerable slot: the database's, plus every single value the 2.4
    ontology holds for that slot (users ask for foods and star ratings no venue has: ``fail_info``)."""
    ontology = data.read_json("multiwoz24", "ontology.json")
    out = {d: {s: set(v) for s, v in slots.items()} for d, slots in database.lexicon.items()}
    for key, values in ontology.items():
        domain, _, slot = key.partition("-")
        if domain in out and slot in out[domain] and slot not in ("departure", "destination", "day"):
            for value in values:
                for alt in alternatives(value):
                    text = dst_value(slot, alt)
                    if text not in ("", "dontcare"):
                        out[domain][slot].add(text)
    return {d: {s: sorted(v) for s, v in slots.items()} for d, slots in out.items()}


def load_database(domains: Sequence[str] = DOMAINS) -> MultiWOZDatabase:
    """Read and normalise the databases of ``domains`` (raises ``DataNotFoundError`` naming a missing file)."""
    tables = {d: [_record(d, r) for r in _read(d)] for d in domains if d != "taxi"}
    return MultiWOZDatabase(tables)
