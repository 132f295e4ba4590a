"""What a task-oriented domain tells its user simulators: ontology, lexicon and read-only look-ups.

A :class:`TodContext` is the ``context`` of every :class:`~coalm_env.protocols.UserRequest` in the
travel and MultiWOZ domains. A simulated user may read the database (it plays a person who can check
whether an offered venue fits) and the bookings made in its episode, never the gold plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.domains.tod import db
from coalm_env.domains.tod.apis import TodState, bookings, public
from coalm_env.domains.tod.schema import DomainSchema
from coalm_env.domains.tod.vocab import Vocabulary
from coalm_env.text import REFERENCE_RE, find_mentions, mention_index

__all__ = ["TodContext"]


@dataclass
class TodContext:
    """Read-only knowledge for users of one episode.

    Attributes:
        domains: the domains of this world (schema order).
        lexicon: ``{domain: {slot: [values]}}``, every value a slot takes in the database.
        names: ``{domain: [entity names]}`` (trainIDs for trains).
        state: the episode's backend state (read it through the methods below).
        vocab: the domain's vocabulary (value equality, record matching, names, dontcare, times, schema);
            default: the task-oriented one over ``names``.
    """

    domains: Sequence[str]
    lexicon: Mapping[str, Mapping[str, Sequence[str]]]
    names: Mapping[str, Sequence[str]]
    state: TodState
    vocab: Vocabulary = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.vocab is None:
            self.vocab = Vocabulary(self.names)

    @property
    def schemas(self) -> dict[str, DomainSchema]:
        return {d: self.vocab.schemas[d] for d in self.domains}

    def find(self, domain: str, constraints: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Entities of ``domain`` matching ``constraints`` (MultiWOZ rules)."""
        return [public(r) for r in db.query(self.state.view, domain, constraints)]

    def lookup(self, domain: str, name: str) -> dict[str, Any] | None:
        """The entity called ``name`` (or with that trainID), or ``None``."""
        rec = db.lookup(self.state.view, domain, name)
        return public(rec) if rec is not None else None

    def mentioned_entities(self, domain: str, text: str) -> list[str]:
        """Entity names of ``domain`` mentioned in ``text``, in order of appearance."""
        return mention_index(self.names.get(domain, ())).find(text)

    def mentioned_values(self, domain: str, slot: str, text: str) -> list[str]:
        """Known values of ``slot`` mentioned in ``text``."""
        return find_mentions(text, self.lexicon.get(domain, {}).get(slot, ()))

    def bookings(self, domain: str | None = None) -> list[dict[str, Any]]:
        """Bookings made in this episode (optionally of one domain), oldest first."""
        return bookings(self.state.view, domain)

    def references_in(self, text: str) -> list[dict[str, Any]]:
        """Bookings of this episode whose reference appears in ``text`` (any letter case: an agent
        may write ``k3z9qw2a`` for ``K3Z9QW2A``)."""
        refs = set(REFERENCE_RE.findall(text.upper()))
        return [b for b in self.bookings() if b["reference"] in refs]
