"""MultiWOZ metrics on lexicalised agent text and on the agent's calls, as the standard evaluators define them.

**Inform / Success** (``inform``/``success``) here are the project's **entity** definition: mwzeval's
rules (Nekvinda & Dušek, ``get_dialog_success``), except that the offered venue is the entity the text
names, checked against the goal's final constraints. The published definition, where the offered venues
come from the belief-state query of the turn, is :mod:`coalm_env.domains.multiwoz.mwzeval_def`
(``mwz_inform``/``mwz_success``, :func:`mwzeval_metrics`). mwzeval reads delexicalised responses
(``[restaurant_name]``, ``[phone]``, ...); here the agent's replies are lexicalised, so a reply is
delexicalised against the database first:

- an entity of domain *d* is **named** in a reply when its name (trainID for trains) appears there
  (word match, ``the``/possessive/spelling variants tolerated, short forms :func:`short_forms`; ``the
  place`` and ``the junction`` only with their ``the`` or capitalised, not "a good place", ``Ask``
  capitalised); a successful ``book_<d>`` call names its entity too (a train's only when a reply shows
  its trainID). The **offered venues** of *d* are the entities named in the last reply (or booking) that names any
  entity of *d*. mwzeval instead takes every venue matching the dialogue state of that turn;
  naming is the lexicalised equivalent and needs no state.
- **Inform** per domain: the offered venues are a non-empty subset of the venues matching the goal's final
  constraints (mwzeval's ``issubset``), with mwzeval's exceptions: a goal that gives the venue's name, and
  taxi/police/hospital, count as matched; a train goal that never got a train offered and did not request
  the trainID counts as matched.
- A **requestable** of *d* (mwzeval's set: phone, address, postcode, reference, trainID) is **provided**
  when a reply contains that attribute's value of some entity of *d* in the database (``[d_phone]`` in the
  delexicalised text); taxi phone: a taxi booking's phone; ``reference``: the reference of a successful
  ``book_<d>`` call of this episode (mwzeval: a reference token in a turn where *d* was booked). mwzeval
  attributes a token to the turn's active domain; here the database says which domain a value belongs to.
  Goal requestables as in mwzeval: reqt (the domain's ``Gold.requested`` slots) ∩ {phone, address,
  postcode}, plus reference when the goal books;
  trains: reference when booking, trainID when requested.
- **Success** = Inform and every goal requestable provided.
- With the domain's understanding (``TextIndex(..., vocab=)``, ``vocab.understanding``), the delexicaliser
  reads values and offers as :mod:`coalm_env.domains.tod.understanding` does, keeping mwzeval's semantics: a
  requestable is provided when a reply states some entity's value of it in **any form** (``gives_value``:
  "01223 351 880", "CB2 1UF", a reference or trainID with other spacing or case; the address among the
  database's addresses, case and punctuation free), after the database-spelling check; and where the
  offered venues are the entities named in a reply, only the names the understanding reads as offered
  count (recommended first; none when named only as unavailable or failed), all of them where it does not
  see them: a delexicalised ``[restaurant_name]`` is what the wizard put forward.

**Book rate** and **Inform P/R/F1** follow ConvLab's ``MultiWozEvaluator``: the booked entity of a domain is
its first successful booking; book rate = mean over goal domains with a booking of the fraction of the
goal's ``info`` it satisfies (train departure/destination not counted, as ConvLab). For Inform P/R/F1,
ConvLab reads system dialogue acts; here a slot of domain *d* (ConvLab's requestable list) is **informed**
when a reply gives the value of that slot for the entity of *d* in focus (last named or booked), for yes/no
and star slots only together with the slot's word (``parking``, ``wifi``, ``star``). TP = requested and
informed, FN = requested not informed, FP = informed, neither requested nor a goal constraint. Omitted
when the goal requests nothing (ConvLab returns ``None``).

From :mod:`coalm_env.domains.tod.scoring` (same definitions as the travel domain): ``book`` (every booking made with
the goal's values on an entity satisfying ``info``), ``requests`` and ``task_success`` (inform, every
requested value and every booking: the interactive task complete). JGA: :mod:`coalm_env.domains.multiwoz.jga`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from coalm_env.domains.multiwoz.values import name_variants
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.tod.scoring import Booking, Episode, Reply, episode_events, offered
from coalm_env.text import MentionIndex, alnum_key
from coalm_env.types import Scenario

__all__ = ["Episode", "Reply", "Booking", "episode_events", "TextIndex", "mwz_inform_success", "mwzeval_metrics",
           "short_forms", "entity_inform_success_domains", "convlab_book_rate",
           "offered_venues", "provided_requestables", "convlab_inform_f1", "goal_requestables"]

MWZ_REQUESTABLE = ("phone", "address", "postcode")
VENUE_DOMAINS = ("restaurant", "hotel", "attraction", "train")
CONVLAB_REQUESTABLE = {
    "attraction": ("postcode", "phone", "address", "entrance fee", "area", "type"),
    "restaurant": ("address", "phone", "postcode", "reference", "pricerange", "area", "food"),
    "train": ("price", "duration", "reference", "trainID", "arriveBy", "leaveAt"),
    "hotel": ("address", "postcode", "phone", "reference", "pricerange", "internet", "parking", "area", "type",
              "stars"),
    "taxi": ("car type", "phone"),
    "hospital": ("postcode", "phone", "address"),
    "police": ("address", "postcode", "phone"),
}
_SLOT_WORDS = {"internet": ("internet", "wifi", "wi fi"), "parking": ("parking", "park"), "stars": ("star",)}
_TRAIN_ID = re.compile(r"\btr\s?(\d{4})\b", re.IGNORECASE)
#: venues named by a common word ("a good place"): they count only with their "the" or capitalised
_COMMON_WORD_NAMES = {n: re.compile(rf"(?i:\bthe\s+{w}\b)|\b{w.title()}\b") for n, w in
                      (("the place", "place"), ("the junction", "junction"))}
#: "Ask" names the restaurant only capitalised and not opening a sentence, or with its "restaurant"
_COMMON_WORD_NAMES["ask restaurant"] = re.compile(r"(?i:\bask\s+restaurant\b)|(?<![.!?]\s)(?<!^)(?<=\s)Ask\b")


class TextIndex:
    """Database-grounded delexicalisation: which entities and attribute values a text names, per domain."""

    def __init__(self, tables: Mapping[str, Sequence[Mapping[str, str]]], vocab: Any = None):
        self.tables = tables
        self._vocab = vocab  # its ``understanding`` (loaded on first use) reads values and offers in any form
        self._canon: dict[tuple[str, str], set[str]] = {}
        self._addresses: dict[str, tuple[str, ...]] = {}
        self._alias = {d: short_forms(r["name"] for r in tables.get(d, ())) for d in ("restaurant", "hotel",
                                                                                    "attraction", "police")}
        self._names = {d: MentionIndex(aliases) for d, aliases in self._alias.items()}
        self._train_ids = {r["trainID"].upper() for r in tables.get("train", ())}
        self._values = {
            d: {s: {alnum_key(r[s]) for r in rows if r.get(s) and r[s] not in ("?", "unknown")} for s in MWZ_REQUESTABLE}
            for d, rows in tables.items()
        }
        self._automaton: Any = None  # of all _values (built on first use; False: there are none)
        self._spelled_cache: dict[str, frozenset[tuple[str, str]]] = {}

    def named(self, domain: str, text: str) -> list[str]:
        """Entity keys of ``domain`` named in ``text`` (names, or trainIDs), in order."""
        if domain == "train":
            ids = [f"TR{m.group(1)}" for m in _TRAIN_ID.finditer(text)]
            return list(dict.fromkeys(i for i in ids if i in self._train_ids))
        index = self._names.get(domain)
        found = [self._alias[domain][a] for a in index.find(text)] if index is not None else []
        return [n for n in dict.fromkeys(found) if n not in _COMMON_WORD_NAMES or _COMMON_WORD_NAMES[n].search(text)]

    @property
    def understanding(self) -> Any:
        """The domain's understanding, or ``None`` (database spellings only)."""
        return getattr(self._vocab, "understanding", None) if self._vocab is not None else None

    def offered_named(self, domain: str, text: str) -> list[str]:
        """:meth:`named`, keeping only the names the understanding reads as offered (recommended last, so that
        :func:`offered` puts it first), none when they are named only as unavailable; all where the
        understanding does not see them (or there is none)."""
        exact = self.named(domain, text)
        u = self.understanding
        if not exact or u is None:
            return exact
        from coalm_env.domains.tod.scoring import _reading  # cached per text

        reading = _reading(u, text)
        said = {alnum_key(n): n for n in exact}
        offers = [said[alnum_key(n)] for n in reading.offers.get(domain, ()) if alnum_key(n) in said]
        if offers:
            return list(dict.fromkeys(reversed(offers)))
        if set(said) & {alnum_key(n) for n in reading.mentioned.get(domain, ())}:
            return []  # named, but only as unavailable / failed
        return exact

    def provides(self, domain: str, slot: str, text: str) -> bool:
        """Whether ``text`` holds the ``slot`` value of some ``domain`` entity of the database (its database
        spelling, or with the understanding any form of it)."""
        if self._spelled(domain, slot, text):
            return True
        u = self.understanding
        if u is None:
            return False
        if slot == "address":
            if domain not in self._addresses:
                self._addresses[domain] = tuple(sorted({r["address"] for r in self.tables.get(domain, ())
                                                        if r.get("address") not in (None, "", "?")}))
            return bool(self._addresses[domain]) and bool(u.find_values(text, "address", self._addresses[domain]))
        key = (domain, slot)
        if key not in self._canon:
            self._canon[key] = {u.key(slot, r[slot]) for r in self.tables.get(domain, ())
                                if r.get(slot) not in (None, "", "?", "unknown")}
        return any(u.key(slot, m.value) in self._canon[key] for m in u.find_values(text, slot))

    def _spelled(self, domain: str, slot: str, text: str) -> bool:
        """Whether the letters and digits of ``text`` hold the database spelling of some ``domain`` entity's
        ``slot`` value (:func:`alnum_key` of both)."""
        return (domain, slot) in self._spelled_in(text)

    def _spelled_in(self, text: str) -> frozenset[tuple[str, str]]:
        """The ``(domain, slot)`` pairs whose database values ``text`` spells (see :meth:`_spelled`): one
        Aho-Corasick pass (pyahocorasick) over the text for all of them instead of a substring test per
        database value (hundreds of addresses and phones, for every reply and domain); kept for the last texts."""
        hit = self._spelled_cache.get(text)
        if hit is None:
            if self._automaton is None:
                self._automaton = _value_automaton(self._values)
            flat = alnum_key(text)
            hit = frozenset().union(*(pairs for _end, pairs in self._automaton.iter(flat))) \
                if self._automaton is not False else frozenset()
            if len(self._spelled_cache) >= 256:
                self._spelled_cache.pop(next(iter(self._spelled_cache)))
            if len(text) <= 8192:
                self._spelled_cache[text] = hit
        return hit

    def gives(self, slot: str, value: str, text: str) -> bool:
        """Whether ``text`` gives ``value`` of ``slot`` (a reference, a trainID): its spelling, or with the
        understanding any form of it."""
        if alnum_key(value) and alnum_key(value) in alnum_key(text):
            return True
        u = self.understanding
        return u is not None and u.gives_value(text, slot, value)


def _value_automaton(values: Mapping[str, Mapping[str, set[str]]]) -> Any:
    """An Aho-Corasick automaton of every ``values[domain][slot]`` key, each key's value the ``(domain, slot)``
    pairs it belongs to (``False`` when there are none)."""
    import ahocorasick

    owners: dict[str, set[tuple[str, str]]] = {}
    for domain, slots in values.items():
        for slot, keys in slots.items():
            for key in keys:
                if key:
                    owners.setdefault(key, set()).add((domain, slot))
    if not owners:
        return False
    automaton = ahocorasick.Automaton()
    for key, pairs in owners.items():
        automaton.add_word(key, frozenset(pairs))
    automaton.make_automaton()
    return automaton


#: a venue name's last word that the wizards often leave out ("Fitzbillies" for "fitzbillies restaurant")
_DROPPABLE_TAIL = ("restaurant", "cafe")
#: what is left must not be a common word ("ask restaurant", "j restaurant")
_TOO_SHORT = 5


def short_forms(names: Iterable[str]) -> dict[str, str]:
    """``{alias: name}``: each name, its short form without a trailing ``restaurant`` ("fitzbillies"), and
    its form with a possessive written apart ("all saint 's church" is read as "all saint church", so
    "all saints church" also answers to that), ``guest house`` written as one word or two, and the
    spelling variants of :func:`~coalm_env.domains.multiwoz.values.name_variants` ("caffee uno"). An alias
    two names share is dropped."""
    out: dict[str, str] = {}
    shared: set[str] = set()
    names = list(names)
    variants: dict[str, set[str]] = {}
    for written, canonical in name_variants().items():
        variants.setdefault(canonical, set()).add(written)
    for name in names:
        words = name.split()
        forms = {name} | {v for v in variants.get(name, ()) if v not in names}
        if "guest house" in name or "guesthouse" in name:  # "Acorn Guesthouse" for "acorn guest house"
            forms |= {name.replace("guest house", "guesthouse"), name.replace("guesthouse", "guest house")}
        if name.endswith(" bed and breakfast"):  # "the Alexander B&B", "Alexander B and B"
            stem = name.removesuffix(" bed and breakfast")
            forms |= {f"{stem} b and b", f"{stem} b&b", f"{stem} bnb"}
        if name == "ask restaurant":  # "the restaurant Ask": capitalised only (see _COMMON_WORD_NAMES)
            forms.add("ask")
        if len(words) > 1 and words[-1] in _DROPPABLE_TAIL and len(" ".join(words[:-1]).removeprefix("the ")) >= _TOO_SHORT:
            forms.add(" ".join(words[:-1]))
        plain = [w[:-1] if i < len(words) - 1 and len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                 for i, w in enumerate(words)]
        if plain != words:
            forms.add(" ".join(plain))
        for form in forms:
            if form in out and out[form] != name:
                shared.add(form)
            out.setdefault(form, name)
    for form in shared - set(names):
        out.pop(form, None)
    return out


def mwzeval_metrics(trajectory: Any, scenario: Scenario, index: TextIndex) -> dict[str, float]:
    """``mwz_inform`` / ``mwz_success``: Inform and Success in mwzeval's definition
    (:mod:`coalm_env.domains.multiwoz.mwzeval_def`) on the episode, against the scenario's (possibly changed)
    goal."""
    from coalm_env.domains.multiwoz import mwzeval_def as mwzdef

    goal = mwzdef.goal_from_task(scenario.goal, scenario.gold.requested)
    score = mwzdef.episode_inform_success(trajectory, goal, mwzdef.LexicalReader(index), mwzdef.VenueDatabase.load())
    return {"mwz_inform": float(score.inform), "mwz_success": float(score.success),
            "mwz_delex_turns": score.delex_turns / score.turns if score.turns else 0.0}


def offered_venues(domain: str, episode: Episode, index: TextIndex) -> list[str]:
    """Entity keys of ``domain`` the agent offered last (named in its last reply naming any, or booked,
    whichever came later): :func:`~coalm_env.domains.tod.scoring.offered` with the database-grounded
    naming of :class:`TextIndex`. A train booking counts only when some reply shows that trainID: the
    user never learns which train a call booked otherwise (mwzeval reads only the text)."""
    if domain == "train":  # a booked train is offered only if a reply shows its trainID (a text with no id offers none)
        shown = {t for text in episode.replies for t in index.named("train", text)}
        episode = Episode([e for e in episode.events if not (isinstance(e, Booking) and e.domain == "train"
                                                               and e.key.upper() not in shown)])
    return offered(domain, episode, lambda text: index.offered_named(domain, text))


def goal_requestables(domain: str, sub: Mapping[str, Any], requested: Sequence[str]) -> set[str]:
    """mwzeval's requestables of a goal domain (``requested``: its slots in ``Gold.requested``)."""
    reqt = set(requested)
    if domain == "train":
        return ({"reference"} if sub.get("book") else set()) | ({"trainID"} if "trainID" in reqt else set())
    return (reqt & set(MWZ_REQUESTABLE)) | ({"reference"} if sub.get("book") else set())


def provided_requestables(domain: str, episode: Episode, index: TextIndex) -> set[str]:
    """mwzeval requestables of ``domain`` the agent provided (see the module docstring)."""
    found: set[str] = set()
    refs = {alnum_key(b.get("reference", "")) for b in episode.bookings(domain)} - {""}
    taxi_phones = {alnum_key(b.get("phone", "")) for b in episode.bookings("taxi")} - {""}
    for text in episode.replies:
        flat = alnum_key(text)
        if domain == "taxi":
            found |= {"phone"} if any(p in flat for p in taxi_phones) else set()
            continue
        found |= {s for s in MWZ_REQUESTABLE if index.provides(domain, s, text)}
        if any(r in flat for r in refs) or any(index.gives("reference", r, text) for r in refs):
            found.add("reference")
        if domain == "train" and (index.named("train", text) or index.understanding is not None and any(
                m.value.upper() in index._train_ids for m in index.understanding.find_values(text, "trainID"))):
            found.add("trainID")
    return found


def mwz_inform_success(scenario: Scenario, episode: Episode, index: TextIndex,
                       goal_venues: Mapping[str, set[str]]) -> dict[str, float]:
    """The project's (``entity``) Inform and Success of one episode against ``scenario.goal`` and the
    requested slots of ``scenario.gold.requested`` (``goal_venues``: entity keys matching each domain's
    final constraints)."""
    match, success = entity_inform_success_domains(scenario, episode, index, goal_venues)
    inform = all(match.values())
    return {"inform": float(inform), "success": float(inform and all(success.values()))}


def entity_inform_success_domains(scenario: Scenario, episode: Episode, index: TextIndex,
                                  goal_venues: Mapping[str, set[str]]) -> tuple[dict[str, bool], dict[str, bool]]:
    """Per goal domain: (offered venues fit, requestables provided) of :func:`mwz_inform_success`."""
    return domain_verdicts(scenario, goal_venues, lambda d: offered_venues(d, episode, index),
                           lambda d: provided_requestables(d, episode, index))


def domain_verdicts(scenario: Scenario, goal_venues: Mapping[str, set[str]], offered: Any,
                    provided: Any) -> tuple[dict[str, bool], dict[str, bool]]:
    """Per goal domain: (offered venues fit, requestables provided), the agent's offers and provided slots
    read by ``offered(domain)`` (venue domains only) and ``provided(domain)``: text replies or dialogue acts."""
    match, success = {}, {}
    for d, sub in scenario.goal.items():
        if not sub or d not in SCHEMAS:
            continue
        requested = scenario.gold.requested.get(d, ())
        venues = offered(d) if d in VENUE_DOMAINS else []
        if "name" in sub.get("info", {}) or d in ("taxi", "police", "hospital"):
            match[d] = True
        elif d == "train" and not venues and "trainID" not in requested:
            match[d] = True
        else:
            match[d] = bool(venues) and set(venues) <= goal_venues.get(d, set())
        success[d] = goal_requestables(d, sub, requested) <= provided(d)
    return match, success


def _time_ok(slot: str, want: str, have: str) -> bool:
    if not re.fullmatch(r"\d{2}:\d{2}", want) or not re.fullmatch(r"\d{2}:\d{2}", have):
        return True  # ConvLab counts a value it cannot parse as matched
    return have >= want if slot == "leaveAt" else have <= want


def convlab_book_rate(goal: Mapping[str, Any], episode: Episode, entity_of) -> float | None:
    """ConvLab's book rate: mean over booked goal domains of the fraction of ``info`` the first booked
    entity satisfies; ``None`` when the goal books nothing. ``entity_of(domain, key)`` gives a record."""
    scores = []
    for d, sub in goal.items():
        if d == "taxi" or not sub or not sub.get("book") or not sub.get("info"):
            continue
        booked = episode.bookings(d)
        entity = entity_of(d, booked[0].get(SCHEMAS[d].entity_key, ""), sub["info"]) if booked else None
        if entity is None:
            scores.append(0.0)
            continue
        slots = [s for s in sub["info"] if s not in ("departure", "destination")]
        hits = sum(_time_ok(s, sub["info"][s], entity.get(s, "")) if s in ("leaveAt", "arriveBy")
                   else alnum_key(sub["info"][s]) == alnum_key(entity.get(s, "")) for s in slots)
        scores.append(hits / len(slots) if slots else 1.0)
    return sum(scores) / len(scores) if scores else None


def _informed(domain: str, episode: Episode, index: TextIndex, entity_of) -> set[str]:
    out: set[str] = set()
    focus: dict[str, Any] | None = None
    slots = CONVLAB_REQUESTABLE.get(domain, ())
    for event in episode.events:
        if isinstance(event, Booking):
            if event.domain == domain:
                focus = event.record if domain == "taxi" else entity_of(domain, event.key)
            continue
        named = index.offered_named(domain, event.text) if domain not in ("taxi", "police", "hospital") else []
        if named:
            focus = entity_of(domain, named[-1])
        flat, words = alnum_key(event.text), event.text.lower()
        refs = {alnum_key(b.get("reference", "")) for b in episode.bookings(domain)} - {""}
        if "reference" in slots and any(r in flat for r in refs):
            out.add("reference")
        for s in slots:
            value = (focus or {}).get(s)
            if s == "reference" or value in (None, "", "?", "unknown") or alnum_key(value) not in flat:
                continue
            if s in _SLOT_WORDS and not any(w in words for w in _SLOT_WORDS[s]):
                continue
            out.add(s)
    return out


def convlab_inform_f1(scenario: Scenario, episode: Episode, index: TextIndex, entity_of) -> dict[str, float]:
    """ConvLab's Inform precision, recall and F1 of one episode ({} when the goal requests nothing);
    requested slots from ``scenario.gold.requested``, constraints from ``scenario.goal``."""
    tp = fp = fn = 0
    for d in CONVLAB_REQUESTABLE:
        sub = scenario.goal.get(d) or {}
        reqt = set(scenario.gold.requested.get(d) or ())
        informed = _informed(d, episode, index, entity_of)
        tp += len(reqt & informed)
        fn += len(reqt - informed)
        fp += len(informed - reqt - set(sub.get("info") or {}))
    if tp + fn == 0:
        return {}
    recall = tp / (tp + fn)
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"inform_precision": precision, "inform_recall": recall, "inform_f1": f1}
