"""A seeded generator of a city's task-oriented database (restaurants, hotels, attractions, trains,
police, hospital), with attribute distributions shaped like MultiWOZ's Cambridge databases.

``generate_world(seed, size)`` is deterministic; ``size`` scales every table (1.0 is MultiWOZ-sized:
about 110 restaurants, 33 hotels, 79 attractions, 2,800 trains).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["generate_world", "AREAS", "PRICES", "FOODS", "DAYS", "TOWNS", "CITY"]

CITY = "cambridge"
AREAS = ("centre", "north", "south", "east", "west")
_AREA_P = (0.42, 0.15, 0.13, 0.13, 0.17)
PRICES = ("cheap", "moderate", "expensive")
FOODS = ("british", "italian", "indian", "chinese", "european", "french", "thai", "japanese", "spanish",
         "korean", "mexican", "turkish", "vietnamese", "portuguese", "lebanese", "gastropub", "seafood",
         "mediterranean", "african", "north american", "asian oriental", "modern european", "international")
_FOOD_W = (9, 9, 10, 10, 5, 3, 3, 2, 2, 1, 1, 2, 1, 2, 1, 4, 1, 3, 1, 1, 4, 4, 3)
ATTRACTION_TYPES = ("museum", "college", "architecture", "park", "theatre", "cinema", "nightclub",
                    "swimmingpool", "boat", "entertainment", "concerthall", "multiple sports")
_ATTR_W = (23, 18, 5, 4, 5, 2, 5, 4, 4, 5, 1, 1)
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TOWNS = ("london kings cross", "london liverpool street", "ely", "norwich", "peterborough", "stansted airport",
         "bishops stortford", "broxbourne", "leicester", "birmingham new street", "stevenage", "kings lynn")
_TRAVEL_MIN = (51, 88, 17, 79, 50, 28, 38, 60, 105, 163, 49, 47)
DEPARTMENTS = ("accident and emergency", "cardiology", "neurology", "oncology", "paediatrics",
               "haematology", "urology", "gastroenterology", "infectious diseases", "psychiatry")

_NAME_A = ("golden", "red", "blue", "silver", "royal", "little", "old", "green", "lucky", "grand", "wild", "crown",
           "river", "copper", "ivory", "jade", "maple", "oak", "cedar", "saffron", "velvet", "amber", "coral",
           "willow", "hazel", "north star", "bright", "orchid", "falcon", "harbour", "lantern", "meadow")
_NAME_B = {
    "restaurant": ("kitchen", "house", "bistro", "table", "garden", "grill", "cafe", "dragon", "spoon", "plate",
                   "wok", "tavern", "brasserie", "trattoria", "canteen", "palace"),
    "hotel": ("lodge", "inn", "house", "hotel", "guest house", "rooms", "court", "manor", "suites"),
    "attraction": ("gallery", "museum", "college", "park", "theatre", "hall", "gardens", "arts centre",
                   "pool", "punts", "club", "cinema"),
}
_STREETS = ("regent street", "mill road", "king street", "hills road", "trumpington street", "bridge street",
            "newmarket road", "huntingdon road", "chesterton road", "castle street", "market hill", "station road",
            "park terrace", "jesus lane", "fen causeway", "milton road", "histon road", "cherry hinton road")


class _Gen:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 7011]))
        self.used_names: set[str] = set()

    def choice(self, values, weights=None):
        p = None if weights is None else np.asarray(weights, float) / float(np.sum(weights))
        return values[int(self.rng.choice(len(values), p=p))]

    def name(self, domain: str) -> str:
        for attempt in range(2000):
            name = f"{self.choice(_NAME_A)} {self.choice(_NAME_B[domain])}"
            if attempt >= 100:  # large worlds: the two-word space is used up
                name = f"{name} on {self.choice(_STREETS).split()[0]} street"
            if self.rng.random() < 0.3:
                name = f"the {name}"
            if name.removeprefix("the ") not in self.used_names:
                self.used_names.add(name.removeprefix("the "))
                return name
        raise RuntimeError("name space exhausted")  # pragma: no cover - sizes are capped below

    def place(self) -> dict[str, str]:
        num = int(self.rng.integers(1, 120))
        pc = f"cb{int(self.rng.integers(1, 6))}{int(self.rng.integers(1, 10))}{self.choice('abdehjlnpqrstuwxyz')}" \
             f"{self.choice('abdehjlnpqrstuwxyz')}"
        phone = "01223" + "".join(str(int(d)) for d in self.rng.integers(10, size=6))
        return {"address": f"{num} {self.choice(_STREETS)}", "postcode": pc, "phone": phone}


def _restaurant(g: _Gen) -> dict[str, Any]:
    return {"name": g.name("restaurant"), "food": g.choice(FOODS, _FOOD_W), "area": g.choice(AREAS, _AREA_P),
            "pricerange": g.choice(PRICES, (0.35, 0.3, 0.35)), **g.place()}


def _hotel(g: _Gen) -> dict[str, Any]:
    kind = g.choice(("hotel", "guesthouse"), (0.4, 0.6))
    stars = g.choice(("0", "2", "3", "4", "5"), (0.05, 0.1, 0.25, 0.5, 0.1) if kind == "hotel" else
                     (0.15, 0.2, 0.25, 0.4, 0.0))
    return {"name": g.name("hotel"), "type": kind, "area": g.choice(AREAS, _AREA_P),
            "pricerange": g.choice(PRICES, (0.4, 0.35, 0.25)), "stars": stars,
            "parking": g.choice(("yes", "no"), (0.8, 0.2)), "internet": g.choice(("yes", "no"), (0.85, 0.15)),
            **g.place()}


def _attraction(g: _Gen) -> dict[str, Any]:
    kind = g.choice(ATTRACTION_TYPES, _ATTR_W)
    fee = "free" if g.rng.random() < 0.45 else f"{int(g.rng.integers(2, 12))} pounds"
    return {"name": g.name("attraction"), "type": kind, "area": g.choice(AREAS, _AREA_P), "entrance fee": fee,
            **g.place()}


def _minutes(hhmm: int) -> str:
    return f"{hhmm // 60 % 24:02d}:{hhmm % 60:02d}"


def _trains(g: _Gen, size: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    per_day = max(2, round(10 * size))
    total = len(TOWNS) * 2 * len(DAYS) * per_day
    ids = g.rng.permutation(9000)[:total] + 1000 if total <= 9000 else g.rng.permutation(90000)[:total] + 10000
    k = 0
    for town, duration in zip(TOWNS, _TRAVEL_MIN):
        price = round(duration * 0.19 + 2.0, 2)
        offset = int(g.rng.integers(0, 60))
        for dep, dest in ((CITY, town), (town, CITY)):
            for day in DAYS:
                for j in range(per_day):
                    leave = 5 * 60 + offset + j * (18 * 60 // per_day)
                    weekend = day in ("saturday", "sunday")
                    rows.append({"trainID": f"TR{ids[k]}", "departure": dep, "destination": dest, "day": day,
                                 "leaveAt": _minutes(leave), "arriveBy": _minutes(leave + duration),
                                 "duration": f"{duration} minutes",
                                 "price": f"{price * (0.8 if weekend else 1.0):.2f} pounds"})
                    k += 1
    return rows


def generate_world(seed: int = 0, size: float = 1.0) -> dict[str, list[dict[str, Any]]]:
    """Every table of the city, deterministic for ``(seed, size)``."""
    if not 0 < size <= 20:
        raise ValueError(f"db size must be in (0, 20], got {size}")
    g = _Gen(seed)
    world = {
        "restaurant": [_restaurant(g) for _ in range(max(5, round(110 * size)))],
        "hotel": [_hotel(g) for _ in range(max(5, round(33 * size)))],
        "attraction": [_attraction(g) for _ in range(max(5, round(79 * size)))],
        "train": _trains(g, size),
        "police": [{"name": "parkside police station", "address": "parkside, cambridge", "postcode": "cb11jg",
                    "phone": "01223358966"}],
        "hospital": [{"department": d, "name": "addenbrookes hospital", **g.place()} for d in DEPARTMENTS],
    }
    return world
