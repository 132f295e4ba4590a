"""``coalm/MultiWOZ-Procedural-v0``: MultiWOZ goals drawn over the real databases with the dataset's statistics.

**What is learned, and from what** (:func:`learn_statistics`; never from the test goals):

- the domain combinations and their order (``restaurant+train``, ``attraction+hotel+taxi``, ...): the 999
  val goals (as :func:`~coalm_env.domains.multiwoz.goals.convert_goal` converts them) plus the final belief
  states of the 7,904 training dialogues (``dialogues/mwz21_star_train.json``: a domain with a slot in the
  state is in the task; ordered by first appearance; taxi last, as the conversion orders it);
- per domain, the *pattern* of informable slots (``{area, food, pricerange}``, ``{name}``, train
  ``{departure, destination, day, arriveBy}``, ...): val goals (a training state cannot tell a constraint the
  user gave from a name the system offered);
- the value distribution of every informable and booking slot: val goals + training states;
- the rates of ``fail_info`` (only those with really no database match, as the conversion keeps them),
  ``book`` and ``fail_book`` per domain, which booking slot fails, the ``fail_info`` values, and the request
  sets per domain (with/without booking): val goals;
- the taxi places users name: training states (those that name a venue of the database; a free taxi end
  is never a venue of the goal's own venue domains).

The statistics are a small JSON (about 70 KB) computed on first use (7-30 s on a loaded 2-core machine:
reading and converting val and test, reading the training file) and cached in ``$XDG_CACHE_HOME/coalm-env/procedural/`` (keyed by the generator's
statistics version and the source files' sizes); the test file is read only to list the content keys of
its goals, which generated goals must not repeat.

**A goal** (:meth:`GoalSampler.draw`): a domain combination; per venue domain a pattern, then a *target
entity* drawn with weight ``prod_s p_data(s = e[s]) / p_db(s = e[s])`` over the pattern's slots (so each
slot's value follows the dataset's distribution as closely as the database allows), whose attributes are
the constraints, so a venue always exists; trains: route and day drawn the same way, the time constraint
from the dataset's times, redrawn until a train matches; ``fail_info`` = the constraints with one slot
changed to a value with no match (the user relaxes it, as in MultiWOZ); bookings, a failing booking slot
(``fail_book``, held unavailable in the episode) and requests from the learned rates; a taxi between the
goal's venues (their first match: the entity the oracle offers) or to/from places users name.

**Splits and disjointness.** The *constraint signature* of a goal is its domains in order with their final
constraints (``info``; taxi places and times included). A signature's SHA-256 (salted with the seed) falls
in one of 100 buckets: 0-79 train, 80-89 val, 90-99 test, so two splits never share a signature (nor,
a fortiori, a goal). A goal whose *content key* (domains + constraints + requests, the issue's duplicate
rule) equals a dataset val or test goal's is redrawn, in every split.

**Reproducibility.** Scenario ``i`` of a split is drawn from ``SeedSequence([GENERATOR_VERSION, hash(knobs),
seed, split, i])`` alone, so it is the same in any process and in any order of access; the split is a lazy
:class:`~collections.abc.Sequence` (``len`` + ``getitem``) that generates on access.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coalm_env import data
from coalm_env.domains.multiwoz.database import UNKNOWN, MultiWOZDatabase
from coalm_env.domains.multiwoz.domain import MultiWOZDomain
from coalm_env.domains.multiwoz.values import dst_value
from coalm_env.domains.tod.plan import gold_plan
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.tod.vocab import clock_time
from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.manual import oracle_example
from coalm_env.types import Gold, Scenario, Trajectory

__all__ = ["GENERATOR_VERSION", "STATS_VERSION", "MwzKnobs", "GoalSampler", "MultiWOZProceduralDomain",
           "learn_statistics", "load_statistics", "content_key", "signature", "signature_bucket"]

GENERATOR_VERSION = 1
STATS_VERSION = 2
VENUES = ("restaurant", "hotel", "attraction")
GOAL_DOMAINS = ("restaurant", "hotel", "attraction", "train", "taxi")
BUCKETS = {"train": range(0, 80), "val": range(80, 90), "test": range(90, 100)}
_BOOKABLE = ("restaurant", "hotel", "train")
_STAR_SLOT = {"arriveby": "arriveBy", "leaveat": "leaveAt"}
_STAR_BOOL = {"true": "yes", "false": "no"}
_MAX_ATTEMPTS = 2000


# -- knobs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MwzKnobs:
    """Difficulty knobs. ``None`` means "as learned from the dataset".

    Attributes:
        min_domains, max_domains: domains per goal, taxi included (the dataset has 1-3); combinations
            outside the range are dropped and the rest renormalised.
        max_constraints: most informable slots of one venue domain (patterns with more are dropped).
        p_fail_info: probability that a venue asked for by constraints (not by name) first tries
            constraints with no match (one constraint changed, as every dataset fail_info).
        p_fail_book: probability that a booking first tries a slot that is full.
        p_book: probability that a bookable domain (restaurant, hotel, train) is booked.
        p_name: probability that a venue is asked for by name (else by a learned non-name pattern).
    """

    min_domains: int = 1
    max_domains: int = 3
    max_constraints: int | None = None
    p_fail_info: float | None = None
    p_fail_book: float | None = None
    p_book: float | None = None
    p_name: float | None = None

    def __post_init__(self) -> None:
        for name in ("min_domains", "max_domains"):
            if not isinstance(getattr(self, name), int) or isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be an integer, got {getattr(self, name)!r}")
        if not 1 <= self.min_domains <= self.max_domains <= 5:
            raise ConfigError(f"need 1 <= min_domains <= max_domains <= 5, got {self.min_domains}, {self.max_domains}")
        if self.max_constraints is not None and (not isinstance(self.max_constraints, int) or self.max_constraints < 1):
            raise ConfigError(f"max_constraints must be an integer >= 1 or null, got {self.max_constraints!r}")
        for name in ("p_fail_info", "p_fail_book", "p_book", "p_name"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not 0.0 <= float(value) <= 1.0):
                raise ConfigError(f"{name} must be a probability in [0, 1] or null, got {value!r}")

    def digest(self) -> int:
        """A stable 32-bit hash of the knob values (part of every scenario's seed)."""
        text = json.dumps(asdict(self), sort_keys=True)
        return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


# -- keys ---------------------------------------------------------------------------------------
def signature(goal: Mapping[str, Any]) -> str:
    """The constraint signature: domains in order with their final constraints."""
    return json.dumps([[d, sorted((k, str(v)) for k, v in (goal[d].get("info") or {}).items())] for d in goal])


def signature_bucket(goal: Mapping[str, Any], seed: int) -> int:
    """The 0-99 bucket of a goal's constraint signature (see the module docstring)."""
    return int(hashlib.sha256(f"{seed}|{signature(goal)}".encode()).hexdigest(), 16) % 100


def content_key(goal: Mapping[str, Any]) -> str:
    """The duplicate key of a goal: same domains, same constraints, same requests (order-free), as a
    16-hex digest."""
    body = sorted((d, sorted((k, str(v)) for k, v in (sub.get("info") or {}).items()), sorted(sub.get("reqt") or []))
                  for d, sub in goal.items() if sub)
    return hashlib.sha256(json.dumps(body).encode()).hexdigest()[:16]


# -- statistics ---------------------------------------------------------------------------------
def _hhmm(value: str) -> str | None:
    text = dst_value("leaveAt", value)
    return text if len(text) == 5 and text[2] == ":" and text[:2].isdigit() and text[3:].isdigit() \
        and int(text[:2]) < 24 and int(text[3:]) < 60 else None


def _canon(domain: str, slot: str, value: str) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in ("", "none", "not mentioned", "do not care", "dontcare", "dont care", "don't care") or "|" in text:
        return None
    if domain == "hotel" and slot in ("parking", "internet"):
        text = _STAR_BOOL.get(text, text)
    if domain == "hotel" and slot == "type":
        text = {"true": "hotel", "false": "guesthouse"}.get(text, text)
    if slot in ("leaveAt", "arriveBy", "time"):
        return _hhmm(text)
    out = dst_value(slot, text)
    return out if out not in ("", "dontcare") else None


def _star_state(state: Mapping[str, str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, value in state.items():
        domain, _, slot = key.partition("-")
        slot = _STAR_SLOT.get(slot.removeprefix("book "), slot.removeprefix("book "))
        text = _canon(domain, slot, value)
        if text is not None:
            out.setdefault(domain, {})[slot] = text
    return out


def _bump(table: dict, *path_and_key: str, by: int = 1) -> None:
    *path, key = path_and_key
    for p in path:
        table = table.setdefault(p, {})
    table[key] = table.get(key, 0) + by


def _sources() -> list[Path]:
    root = data.dataset_dir("multiwoz24")
    return [root / "convlab_mwz21_valtest" / "val.json", root / "convlab_mwz21_valtest" / "test.json",
            root / "dialogues" / "mwz21_star_train.json", root / "db" / "restaurant_db.json",
            root / "db" / "hotel_db.json", root / "db" / "attraction_db.json", root / "db" / "train_db.json"]


def learn_statistics(database: MultiWOZDatabase) -> dict[str, Any]:
    """The generator's statistics, learned from the val goals and the training dialogues' states (see the
    module docstring); ``dataset_keys`` holds the content keys of the val *and* test goals (for exclusion
    only)."""
    from coalm_env.domains.multiwoz.dialogues import load_dialogues
    from coalm_env.domains.multiwoz.goals import convert_goal

    stats: dict[str, Any] = {"version": STATS_VERSION, "combos": {"val": {}, "train": {}}, "patterns": {},
                             "values": {}, "fail_values": {}, "book_values": {}, "reqt": {}, "counts": {},
                             "fail_info": {}, "fail_info_raw": {}, "fail_info_eligible": {}, "book": {}, "fail_book": {},
                             "fail_book_slots": {}, "taxi_places": {}, "dataset_keys": []}
    keys = set()
    for split in ("val", "test"):
        for dialogue in load_dialogues(split):
            goal, _unavailable, _notes = convert_goal(dialogue, database)
            keys.add(content_key(goal))
            if split != "val":
                continue  # test goals: their keys only, no statistics
            _bump(stats["combos"], "val", "|".join(goal))
            for d, sub in goal.items():
                if d not in GOAL_DOMAINS:
                    continue
                _bump(stats["counts"], d)
                _bump(stats["patterns"], d, "|".join(sorted(sub["info"])))
                for s, v in sub["info"].items():
                    if d != "taxi" or s in ("leaveAt", "arriveBy"):
                        text = _canon(d, s, v)
                        if text is not None:
                            _bump(stats["values"], d, s, text)
                raw_fail = (dialogue.goal.get(d) or {}).get("fail_info") or {}
                _bump(stats["fail_info_raw"], d, by=int(bool(raw_fail)))
                _bump(stats["fail_info"], d, by=int(bool(sub["fail_info"])))
                _bump(stats["fail_info_eligible"], d, by=int(d in VENUES and "name" not in sub["info"]))
                for s, v in sub["fail_info"].items():
                    if sub["info"].get(s) != v:
                        _bump(stats["fail_values"], d, s, str(v))
                _bump(stats["book"], d, by=int(bool(sub["book"])))
                for s, v in sub["book"].items():
                    text = _canon(d, s, v)
                    if text is not None:
                        _bump(stats["book_values"], d, s, text)
                _bump(stats["fail_book"], d, by=int(bool(sub["fail_book"])))
                for s in sub["fail_book"]:
                    _bump(stats["fail_book_slots"], d, s)
                _bump(stats["reqt"], d, "book" if sub["book"] else "nobook", "|".join(sorted(sub["reqt"])))
    stats["dataset_keys"] = sorted(keys)
    star = data.read_json("multiwoz24", "dialogues", "mwz21_star_train.json")
    place_names = {n for d in VENUES for n in database.names[d]}
    for turns in star["dialogues"].values():
        first: dict[str, int] = {}
        final: dict[str, dict[str, str]] = {}
        for t, turn in enumerate(turns):
            state = _star_state(turn.get("state") or {})
            for d in state:
                first.setdefault(d, t)
            final = state
        domains = sorted((d for d in final if d in GOAL_DOMAINS), key=lambda d: (d == "taxi", first[d]))
        if not domains:
            continue
        _bump(stats["combos"], "train", "|".join(domains))
        for d in domains:
            for s, v in final[d].items():
                if d == "taxi":
                    if s in ("departure", "destination"):
                        name = next((database.resolve_name(v2, v) for v2 in VENUES
                                     if database.resolve_name(v2, v) is not None), None)
                        if name in place_names:
                            _bump(stats["taxi_places"], name)
                    else:
                        _bump(stats["values"], d, s, v)
                elif s in SCHEMAS[d].book:
                    _bump(stats["book_values"], d, s, v)
                elif s in SCHEMAS[d].informable:
                    _bump(stats["values"], d, s, v)
    return stats


def _cache_path() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    stamp = hashlib.sha256(json.dumps([[p.name, p.stat().st_size] for p in _sources()]).encode()).hexdigest()[:12]
    return base / "coalm-env" / "procedural" / f"multiwoz-stats-v{STATS_VERSION}-{stamp}.json"


def load_statistics(database: MultiWOZDatabase, *, refresh: bool = False) -> dict[str, Any]:
    """The statistics from the user cache, computed (and cached) on first use."""
    for p in _sources():
        data.require("multiwoz24", str(p.relative_to(data.dataset_dir("multiwoz24"))))
    path = _cache_path()
    if path.exists() and not refresh:
        try:
            stats = json.loads(path.read_text(encoding="utf-8"))
            if stats.get("version") == STATS_VERSION:
                return stats
        except (OSError, json.JSONDecodeError):
            pass  # a torn or foreign file: recompute
    stats = learn_statistics(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(stats, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache: the statistics are still returned
    return stats


def stats_digest(stats: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(stats, sort_keys=True).encode()).hexdigest()[:12]


# -- the sampler --------------------------------------------------------------------------------
def _dist(counts: Mapping[str, int]) -> tuple[list[str], np.ndarray]:
    items = sorted(counts.items())
    keys = [k for k, _ in items]
    p = np.asarray([c for _, c in items], dtype=float)
    return keys, p / p.sum() if p.sum() else p


def _choice(rng: np.random.Generator, counts: Mapping[str, int]) -> str:
    keys, p = _dist(counts)
    return keys[int(rng.choice(len(keys), p=p))]


def _index(rng: np.random.Generator, cdf: np.ndarray) -> int:
    """What ``rng.choice(len(p), p=p)`` draws, from the precomputed ``cdf = p.cumsum() / p.sum()``."""
    return int(cdf.searchsorted(rng.random(), side="right"))


#: what each learned rate is conditioned on: fail_info on venues asked by constraints (every dataset
#: fail_info changes one constraint of such a venue), fail_book on a booking, a booking on the domain
_GIVEN = {"fail_info": "fail_info_eligible", "fail_book": "book", "book": "counts"}


def _rate(stats: Mapping[str, Any], table: str, domain: str) -> float:
    total = stats[_GIVEN[table]].get(domain, 0)
    return stats[table].get(domain, 0) / total if total else 0.0


class GoalSampler:
    """Draws MultiWOZ goals from learned statistics over a database (see the module docstring)."""

    def __init__(self, database: MultiWOZDatabase, stats: Mapping[str, Any], knobs: MwzKnobs, lexicon: Mapping):
        self.database, self.stats, self.knobs, self.lexicon = database, stats, knobs, lexicon
        combos: Counter = Counter()
        for part in stats["combos"].values():
            combos.update(part)
        self.combos = {k: c for k, c in combos.items() if knobs.min_domains <= len(k.split("|")) <= knobs.max_domains}
        if not self.combos:
            raise ConfigError(f"no dataset domain combination has {knobs.min_domains}-{knobs.max_domains} domains",
                              hint="the dataset's goals have 1 to 3 domains")
        self.patterns = {}
        for d, counts in stats["patterns"].items():
            keep = {k: c for k, c in counts.items() if k and (knobs.max_constraints is None or d in ("train", "taxi")
                                                             or len(k.split("|")) <= knobs.max_constraints)}
            self.patterns[d] = keep
        self._weights: dict[tuple[str, tuple[str, ...]], tuple[list[dict], np.ndarray]] = {}
        self._cdfs: dict[int, tuple[Mapping, list[str], np.ndarray]] = {}
        self._named: dict[tuple[str, bool], dict[str, int]] = {}
        self._routes: dict[tuple, tuple[int, int]] = {}
        self._times: dict[tuple[str, int], dict[str, int]] = {}
        self._place_tables: dict[frozenset[str], dict[str, int]] = {}

    def _pick(self, rng: np.random.Generator, counts: Mapping[str, int]) -> str:
        """:func:`_choice` for a long-lived table (the statistics, the filtered patterns): the cumulative
        distribution is computed once (the table is kept, so its ``id`` stays its own)."""
        entry = self._cdfs.get(id(counts))
        if entry is None or entry[0] is not counts:
            keys, p = _dist(counts)
            entry = self._cdfs[id(counts)] = (counts, keys, np.cumsum(p) / p.sum())
        return entry[1][_index(rng, entry[2])]

    # - probabilities -
    def p(self, name: str, domain: str) -> float:
        knob = getattr(self.knobs, name)
        if knob is not None:
            return float(knob)
        return _rate(self.stats, {"p_fail_info": "fail_info", "p_fail_book": "fail_book", "p_book": "book"}[name],
                     domain)

    def _targets(self, domain: str, slots: tuple[str, ...]) -> tuple[list[dict], np.ndarray]:
        """The database rows a pattern can describe, as a cumulative distribution whose marginal over each
        slot's values is the dataset's (add-one smoothed, over the values these rows have), fitted by
        iterative proportional fitting from uniform (so correlated slots do not compound); a ``name``
        slot weighs each venue by how often users name it."""
        key = (domain, slots)
        if key not in self._weights:
            rows = [r for r in self.database.tables[domain] if all(r.get(s) not in (None, "", UNKNOWN) for s in slots)]
            w = np.ones(len(rows))
            learned = self.stats["values"].get(domain, {})
            margins = []
            for s in slots:
                if s == "name" and domain != "train":
                    counts = learned.get("name", {})
                    w *= np.asarray([counts.get(r["name"], 0) + 1.0 for r in rows])
                    continue
                values = [dst_value(s, r[s]) for r in rows]
                kinds = sorted(set(values))
                codes = np.asarray([kinds.index(v) for v in values])
                target = np.asarray([learned.get(s, {}).get(v, 0) + 1.0 for v in kinds])
                margins.append((codes, target / target.sum()))
            w /= w.sum()
            for _ in range(50 if margins else 0):
                for codes, target in margins:
                    mass = np.bincount(codes, weights=w, minlength=len(target))
                    w = w * (target / np.maximum(mass, 1e-300))[codes]
                    w /= w.sum()
            self._weights[key] = (rows, np.cumsum(w) / w.sum())
        return self._weights[key]

    # - one domain -
    def _venue_info(self, rng: np.random.Generator, d: str, by_constraints: bool = False) -> dict[str, str] | None:
        patterns = self.patterns.get(d) or {}
        if self.knobs.p_name is not None or by_constraints:
            named = not by_constraints and rng.random() < self.knobs.p_name
            if (d, named) not in self._named:
                kept = {k: c for k, c in patterns.items() if (k == "name") == named}
                self._named[(d, named)] = kept or ({"name": 1} if named else {})
            patterns = self._named[(d, named)]
        if not patterns:
            return None
        slots = tuple(self._pick(rng, patterns).split("|"))
        rows, cdf = self._targets(d, slots)
        if not rows:
            return None
        target = rows[_index(rng, cdf)]
        return {s: target[s] for s in slots}

    def _venue(self, rng: np.random.Generator, d: str) -> tuple[dict[str, str], dict[str, str]] | None:
        """``(info, fail_info)`` of a venue domain. A venue asked for by constraints fails over with the
        learned rate (or ``p_fail_info``); one whose constraints no single change can empty (every area has
        attractions) is redrawn among the constraint patterns, so the rate is kept and, as in the dataset,
        fail-overs sit on the patterns that admit one."""
        info = self._venue_info(rng, d)
        if info is None or "name" in info or rng.random() >= self.p("p_fail_info", d):
            return (info, {}) if info is not None else None
        for _ in range(30):
            fail = self._fail_info(rng, d, info)
            if fail:
                return info, fail
            info = self._venue_info(rng, d, by_constraints=True)
            if info is None:
                return None
        return None

    def _route(self, info: Mapping[str, str]) -> tuple[int, int]:
        """(latest departure, earliest arrival) in minutes of the trains on ``info``'s route and day."""
        key = tuple(info.items())
        if key not in self._routes:
            rows = self.database.query(None, "train", info)
            self._routes[key] = (max(clock_time(r["leaveAt"]) for r in rows), min(clock_time(r["arriveBy"]) for r in rows))
        return self._routes[key]

    def _feasible_times(self, when: str, bound: int) -> dict[str, int]:
        """The dataset's ``when`` times a train of the route meets: ``leaveAt`` at or before its latest
        departure, ``arriveBy`` at or after its earliest arrival."""
        key = (when, bound)
        if key not in self._times:
            times = self.stats["values"]["train"].get(when) or {}
            ok = (lambda m: m <= bound) if when == "leaveAt" else (lambda m: m >= bound)
            self._times[key] = {t: c for t, c in times.items() if ok(clock_time(t))}
        return self._times[key]

    def _train_info(self, rng: np.random.Generator) -> dict[str, str] | None:
        slots = tuple(self._pick(rng, self.patterns["train"]).split("|"))
        route = tuple(s for s in ("departure", "destination", "day") if s in slots)
        rows, cdf = self._targets("train", route)
        target = rows[_index(rng, cdf)]
        info = {s: target[s] for s in route}
        latest, earliest = self._route(info)
        for when, bound in (("leaveAt", latest), ("arriveBy", earliest)):
            if when not in slots:
                continue
            times = self._feasible_times(when, bound)
            if times:  # the dataset's time distribution, given that the route has a train for it
                info[when] = self._pick(rng, times)
            else:  # the route's own bound, to the quarter hour (towards feasible)
                m = bound - bound % 15 if when == "leaveAt" else min(bound + (-bound) % 15, 23 * 60 + 59)
                info[when] = f"{m // 60:02d}:{m % 60:02d}"
        order = ("departure", "destination", "day", "leaveAt", "arriveBy")
        return {k: info[k] for k in order if k in info}

    def _fail_info(self, rng: np.random.Generator, d: str, info: dict[str, str]) -> dict[str, str]:
        """``info`` with one constraint changed to a value with no match: the dataset's fail values of that
        slot first, then any value the find API accepts; ``{}`` if no single change empties the search."""
        slots = [s for s in info if s != "name" and s in self.lexicon.get(d, {})]
        for i in rng.permutation(len(slots)):
            slot = slots[int(i)]
            learned = {v: c for v, c in (self.stats["fail_values"].get(d, {}).get(slot) or {}).items() if v != info[slot]}
            for _ in range(8 if learned else 0):
                trial = {**info, slot: _choice(rng, learned)}
                if not self.database.query(None, d, trial):
                    return trial
            others = [v for v in self.lexicon[d][slot] if v != info[slot]]
            for j in rng.permutation(len(others)):
                trial = {**info, slot: others[int(j)]}
                if not self.database.query(None, d, trial):
                    return trial
        return {}

    def _book(self, rng: np.random.Generator, d: str) -> dict[str, str]:
        learned = self.stats["book_values"].get(d, {})
        return {s: self._pick(rng, learned[s]) for s in SCHEMAS[d].book if learned.get(s)}

    def _fail_book(self, rng: np.random.Generator, d: str, book: dict[str, str]) -> dict[str, str]:
        slots = {s: c for s, c in (self.stats["fail_book_slots"].get(d) or {}).items() if s in book}
        if not slots:
            return {}
        slot = _choice(rng, slots)
        pool = {v: c for v, c in self.stats["book_values"][d][slot].items() if v != book[slot]}
        return {slot: _choice(rng, pool)} if pool else {}

    def _reqt(self, rng: np.random.Generator, d: str, booked: bool, info: Mapping[str, str]) -> list[str]:
        table = self.stats["reqt"].get(d, {}).get("book" if booked else "nobook") or {"": 1}
        drawn = self._pick(rng, table)
        return [r for r in drawn.split("|") if r and r not in info and r in SCHEMAS[d].requestable]

    def _answerable(self, d: str, info: Mapping[str, str], reqt: list[str]) -> list[str]:
        """``reqt`` without the attributes some matching entity lacks (some restaurants have no phone):
        whichever match the agent offers, it can give every request."""
        if d not in VENUES or not reqt:
            return reqt
        rows = self.database.query(None, d, info)
        return [r for r in reqt if r == "reference" or all(row.get(r) not in (None, "") for row in rows)]

    def _places(self, venues: frozenset[str]) -> dict[str, int]:
        """The taxi places users name, without venues of the goal's own venue domains (a second restaurant
        named in a restaurant goal would be a second restaurant of the dialogue: Inform reads it so)."""
        if venues not in self._place_tables:
            own = {n for d in venues for n in self.database.names[d]}
            self._place_tables[venues] = {p: c for p, c in self.stats["taxi_places"].items() if p not in own}
        return self._place_tables[venues]

    def _taxi(self, rng: np.random.Generator, goal: dict[str, Any]) -> dict[str, Any]:
        slots = self._pick(rng, self.patterns["taxi"]).split("|")
        venues = [d for d in goal if d in VENUES]
        ends: dict[str, str] = {}
        sources: dict[str, str] = {}
        roles = ["departure", "destination"]
        if rng.random() < 0.5:
            roles.reverse()
        for role, d in zip(roles, venues[:2]):
            ends[role] = self.database.query(None, d, goal[d]["info"])[0]["name"]
            sources[role] = d
        places = self._places(frozenset(venues))
        for role in ("departure", "destination"):
            while role not in ends:
                place = self._pick(rng, places)
                if place not in ends.values():
                    ends[role] = place
        info = {"departure": ends["departure"], "destination": ends["destination"]}
        for when in ("leaveAt", "arriveBy"):
            if when in slots:
                info[when] = self._pick(rng, self.stats["values"]["taxi"][when])
        if not any(w in info for w in ("leaveAt", "arriveBy")):
            info["leaveAt"] = self._pick(rng, self.stats["values"]["taxi"]["leaveAt"])
        sub = {"info": info, "fail_info": {}, "reqt": self._reqt(rng, "taxi", False, info), "book": {}, "fail_book": {}}
        if sources:
            sub["sources"] = sources
        return sub

    # - a goal -
    def draw(self, rng: np.random.Generator, seed: int, buckets: range,
             exclude: frozenset[str]) -> tuple[dict[str, Any], dict[str, list]] | None:
        """One goal and its unavailable bookings, or ``None`` (signature outside ``buckets``, a dataset
        duplicate, or a pattern the database cannot fill)."""
        combo = self._pick(rng, self.combos).split("|")
        goal: dict[str, Any] = {}
        for d in combo:
            if d == "taxi":
                continue
            drawn = (self._train_info(rng), {}) if d == "train" else self._venue(rng, d)
            if drawn is None or drawn[0] is None:
                return None
            goal[d] = {"info": drawn[0], "fail_info": drawn[1]}
        if "taxi" in combo:
            goal["taxi"] = self._taxi(rng, goal)
        if signature_bucket(goal, seed) not in buckets:
            return None
        unavailable: dict[str, list] = {}
        for d, sub in goal.items():
            if d == "taxi":
                continue
            info, fail = sub["info"], sub["fail_info"]
            book = self._book(rng, d) if d in _BOOKABLE and rng.random() < self.p("p_book", d) else {}
            fail_book = self._fail_book(rng, d, book) if book and d != "train" and rng.random() < self.p("p_fail_book", d) else {}
            if fail_book:
                unavailable[d] = [{**book, **fail_book}]
            goal[d] = {"info": info, "fail_info": fail, "reqt": self._answerable(d, info, self._reqt(rng, d, bool(book), info)),
                       "book": book, "fail_book": fail_book}
        if content_key(goal) in exclude:
            return None
        taxi = goal.pop("taxi", None)
        if taxi is not None:
            goal["taxi"] = taxi  # taxi last (its places come from the searches before it)
        return goal, unavailable


MANUAL = (
    """
## Description
MultiWOZ goals generated over the real MultiWOZ databases with the dataset's statistics (domain
combinations, slot patterns and values, fail_info/fail_book/booking rates, requests; learned from the
val goals and the training dialogues' states, never from test goals). Splits ``train``/``val``/``test``
are disjoint by constraint signature and never repeat a dataset val/test goal; scenario ``i`` is a
function of (generator version, knobs, seed, split, i) and is generated when accessed. Backend, scorer
and oracle are those of ``coalm/MultiWOZ-v0``. Needs the dataset: ``coalm-env data fetch multiwoz24 --from DIR``.

## Reward
0 on every step; at the end ``success`` in {0, 1} is the MultiWOZ **Success** of mwzeval, as in
``coalm/MultiWOZ-v0`` (Inform + every requested slot); ``task_success`` adds the bookings;
``book_rate``, ``book``, ``inform``, ``requests``, ``goal_met`` and the dense terms are in
``info["metrics"]`` (no JGA: there is no gold dialogue).

## Episode end
The agenda user ends ``goal_met`` or ``user_gave_up``.

## Arguments
Domain options:

- ``seed``: ``int`` = ``0``: the generator seed.
- ``n_train``/``n_val``/``n_test``: ``int`` = ``10000``/``1000``/``1000``: split sizes (generated lazily).
- ``min_domains``/``max_domains``: ``int`` = ``1``/``3``: domains per goal, taxi included.
- ``max_constraints``: ``int | None`` = ``None``: most informable slots per venue domain.
- ``p_fail_info``, ``p_fail_book``, ``p_book``, ``p_name``: ``float | None`` = ``None`` (the dataset's
  rates): fail-over search, failing booking, booking, venue asked for by name.

## Default user
``agenda`` (:mod:`simulators.agenda`) pursuing the generated goal; the LLM user reads the goal text.

## Example
"""
    + oracle_example(
        'gym.make("coalm/MultiWOZ-Procedural-v0", split="train", oracle_hints=True)',
        'info["metrics"]["inform"], info["metrics"].get("book_rate")',
    )
    + """

## Version history
- v0: initial release (generator version 1).
"""
)


# -- the lazy split -----------------------------------------------------------------------------
class GeneratedSplit(Sequence):
    """A split of ``size`` scenarios generated on access (``split[i]`` is ``domain.generate(split, i)``)."""

    def __init__(self, domain: MultiWOZProceduralDomain, split: str, size: int):
        self.domain, self.split, self.size = domain, split, size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        index = int(index)
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError(f"scenario index {index} out of range for {self.split} ({self.size})")
        return self.domain.generate(self.split, index)

    def __repr__(self) -> str:
        return f"GeneratedSplit({self.domain.name}, {self.split!r}, size={self.size})"


class MultiWOZProceduralDomain(MultiWOZDomain):
    """Procedural MultiWOZ goals over the real databases (see the module docstring). Backend, users'
    context, scorer (:mod:`coalm_env.domains.multiwoz.scoring`) and the ``script`` oracle are MultiWOZ-v0's.

    Args:
        seed: the generator seed.
        n_train, n_val, n_test: the size of each split (scenarios are generated on access, so a large
            train split costs nothing until it is read).
        min_domains, max_domains, max_constraints, p_fail_info, p_fail_book, p_book, p_name: the knobs
            (:class:`MwzKnobs`).
    """

    MANUAL = MANUAL
    name = "multiwoz_procedural"
    splits = ("train", "val", "test")
    extra_options = tuple(MwzKnobs.__dataclass_fields__)
    scenario_ids_format = "mwzgen-{split}-{index:07d}"
    _CACHE_SIZE = 4096

    def __init__(self, seed: int = 0, n_train: int = 10_000, n_val: int = 1000, n_test: int = 1000, **knobs: Any):
        bad = set(knobs) - set(MwzKnobs.__dataclass_fields__)
        if bad:
            raise UnknownNameError("multiwoz_procedural option", sorted(bad)[0],
                                   [*MwzKnobs.__dataclass_fields__, "seed", "n_train", "n_val", "n_test"])
        for name, value in (("seed", seed), ("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} must be an integer >= 0, got {value!r}")
        super().__init__(oracle="script")
        self.seed = seed
        self.knobs = MwzKnobs(**knobs)
        self.sizes = {"train": n_train, "val": n_val, "test": n_test}
        self.stats = load_statistics(self.database)
        self.stats_digest = stats_digest(self.stats)
        self.sampler = GoalSampler(self.database, self.stats, self.knobs, self.graph_lexicon())
        self._exclude = frozenset(self.stats["dataset_keys"])
        self._generated: OrderedDict[tuple[str, int], Scenario] = OrderedDict()

    def graph_lexicon(self) -> dict[str, dict[str, list[str]]]:
        from coalm_env.domains.multiwoz.database import api_lexicon

        return api_lexicon(self.database)

    # -- scenarios ---------------------------------------------------------------------------
    @functools.lru_cache(maxsize=None)  # noqa: B019 - one domain object per options, cached for life
    def scenarios(self, split: str) -> Sequence[Scenario]:
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        return GeneratedSplit(self, split, self.sizes[split])

    def num_scenarios(self, split: str) -> int:
        return self.sizes[split]

    def scenario_ids(self, split: str) -> Sequence[str]:
        """The ids of ``split`` without generating it (the rollout plan draws its order from these)."""
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        return [self.scenario_ids_format.format(split=split, index=i) for i in range(self.sizes[split])]

    def generate(self, split: str, index: int) -> Scenario:
        """Scenario ``index`` of ``split``: a function of (generator version, knobs, seed, split, index)."""
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        key = (split, int(index))
        if key in self._generated:
            self._generated.move_to_end(key)
            return self._generated[key]
        rng = np.random.default_rng(np.random.SeedSequence(
            [GENERATOR_VERSION, self.knobs.digest(), self.seed, self.splits.index(split), int(index)]))
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            drawn = self.sampler.draw(rng, self.seed, BUCKETS[split], self._exclude)
            if drawn is not None:
                break
        else:  # pragma: no cover - the buckets hold 10-80% of signatures
            raise ConfigError(f"no {split} goal found in {_MAX_ATTEMPTS} draws with these knobs")
        goal, unavailable = drawn
        scenario = Scenario(
            id=self.scenario_ids_format.format(split=split, index=int(index)), domain=self.name, split=split, goal=goal,
            tools=list(self.graph.names),
            gold=Gold(calls=gold_plan(goal, self.graph), requested={d: list(g["reqt"]) for d, g in goal.items()}),
            initial_state={"unavailable": unavailable},
            meta={"generator": "multiwoz-procedural", "generator_version": GENERATOR_VERSION, "seed": self.seed,
                  "index": int(index), "knobs": asdict(self.knobs), "attempts": attempt,
                  "signature_bucket": signature_bucket(goal, self.seed), "stats": self.stats_digest},
        )
        self._generated[key] = scenario
        if len(self._generated) > self._CACHE_SIZE:
            self._generated.popitem(last=False)
        return scenario

    def get_scenario(self, scenario_id: str) -> Scenario:
        parts = scenario_id.split("-")
        if len(parts) == 3 and parts[0] == "mwzgen" and parts[1] in self.splits and parts[2].isdigit():
            return self.generate(parts[1], int(parts[2]))  # any index: a split's size only bounds sampling
        raise UnknownNameError("scenario", scenario_id, [f"mwzgen-{s}-0000000" for s in self.splits])

    # -- what MultiWOZ-v0 reads from the dataset dialogue ---------------------------------------
    def user_goal_text(self, scenario: Scenario) -> str:
        from coalm_env.domains.tod.goal_text import goal_text

        return goal_text(scenario.goal)

    def oracle_hints(self, scenario: Scenario, backend: Any, trajectory: Trajectory) -> dict[str, Any]:
        return {}  # no dataset dialogue to replay
