"""The vocabulary of a task-oriented domain: the one place that says when two slot values are the same.

A :class:`Vocabulary` owns, for one domain object (Travel; MultiWOZ subclasses it with its alias tables):

- the schema (:data:`~coalm_env.domains.tod.schema.SCHEMAS`);
- the comparison key of a slot value (:meth:`Vocabulary.value_key`) and value equality
  (:meth:`Vocabulary.same_value`; ``departure``/``destination`` compare as place names);
- the one set of "any value" forms (:data:`DONTCARE`, :meth:`Vocabulary.is_dontcare`) and of "no value"
  forms (:data:`EMPTY`);
- clock times (:meth:`Vocabulary.clock_time`: ``"9:05"`` -> ``"09:05"``);
- record matching (:meth:`Vocabulary.matches`), MultiWOZ's rules: a constraint that is dontcare or empty
  is ignored; ``leaveAt``: the entity leaves at or after the time; ``arriveBy``: it arrives at or before
  it; everything else equal under :meth:`~Vocabulary.value_key` (names ignore a leading ``the``);
- name resolution (:meth:`Vocabulary.resolve_name`): the database spelling of an entity name.

Users reach it as ``request.context.vocab``, policies as ``info["vocab"]``, APIs as ``state.vocab``
(:class:`~coalm_env.domains.tod.apis.TodState`), scorers through the domain object.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from coalm_env.domains.tod.schema import SCHEMAS, DomainSchema
from coalm_env.text import word_key

__all__ = ["Vocabulary", "DONTCARE", "EMPTY", "DONTCARE_VALUE", "TIME_SLOTS", "PLACE_SLOTS", "clock_time"]

#: the value a goal or a tracked state writes for "any value is fine"
DONTCARE_VALUE = "dontcare"
#: every way of saying "any value is fine" (as compared after :func:`~coalm_env.text.word_key`)
DONTCARE = frozenset({"dontcare", "don't care", "dont care", "do n't care", "do not care", "doesn't matter",
                      "does not matter", "any", "no preference"})
#: values that mean "no value"
EMPTY = frozenset({"", "none", "not mentioned", "not given"})
TIME_SLOTS = ("leaveAt", "arriveBy", "time")
#: slots whose values are place names (compared as names)
PLACE_SLOTS = ("name", "departure", "destination")


def clock_time(value: str) -> str:
    """``"9:05"`` -> ``"09:05"``; anything that is not ``H:MM`` comes back stripped and lower-cased."""
    text = str(value).strip().lower()
    if ":" in text:
        h, _, m = text.partition(":")
        if h.isdigit() and m[:2].isdigit():
            return f"{int(h):02d}:{m[:2]}"
    return text


@functools.lru_cache(maxsize=1 << 16)  # pure; record values repeat across every query
def _value_key(slot: str, value: str) -> str:
    if slot in TIME_SLOTS:
        return clock_time(value)
    text = word_key(value)
    if slot == "name" and text.startswith("the "):
        text = text[4:]
    return text


@functools.lru_cache(maxsize=1 << 14)
def _cached_key(value: str) -> str:
    return word_key(value)


def _short_key(value: str) -> str:
    """:func:`word_key` of a slot value, kept per value when short (the same values are asked again and again)."""
    return _cached_key(value) if len(value) <= 80 else word_key(value)


class Vocabulary:
    """Value equality, matching and names of a task-oriented domain (see the module docstring).

    Args:
        names: ``{domain: [entity keys]}`` (names; trainIDs; departments) that :meth:`resolve_name` knows.
    """

    schemas: Mapping[str, DomainSchema] = SCHEMAS
    dontcare: frozenset[str] = DONTCARE
    empty: frozenset[str] = EMPTY

    def __init__(self, names: Mapping[str, Sequence[str]] | None = None):
        self.names = {d: list(v) for d, v in (names or {}).items()}
        self._by_key: dict[str, dict[str, str]] = {}

    # -- values ------------------------------------------------------------------------------
    def clock_time(self, text: str) -> str:
        """A time as ``HH:MM`` where it is one (other text as is)."""
        return clock_time(text)

    def value_key(self, slot: str, value: Any) -> str:
        """The comparison key of a slot value: two values are the same exactly when their keys are."""
        return _value_key(slot, str(value))

    def same_value(self, slot: str, a: Any, b: Any) -> bool:
        """Whether ``a`` and ``b`` are the same value of ``slot`` (places compare as names)."""
        slot = "name" if slot in PLACE_SLOTS else slot
        return self.value_key(slot, a) == self.value_key(slot, b)

    def is_dontcare(self, value: Any) -> bool:
        """Whether ``value`` says "any value is fine"."""
        return value is not None and _short_key(str(value)) in self.dontcare

    def constrains(self, value: Any) -> bool:
        """Whether ``value`` constrains a search (not absent, empty or dontcare)."""
        if value is None:
            return False
        key = _short_key(str(value))
        return key not in self.dontcare and key not in self.empty

    # -- records -----------------------------------------------------------------------------
    def matches(self, record: Mapping[str, Any], constraints: Mapping[str, Any]) -> bool:
        """Whether ``record`` satisfies every constraint (see the module docstring)."""
        for slot, value in constraints.items():
            if not self.constrains(value):
                continue
            have = record.get(slot)
            if have is None:
                return False
            want = self.value_key(slot, value)
            if slot == "leaveAt":  # _value_key of a time slot is its clock_time (kept per value)
                if _value_key(slot, str(have)) < want:
                    return False
            elif slot == "arriveBy":
                if _value_key(slot, str(have)) > want:
                    return False
            elif self.value_key(slot, have) != want:
                return False
        return True

    def resolve_name(self, domain: str, text: Any) -> str | None:
        """The database spelling of the entity of ``domain`` that ``text`` names (under
        :meth:`value_key` of its entity key: case, punctuation, a leading ``the``), or ``None``."""
        if domain not in self._by_key:
            key = self.schemas[domain].entity_key if domain in self.schemas else "name"
            index: dict[str, str] = {}
            for n in self.names.get(domain, ()):
                index.setdefault(self.value_key(key, n), n)
            self._by_key[domain] = index
        key = self.schemas[domain].entity_key if domain in self.schemas else "name"
        return self._by_key[domain].get(self.value_key(key, text))

    # -- free text ---------------------------------------------------------------------------
    @functools.cached_property
    def understanding(self) -> Any:
        """The domain's value understanding (:class:`~coalm_env.domains.tod.understanding.Understanding`,
        the hand-written table over this vocabulary's names; built on first use), shared by the scorer,
        the agenda user and the rule policy."""
        from coalm_env.domains.tod.understanding import Understanding

        places = [n for d in ("train", "taxi") for n in self.places.get(d, ())]
        return Understanding.fallback(self.names, places)

    @property
    def places(self) -> Mapping[str, Sequence[str]]:
        """Town and station names per domain (none here; MultiWOZ: its train stations)."""
        return {}

    def resolve_place(self, text: Any, domains: Sequence[str] = ("restaurant", "hotel", "attraction")) -> str:
        """A taxi place: the database spelling of the venue ``text`` names, else ``text`` as given."""
        for d in domains:
            found = self.resolve_name(d, text)
            if found is not None:
                return found
        return str(text)
