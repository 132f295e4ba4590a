"""MultiWOZ Inform / Success in the **mwzeval** definition (the published one: Budzianowski et al. 2018 as
Nekvinda & Dušek 2021 implement it in ``mwzeval``), online on an episode and offline on result files.

Written for this project from mwzeval's documented rules (its ``get_dialog_success``, its venue query and
its active-domain estimate); no code is taken from it. The definition, turn by turn:

- Each system response is read as the **slot tokens** it carries: ``NAME``, ``TRAINID``, ``PHONE``,
  ``ADDRESS``, ``POST``, ``REFERENCE``. A delexicalised response carries them as ``[restaurant_name]``,
  ``[value_phone]``, ``[ref]`` ... (:func:`delex_tokens`, the slot-name table of mwzeval's unified ontology);
  a lexicalised one is delexicalised against the database (:class:`LexicalReader`: a venue name of any
  venue domain, a trainID, a phone number, an address, a postcode, a booking reference).
- Tokens count for the turn's **active domains** only: given in the input, else estimated from the
  belief state as mwzeval does (:func:`estimate_active_domains`: the domain whose state just changed,
  staying with the current one while it keeps changing).
- Offered venues of a venue domain *d*: at a turn with ``NAME`` (restaurant, hotel, attraction) or
  ``TRAINID`` (train) and *d* active, the ids of the database venues matching the **belief state of that
  turn** (:class:`VenueDatabase`, mwzeval's query: fuzzy names/food/places, ``?`` matches anything, times as
  bounds); they replace the earlier ones unless the earlier ones are all still among them.
- **Inform** per goal domain: the offered venues are a non-empty subset of the venues matching the goal's
  ``informable`` constraints; matched outright: a goal that names its venue, taxi/police/hospital, and a
  train goal that never got a train offered and did not ask for the trainID.
- **Success**: Inform, and per goal domain every requestable (``PHONE``/``ADDRESS``/``POST``/``TRAINID`` from
  ``reqt``, ``REFERENCE`` when the goal books) carried by some response while the domain was active;
  ``REFERENCE`` only in a turn where the domain is booked (mwzeval: the dataset's booking record; online:
  a successful ``book_<d>`` call of the episode so far).

Online (:func:`episode_inform_success`), the belief state of a turn is the agent's own: its
``update_state`` table when it tracks state, else the constraints of its last search per domain
(:func:`coalm_env.domains.multiwoz.jga.state_after_steps`), and every agent reply is a turn. A reply is
read as mwzeval reads its input when the agent hands over the reply's **delexicalised form** (what
end-to-end systems such as UBAR, MinTL, DAMD generate; ``AgentAction(text, extra={"delex": "..."})``):
its placeholders only; otherwise its text is delexicalised against the database (LLM agents).

Deliberate differences from mwzeval (listed with examples in ``experiments/results/mwzeval_parity``):
fuzzy matching uses rapidfuzz's ``partial_ratio`` (rounded as fuzzywuzzy rounds) instead of fuzzywuzzy's;
state values are normalised with the project's :func:`~coalm_env.domains.multiwoz.values.dst_value`
(a superset of mwzeval's tables: it also reads ``"4 star"`` as ``4``, ``"guest houses"``); the goal's
name is normalised the same way before the "goal names its venue" rule, as mwzeval does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.domains.multiwoz.values import dst_value
from coalm_env.text import alnum_key

__all__ = ["TOKENS", "VENUE_DOMAINS", "MWZ_DOMAINS", "MwzGoal", "goal_from_dataset", "goal_from_task",
           "VenueDatabase", "delex_tokens", "is_delexicalised", "LexicalReader", "estimate_active_domains",
           "dialog_inform_success", "episode_inform_success", "step_delex", "normalise_state", "reference_codes",
           "is_reference_text", "delexicalise", "booked_domains", "score_turns", "DialogScore"]

TOKENS = ("NAME", "TRAINID", "PHONE", "ADDRESS", "POST", "REFERENCE")
REQUESTABLE_TOKENS = ("PHONE", "ADDRESS", "POST", "REFERENCE", "TRAINID")
VENUE_DOMAINS = ("restaurant", "hotel", "attraction", "train")
MWZ_DOMAINS = ("restaurant", "hotel", "attraction", "train", "taxi", "police", "hospital")
_NO_DB = ("taxi", "police", "hospital")
_REQT_TOKEN = {"phone": "PHONE", "address": "ADDRESS", "postcode": "POST", "trainID": "TRAINID"}
_DONTCARE = {"dontcare", "not mentioned", "don't care", "dont care", "do n't care", "do not care"}
_FUZZY = {"hotel": {"name"}, "attraction": {"name"}, "restaurant": {"name", "food"},
          "train": {"departure", "destination"}}
#: database columns mwzeval leaves out of the venue query
_IGNORED_COLUMNS = {"attraction": {"location", "openhours"}, "hotel": {"location", "price", "takesbookings"},
                    "restaurant": {"location", "introduction", "signature"}}

# -- delexicalised slot names -------------------------------------------------------------------------------
# The slot names of mwzeval's unified ontology that carry one of the six tokens, as ``{token: (bare names,
# domains whose "<domain>_<slot>" form counts)}``; ``value_<slot>`` counts for every token.
_DELEX_NAMES: dict[str, tuple[set[str], set[str], str]] = {
    "NAME": ({"name"}, {"attraction", "hospital", "hotel", "police", "restaurant"}, "name"),
    "PHONE": ({"phone"}, {"attraction", "hospital", "hotel", "police", "restaurant", "taxi"}, "phone"),
    "POST": ({"postcode"}, {"attraction", "hospital", "hotel", "restaurant", "police"}, "postcode"),
    "ADDRESS": ({"address"}, {"attraction", "hospital", "hotel", "police", "restaurant"}, "address"),
    "REFERENCE": ({"ref", "reference"}, {"attraction", "hotel", "restaurant", "train"}, "reference"),
    "TRAINID": ({"trainid", "train_id", "id", "train", "train_trainid"}, set(), "id"),
}
_SLOT_RE = re.compile(r"\[([\w\s\d]+)\](?:es|s|-s|-es|)")


@functools.lru_cache(maxsize=512)
def _slot_token(name: str) -> str | None:
    name = name.lower().strip()
    for token, (bare, domains, slot) in _DELEX_NAMES.items():
        if name in bare or name == f"value_{slot}":
            return token
        prefix, _, rest = name.partition("_")
        if prefix in domains and rest == slot:
            return token
    return None


def delex_tokens(response: str) -> set[str]:
    """The tokens a delexicalised response carries (``"[restaurant_name] is at [value_address]"`` ->
    ``{NAME, ADDRESS}``); other slot names (``[value_area]``) carry none."""
    return {t for m in _SLOT_RE.finditer(response) if (t := _slot_token(m.group(1))) is not None}


def is_delexicalised(response: str) -> bool:
    """Whether a response is written with slot placeholders (any ``[slot]``)."""
    return bool(_SLOT_RE.search(response))


# -- goals --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MwzGoal:
    """One goal domain as mwzeval reads it: search constraints (our slot names), requestable tokens, booking."""

    informable: dict[str, str]
    requestable: frozenset[str]
    books: bool


def _goal_domain(info: Mapping[str, Any], reqt: Iterable[str], books: bool) -> MwzGoal:
    tokens = {_REQT_TOKEN[r] for r in reqt if r in _REQT_TOKEN}
    if books:
        tokens.add("REFERENCE")
    return MwzGoal({str(k): str(v) for k, v in (info or {}).items()}, frozenset(tokens), books)


def goal_from_dataset(goal: Mapping[str, Any]) -> dict[str, MwzGoal]:
    """mwzeval's goal of a dataset dialogue (``goal`` as in ``data.json``): per non-empty domain, ``info``
    as informable, ``reqt`` mapped to tokens, ``REFERENCE`` when it has a ``book`` part."""
    out = {}
    for d in MWZ_DOMAINS:
        sub = goal.get(d) or {}
        if sub:
            book = {k: v for k, v in (sub.get("book") or {}).items() if k != "invalid"}
            out[d] = _goal_domain(sub.get("info") or {}, sub.get("reqt") or (), bool(book))
    return out


def goal_from_task(goal: Mapping[str, Any], requested: Mapping[str, Sequence[str]]) -> dict[str, MwzGoal]:
    """mwzeval's goal of an env scenario (the converted goal layout, ``scenario.gold.requested``), so that a
    changed goal is followed."""
    out = {}
    for d in MWZ_DOMAINS:
        sub = goal.get(d)
        if isinstance(sub, Mapping) and sub:
            out[d] = _goal_domain(sub.get("info") or {}, requested.get(d) or sub.get("reqt") or (), bool(sub.get("book")))
    return out


# -- the venue query ----------------------------------------------------------------------------------------
def _column(name: str) -> str:
    if name == "id":
        return name
    name = name.lower().replace(" ", "")
    return {"arriveby": "arrive", "leaveat": "leave"}.get(name, name)


def _minutes(value: str) -> int:
    m = re.match(r"(\d\d):(\d\d)", value)
    return int(m.group(1)) * 60 + int(m.group(2)) if m else 0


def _state_value(slot: str, value: str) -> str:
    """A state value in the form the venue query compares (the project's normalisation). A venue-name
    variant is mapped only onto a name the database has: mwzeval's table rewrites "the junction" to
    "junction theatre" (and "rosa's" to "rosas bed and breakfast", "parkside pools" to "parkside swimming
    pool"), names its own lookup then misses; that bug is documented, not copied."""
    norm = dst_value({"arrive": "arriveBy", "leave": "leaveAt"}.get(slot, slot), value)
    if slot in ("name", "departure", "destination") and norm and norm != " ".join(value.lower().split()):
        if norm not in _venue_names():
            return " ".join(value.lower().split())
    return norm if norm else value.strip().lower()


@functools.lru_cache(maxsize=1)
def _venue_names() -> frozenset[str]:
    db = VenueDatabase.load()
    return frozenset(str(r.get("name", "")).lower() for d in ("restaurant", "hotel", "attraction") for r in db.rows[d])


def normalise_state(state: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """``{domain: {column: value}}`` with mwzeval's column names (``arrive``, ``leave``, no spaces) and
    normalised values; dontcare and empty values kept as given (the query skips them)."""
    out: dict[str, dict[str, str]] = {}
    for d, slots in state.items():
        if not isinstance(slots, Mapping):
            continue
        row = {}
        for slot, value in slots.items():
            col = _column(str(slot).removeprefix("book ").removeprefix("book_"))
            text = str(value)
            row[col] = text if text.strip().lower() in _DONTCARE or not text.strip() else _state_value(col, text)
        out[str(d)] = row
    return out


class _ColumnIndex:
    """One venue table's columns for :meth:`VenueDatabase._query`: row positions by exact value (a row
    without the column, or with ``"?"``, matches any value), minutes of the time columns, the values as
    strings; built per column on first use."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], id_column: str):
        self.rows = rows
        self.ids = [str(r[id_column]) for r in rows]
        self._exact: dict[str, tuple[dict[str, set[int]], set[int]]] = {}
        self._minutes: dict[str, list[int | None]] = {}
        self._texts: dict[str, list[str | None]] = {}

    def texts(self, column: str) -> list[str | None]:
        """``str`` of each row's value, ``None`` where it is missing or ``"?"`` (matches anything)."""
        if column not in self._texts:
            values = [r.get(column) for r in self.rows]
            self._texts[column] = [None if v == "?" or v is None else str(v) for v in values]
        return self._texts[column]

    def exact(self, column: str, value: str) -> set[int]:
        if column not in self._exact:
            by_value: dict[str, set[int]] = {}
            wild: set[int] = set()
            for i, text in enumerate(self.texts(column)):
                (wild if text is None else by_value.setdefault(text, set())).add(i)
            self._exact[column] = (by_value, wild)
        by_value, wild = self._exact[column]
        return by_value.get(value, set()) | wild

    def minutes(self, column: str) -> list[int | None]:
        if column not in self._minutes:
            self._minutes[column] = [None if t is None else _minutes(t) for t in self.texts(column)]
        return self._minutes[column]


class VenueDatabase:
    """mwzeval's venue query over the four MultiWOZ venue tables (raw rows with their ``id``)."""

    def __init__(self, tables: Mapping[str, Sequence[Mapping[str, Any]]]):
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.columns: dict[str, set[str]] = {}
        for d in VENUE_DOMAINS:
            rows = [{_column(k): v for k, v in r.items() if k not in _IGNORED_COLUMNS.get(d, ())}
                    for r in tables.get(d, ())]
            if d == "attraction":  # the dataset's file has 'mutliple sports' where mwzeval's copy has it fixed
                rows = [{**r, "type": dst_value("type", r["type"])} if isinstance(r.get("type"), str) else r for r in rows]
            self.rows[d] = rows
            self.columns[d] = set(rows[0]) if rows else set()
        self._cache: dict[tuple, tuple[str, ...]] = {}
        self._indexes: dict[str, _ColumnIndex] = {}
        self._ratios: dict[tuple[str, str], bool] = {}

    @classmethod
    @functools.lru_cache(maxsize=1)
    def load(cls) -> VenueDatabase:
        """The tables of the ``multiwoz24`` dataset (``db/``, the files mwzeval ships)."""
        from coalm_env import data

        return cls({d: data.read_json("multiwoz24", "db", f"{d}_db.json") for d in VENUE_DOMAINS})

    def query(self, domain: str, constraints: Mapping[str, str]) -> tuple[str, ...]:
        """Ids (trainIDs for trains) of the venues of ``domain`` matching ``constraints`` (columns as
        :func:`normalise_state` writes them)."""
        if domain not in self.rows:
            return ()
        wanted = {k: str(v) for k, v in constraints.items() if k in self.columns[domain]
                  and str(v).strip().lower() not in _DONTCARE}
        key = (domain, tuple(sorted(wanted.items())))
        if key not in self._cache:
            self._cache[key] = tuple(self._query(domain, wanted))
        return self._cache[key]

    def _query(self, domain: str, wanted: Mapping[str, str]) -> list[str]:
        """:meth:`_scan`'s answer from per-column indexes: exact columns by hash lookup, time bounds over
        the rows left, the fuzzy columns last (each distinct pair of strings compared once per process)."""
        from rapidfuzz import fuzz

        index = self._indexes.get(domain)
        if index is None:
            index = self._indexes[domain] = _ColumnIndex(self.rows[domain], "trainid" if domain == "train" else "id")
        fuzzy = _FUZZY.get(domain, ())
        left: set[int] | None = None
        for k, v in wanted.items():
            if k not in ("arrive", "leave") and k not in fuzzy:
                hits = index.exact(k, v)
                left = hits if left is None else left & hits
        if left is None:
            left = set(range(len(self.rows[domain])))
        for k, v in wanted.items():
            if k in ("arrive", "leave"):
                bound, minutes = _minutes(v), index.minutes(k)
                left = {i for i in left if minutes[i] is None or
                        (minutes[i] <= bound if k == "arrive" else minutes[i] >= bound)}
        for k, v in wanted.items():
            if k in fuzzy and k not in ("arrive", "leave"):
                texts, ratios = index.texts(k), self._ratios
                kept = set()
                for i in left:
                    have = texts[i]
                    if have is None:
                        kept.add(i)
                        continue
                    ok = ratios.get((have, v))
                    if ok is None:
                        if len(ratios) > 1 << 16:
                            ratios.clear()
                        ok = ratios[(have, v)] = int(fuzz.partial_ratio(have, v) + 0.5) >= 90
                    if ok:
                        kept.add(i)
                left = kept
        return [index.ids[i] for i in sorted(left)]

    def _scan(self, domain: str, wanted: Mapping[str, str]) -> list[str]:
        """mwzeval's venue query as a scan of every row (the reference :meth:`_query` is tested against)."""
        from rapidfuzz import fuzz

        bounds = {k: _minutes(v) for k, v in wanted.items() if k in ("arrive", "leave")}
        out = []
        for row in self.rows[domain]:
            ok = True
            for k, v in wanted.items():
                have = row.get(k)
                if have == "?" or have is None:
                    continue
                if k == "arrive":
                    ok = _minutes(str(have)) <= bounds[k]
                elif k == "leave":
                    ok = _minutes(str(have)) >= bounds[k]
                elif k in _FUZZY.get(domain, ()):
                    ok = int(fuzz.partial_ratio(str(have), v) + 0.5) >= 90  # fuzzywuzzy rounds to an int
                else:
                    ok = str(have) == v
                if not ok:
                    break
            if ok:
                out.append(str(row["trainid"] if domain == "train" else row["id"]))
        return out


# -- active domains -----------------------------------------------------------------------------------------
def estimate_active_domains(states: Sequence[Mapping[str, Mapping[str, str]]]) -> list[list[str]]:
    """mwzeval's estimate of each turn's active domain from the belief states: the domain whose slots
    changed this turn (the one with most slots among several, unless the current one changed too); with
    no change, the current domain stays (or, when the last change touched several domains, moves to
    another of those still in the state); none before the first change."""
    out: list[list[str]] = []
    current: str | None = None
    previous: Mapping[str, Mapping[str, str]] = {}
    last_changed: list[str] = []
    for state in states:
        changed = [d for d in state if set(state[d].items()) - set(previous.get(d, {}).items())]
        if not changed and current is None:
            out.append([])
            continue  # mwzeval keeps comparing against the older state
        if not changed:
            others = [d for d in last_changed if d in state and d != current] if len(last_changed) > 1 else []
            if others:
                current = others[0]
        elif current not in changed:
            current = max(changed, key=lambda d: len(state[d]))
        previous, last_changed = state, changed
        out.append([current] if current is not None else [])
    return out


# -- one dialogue -------------------------------------------------------------------------------------------
@dataclass
class DialogScore:
    """Inform and Success of one dialogue, overall and per goal domain (success per domain only when
    Inform holds, as mwzeval)."""

    inform: bool
    success: bool
    inform_domains: dict[str, bool] = field(default_factory=dict)
    success_domains: dict[str, bool] = field(default_factory=dict)
    offered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    provided: dict[str, set[str]] = field(default_factory=dict)
    #: online: the agent replies scored, and how many of them from a handed-over delexicalised reply
    turns: int = 0
    delex_turns: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"inform": int(self.inform), "success": int(self.success),
                "inform_domains": {d: int(v) for d, v in self.inform_domains.items()},
                "success_domains": {d: int(v) for d, v in self.success_domains.items()}}


def dialog_inform_success(goal: Mapping[str, MwzGoal], turns: Sequence[set[str]],
                          states: Sequence[Mapping[str, Mapping[str, str]]], booked: Sequence[Iterable[str]],
                          active: Sequence[Iterable[str]], db: VenueDatabase) -> DialogScore:
    """mwzeval's Inform and Success of one dialogue: per turn its tokens, its belief state (normalised,
    :func:`normalise_state`), the domains booked by then, its active domains."""
    offered: dict[str, tuple[str, ...]] = {d: () for d in goal}
    provided: dict[str, set[str]] = {d: set() for d in goal}
    for tokens, state, booked_now, active_now in zip(turns, states, booked, active):
        active_now, booked_now = set(active_now), set(booked_now)
        for d in goal:
            if d not in active_now:
                continue
            if ("NAME" in tokens and d in ("restaurant", "hotel", "attraction")) or ("TRAINID" in tokens and d == "train"):
                venues = db.query(d, state[d]) if d in state else ()
                if not offered[d] or not set(offered[d]) <= set(venues):
                    offered[d] = venues
            for t in tokens & set(REQUESTABLE_TOKENS):
                if t != "REFERENCE" or d in booked_now:
                    provided[d].add(t)
    inform_domains = {}
    for d, g in goal.items():
        if "name" in g.informable or d in _NO_DB:
            inform_domains[d] = True
        elif d == "train" and not offered[d] and "TRAINID" not in g.requestable:
            inform_domains[d] = True
        elif d in VENUE_DOMAINS and offered[d]:
            wanted = normalise_state({d: {k: v for k, v in g.informable.items()}})[d]
            inform_domains[d] = set(offered[d]) <= set(db.query(d, wanted))
        else:
            inform_domains[d] = False
    inform = all(inform_domains.values())
    success_domains = {d: g.requestable <= provided[d] for d, g in goal.items()} if inform else {}
    return DialogScore(inform, inform and all(success_domains.values()), inform_domains, success_domains,
                       offered, provided, len(turns))


# -- lexicalised text ---------------------------------------------------------------------------------------
_TRAIN_LIKE = re.compile(r"\bTR\s?\d{3,4}\b", re.IGNORECASE)
_PHONE_RE = re.compile(r"(?<![\w])0\d(?:[\s-]*\d){8,9}(?![\w])")
_POSTCODE_RE = re.compile(r"\bc\.?\s?b\s?\d{1,2}\s*,?\s*\d\s?[a-z]{2}\b", re.IGNORECASE)
_REFERENCE_RE = re.compile(r"\b(?:(?=[A-Za-z0-9]{8}\b)(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{8}|[A-Z]{8})\b")


class LexicalReader:
    """Delexicalisation of a lexicalised response into mwzeval's tokens, against the database
    (:class:`~coalm_env.domains.multiwoz.scoring.TextIndex`): ``NAME`` for a restaurant, hotel, attraction
    or police name (short forms included; with the domain's understanding, misspelt ones too); ``TRAINID`` for a trainID of the database; ``PHONE`` for a phone
    number (any 0-led number of 10-11 digits, spaced or hyphenated, or a database phone); ``ADDRESS`` for a
    database address; ``POST`` for a Cambridge postcode; ``REFERENCE`` for a booking reference of the
    episode, or (``any_reference``, offline files) any 8-character code of letters and digits."""

    def __init__(self, index: Any):
        self.index = index

    def _misspelt_name(self, text: str) -> bool:
        """A venue name the domain's understanding reads in another spelling ("the wankworth house")."""
        understanding = getattr(self.index, "understanding", None)
        if understanding is None:
            return False
        from coalm_env.domains.tod.scoring import _reading  # cached per text

        reading = _reading(understanding, text)
        return any(reading.mentioned.get(d) or reading.offers.get(d) for d in ("restaurant", "hotel", "attraction"))

    def tokens(self, text: str, references: Iterable[str] = (), any_reference: bool = False) -> set[str]:
        out: set[str] = set()
        index = self.index
        if any(index.named(d, text) for d in ("restaurant", "hotel", "attraction", "police")) or self._misspelt_name(text):
            out.add("NAME")
        if index.named("train", text) or _TRAIN_LIKE.search(text):
            out.add("TRAINID")  # a misspelt id ("TR118") is still the wizard naming a train
        if _PHONE_RE.search(text) or any(index.provides(d, "phone", text) for d in ("restaurant", "hotel",
                                                                                    "attraction", "police", "hospital")):
            out.add("PHONE")
        if any(index.provides(d, "address", text) for d in ("restaurant", "hotel", "attraction", "police", "hospital")):
            out.add("ADDRESS")
        if _POSTCODE_RE.search(text) or any(index.provides(d, "postcode", text) for d in ("restaurant", "hotel",
                                                                                       "attraction", "police")):
            out.add("POST")
        flat = alnum_key(text)
        refs = [alnum_key(r) for r in references if alnum_key(r)]
        if any(r in flat for r in refs) or (any_reference and is_reference_text(text)):
            out.add("REFERENCE")
        return out


def reference_codes(text: str) -> list[str]:
    """The booking-reference-shaped codes of a text (8 letters and digits, or 8 capitals; no trainID)."""
    return [m.group(0) for m in _REFERENCE_RE.finditer(text) if not re.fullmatch(r"tr\d{4}\w*", m.group(0), re.IGNORECASE)]


def is_reference_text(text: str) -> bool:
    """Whether a text holds a booking-reference-shaped code (:func:`reference_codes`)."""
    return bool(reference_codes(text))


# -- an episode ---------------------------------------------------------------------------------------------
def step_delex(step: Any) -> str | None:
    """The delexicalised reply an agent handed over with a reply step (``AgentAction(text,
    extra={"delex": ...})``, kept in ``StepRecord.extra["delex"]``), or ``None`` where it gave none or one
    :func:`coalm_env.limits.delex_problem` refuses (checked again here: a trajectory file may be edited)."""
    from coalm_env.limits import delex_problem

    extra = getattr(step, "extra", None)
    value = extra.get("delex") if isinstance(extra, Mapping) else None
    return value if value is not None and delex_problem(value) is None else None


def episode_inform_success(trajectory: Any, goal: Mapping[str, MwzGoal], reader: LexicalReader,
                           db: VenueDatabase) -> DialogScore:
    """mwzeval Inform/Success of an env episode: every agent reply is a turn, with the agent's belief state
    after it (:func:`~coalm_env.domains.multiwoz.jga.state_after_steps`), the domains it has booked so far
    (successful ``book_<d>`` calls) and the active domain estimated from that state.

    A reply's tokens are read from the **delexicalised reply** the agent handed over with it
    (:func:`step_delex`; read by its placeholders only, :func:`delex_tokens`, as mwzeval reads its
    delexicalised input), else from the reply's text (:class:`LexicalReader`). ``delex_turns`` of the
    result counts the turns read the first way."""
    from coalm_env.domains.multiwoz.jga import state_after_steps

    turns, states, booked, refs = [], [], [], []
    booked_now: set[str] = set()
    delex_turns = 0
    for step, state in state_after_steps(trajectory):
        for call, result in zip(step.calls, step.results):
            if result.ok and call.name.startswith("book_") and isinstance(result.value, Mapping):
                booked_now.add(call.name.removeprefix("book_"))
                if result.value.get("reference"):
                    refs.append(str(result.value["reference"]))
        if str(step.kind) == "reply" and step.reply:
            delex = step_delex(step)
            delex_turns += delex is not None
            turns.append(delex_tokens(delex) if delex is not None else reader.tokens(step.reply, refs))
            states.append(normalise_state(state))
            booked.append(set(booked_now))
    score = dialog_inform_success(goal, turns, states, booked, estimate_active_domains(states), db)
    score.delex_turns = delex_turns
    return score


# -- dataset helpers: the gold side of an offline file --------------------------------------------------------
#: the dataset's act slot names (``span_info``) as delexicalised slot names mwzeval reads
_SPAN_SLOT = {"name": "name", "ref": "reference", "id": "train_id", "phone": "phone", "addr": "address",
              "post": "postcode", "area": "area", "food": "food", "price": "pricerange", "type": "type",
              "choice": "choice", "leave": "leave", "arrive": "arrive", "depart": "departure",
              "dest": "destination", "day": "day", "time": "time", "people": "people", "stay": "stay",
              "stars": "stars", "ticket": "price", "car": "car", "fee": "price", "open": "openhours",
              "internet": "internet", "parking": "parking", "department": "department"}


def delexicalise(text: str, span_info: Sequence[Sequence[Any]]) -> str:
    """A dataset system turn (whitespace-tokenised) with its ``span_info`` spans replaced by slot
    placeholders (``[restaurant_name]``, ``[value_phone]``, ``[train_id]``, ...): the gold responses in
    mwzeval's input format. Overlapping spans and ``dontcare`` values are left as text."""
    words = text.split()
    spans = sorted((int(s[3]), int(s[4]), str(s[0]), str(s[1])) for s in span_info
                   if len(s) >= 5 and str(s[2]).lower() != "dontcare")
    out, i = [], 0
    for start, end, act, slot in spans:
        if start < i or start >= len(words):
            continue
        domain = act.split("-")[0].lower()
        name = _SPAN_SLOT.get(slot.lower(), slot.lower())
        if name == "name" and domain in ("restaurant", "hotel", "attraction", "police", "hospital"):
            placeholder = f"[{domain}_name]"
        elif name == "train_id":
            placeholder = "[train_id]"
        elif name == "openhours":
            placeholder = "[openhours]"
        else:
            placeholder = f"[value_{name}]"
        out += words[i:start] + [placeholder]
        i = end + 1
    return " ".join(out + words[i:])


def booked_domains(log: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Per system turn of a dataset log, the domains (taxi aside) with a booking recorded by then: the
    ``booked_domains`` mwzeval ships, rebuilt (equal on all 1,000 test dialogues)."""
    out = []
    for turn in log[1::2]:
        meta = turn.get("metadata") or {}
        out.append(sorted(d for d, m in meta.items() if d != "taxi" and ((m or {}).get("book") or {}).get("booked")))
    return out


# -- offline files ------------------------------------------------------------------------------------------
def score_turns(goal: Mapping[str, MwzGoal], turns: Sequence[Mapping[str, Any]], gold_states: Sequence[Mapping] | None,
                gold_booked: Sequence[Iterable[str]], reader: LexicalReader | None, db: VenueDatabase) -> DialogScore:
    """One dialogue of an offline file: each turn's ``response`` (delexicalised, or lexicalised when a
    ``reader`` is given), its ``state`` (else the gold state of that turn) and ``active_domains`` (else
    estimated from the states); bookings from the dataset (``gold_booked``), as mwzeval."""
    tokens, states = [], []
    for i, turn in enumerate(turns):
        response = str(turn.get("response", ""))
        if is_delexicalised(response) or reader is None:
            tokens.append(delex_tokens(response))
        else:
            tokens.append(reader.tokens(response, any_reference=True))
        state = turn.get("state")
        if state is None:
            state = gold_states[i] if gold_states is not None and i < len(gold_states) else {}
        states.append(normalise_state(state))
    if all("active_domains" in t for t in turns):
        active = [list(t.get("active_domains") or []) for t in turns]
    else:
        active = estimate_active_domains(states)
    booked = [list(gold_booked[i]) if i < len(gold_booked) else [] for i in range(len(turns))]
    return dialog_inform_success(goal, tokens, states, booked, active, db)
