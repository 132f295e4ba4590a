"""Slot schemas of the task-oriented domains, in MultiWOZ's own slot names.

Goals use the MultiWOZ layout, values as strings::

    {"restaurant": {"info": {"food": "italian", "area": "centre"},   # final, satisfiable constraints
                    "fail_info": {"food": "korean", "area": "centre"},  # tried first, no match ({} if none)
                    "reqt": ["phone", "address"],                     # requested slots
                    "book": {"people": "2", "day": "tuesday", "time": "18:00"},  # final booking values
                    "fail_book": {"time": "19:00"}},                  # tried first, booking fails ({} if none)
     "taxi": {...}, ...}

A domain absent from the goal, or mapped to ``{}``, is not part of the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DomainSchema", "SCHEMAS", "goal_domains"]


@dataclass(frozen=True)
class DomainSchema:
    """Slots of one domain, and the APIs that serve it."""

    name: str
    informable: tuple[str, ...]  # search constraints (API parameters of find_<domain>)
    requestable: tuple[str, ...]  # attributes a user may ask for
    book: tuple[str, ...]  # booking slots (API parameters of book_<domain>, besides the entity key)
    entity_key: str  # how an entity is named: "name", or "trainID" for trains
    find_api: str | None
    book_api: str | None


SCHEMAS: dict[str, DomainSchema] = {
    "restaurant": DomainSchema(
        "restaurant",
        ("food", "area", "pricerange", "name"),
        ("address", "phone", "postcode", "food", "area", "pricerange", "reference", "name"),
        ("people", "day", "time"),
        "name",
        "find_restaurant",
        "book_restaurant",
    ),
    "hotel": DomainSchema(
        "hotel",
        ("area", "pricerange", "stars", "type", "parking", "internet", "name"),
        ("address", "phone", "postcode", "area", "pricerange", "stars", "type", "parking", "internet",
         "reference", "name"),
        ("people", "day", "stay"),
        "name",
        "find_hotel",
        "book_hotel",
    ),
    "attraction": DomainSchema(
        "attraction",
        ("area", "type", "name"),
        ("address", "phone", "postcode", "area", "type", "entrance fee", "name"),
        (),
        "name",
        "find_attraction",
        None,
    ),
    "train": DomainSchema(
        "train",
        ("departure", "destination", "day", "leaveAt", "arriveBy", "trainID"),
        ("trainID", "price", "duration", "leaveAt", "arriveBy", "reference"),
        ("people",),
        "trainID",
        "find_train",
        "book_train",
    ),
    "taxi": DomainSchema(
        "taxi",
        ("departure", "destination", "leaveAt", "arriveBy"),
        ("car type", "phone"),
        (),
        "reference",
        None,
        "book_taxi",
    ),
    "police": DomainSchema("police", (), ("address", "phone", "postcode"), (), "name", "find_police", None),
    "hospital": DomainSchema(
        "hospital", ("department",), ("address", "phone", "postcode"), (), "department", "find_hospital", None
    ),
}


def goal_domains(goal: dict[str, Any]) -> list[str]:
    """The domains a goal involves, in schema order."""
    return [d for d in SCHEMAS if isinstance(goal.get(d), dict) and goal[d]]
