"""What MultiWOZ users see: the task-oriented :class:`TodContext`, with MultiWOZ's matching and trainIDs.

MultiWOZ's train table reuses 336 trainIDs on two routes, so a look-up by trainID is ambiguous. The user
knows its own goal, so :meth:`MultiWOZContext.lookup` returns, among the entities with that key, the one
that fits the goal's constraints (final, then ``fail_info``), as a person reading the agent's offer
("TR0942 leaves cambridge at 14:01 on saturday") would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.domains.multiwoz.database import MultiWOZDatabase
from coalm_env.domains.tod.apis import public
from coalm_env.domains.tod.context import TodContext
from coalm_env.domains.tod.schema import SCHEMAS

__all__ = ["MultiWOZContext"]


@dataclass
class MultiWOZContext(TodContext):
    """A :class:`TodContext` over the MultiWOZ database.

    Attributes:
        database: the normalised MultiWOZ database (searches use its matching rules).
        prefer: ``{domain: [constraints, ...]}``: which entity a shared key means, in order of preference.
    """

    database: MultiWOZDatabase | None = None
    prefer: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)

    def find(self, domain: str, constraints: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Entities of ``domain`` matching ``constraints`` (MultiWOZ rules: canonical values, name variants)."""
        return [public(r) for r in self.database.query(self.state.view, domain, constraints)]

    def lookup(self, domain: str, name: str) -> dict[str, Any] | None:
        """The entity called ``name`` (or with that trainID); where several share it, the one fitting the goal."""
        key = SCHEMAS[domain].entity_key
        resolved = self.vocab.resolve_name(domain, name) or name
        rows = self.database.query(self.state.view, domain, {key: resolved})
        for constraints in self.prefer.get(domain, ()):
            fitting = [r for r in rows if self.vocab.matches(r, constraints)]
            if fitting:
                return public(fitting[0])
        return public(rows[0]) if rows else None
