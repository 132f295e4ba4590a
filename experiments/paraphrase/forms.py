"""Surface forms of database values, as people write them: each function takes the seeded generator
and a database spelling and returns one realistic rendering of the same value."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

import numpy as np

__all__ = ["Forms"]

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve")
_AREA = {"centre": ("centre", "city center", "city centre", "center"), "north": ("north",), "south": ("south",),
         "east": ("east",), "west": ("west",)}
_AREA_PHRASE = {"centre": ("in the centre", "in the city center", "downtown", "in the middle of town", "in the center of town"),
                "north": ("in the north", "on the north side", "in the northern part of town"),
                "south": ("in the south", "on the south side", "in the southern part of town"),
                "east": ("in the east", "on the east side", "in the eastern part of town"),
                "west": ("in the west", "on the west side", "in the western part of town")}
_PRICE = {"cheap": ("cheap", "inexpensive", "budget"), "moderate": ("moderate", "mid-range", "moderately priced"),
          "expensive": ("expensive", "pricey", "upscale", "high-end")}
_TYPE = {"guesthouse": ("guest house", "guesthouse", "bed and breakfast"), "hotel": ("hotel",)}


class Forms:
    """Value renderings drawn from ``rng``."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def pick(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    # -- values ------------------------------------------------------------------------
    def time(self, value: str) -> str:
        m = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value).strip())
        if not m:
            return str(value)
        h, mi = int(m.group(1)) % 24, int(m.group(2))
        h12, half = h % 12 or 12, "am" if h < 12 else "pm"
        options = [f"{h:02d}:{mi:02d}", f"{h12}:{mi:02d} {half}", f"{h12}.{mi:02d}{half}", f"{h12}:{mi:02d}{half.upper()}"]
        if mi == 0:
            options += [f"{h12} {half}", f"{h12} o'clock in the {'morning' if h < 12 else 'afternoon' if h < 18 else 'evening'}"]
        if mi == 30:
            options.append(f"half past {_WORDS[h12]}")
        if mi == 15:
            options.append(f"quarter past {_WORDS[h12]}")
        return self.pick(options)

    def money(self, value: str) -> str:
        m = re.fullmatch(r"(\d+(?:\.\d+)?) pounds?", str(value).strip())
        if not m:
            return str(value)
        amount = m.group(1)
        options = [f"£{amount}", f"{amount} pounds", f"{amount} GBP"]
        if amount.isdigit() and int(amount) <= 12:
            options.append(f"{_WORDS[int(amount)]} pounds")
        if "." not in amount:
            options.append(f"£{amount}.00")
        return self.pick(options)

    def phone(self, value: str) -> str:
        v = re.sub(r"\D", "", str(value))
        if len(v) != 11:
            return str(value)
        return self.pick((v, f"{v[:5]} {v[5:]}", f"{v[:5]}-{v[5:8]}-{v[8:]}", f"({v[:5]}) {v[5:8]} {v[8:]}",
                          f"{v[:5]} {v[5:8]} {v[8:]}"))

    def postcode(self, value: str) -> str:
        v = re.sub(r"\s", "", str(value))
        if len(v) < 5:
            return str(value)
        return self.pick((f"{v[:-3].upper()} {v[-3:].upper()}", f"{v[:-3]} {v[-3:]}", v.upper(), v))

    def duration(self, value: str) -> str:
        m = re.fullmatch(r"(\d+) minutes?", str(value).strip())
        if not m:
            return str(value)
        n = int(m.group(1))
        h, mi = divmod(n, 60)
        options = [f"{n} minutes", f"{n} min"]
        if h:
            hours = "1 hour" if h == 1 else f"{h} hours"
            options += [f"{hours} {mi} minutes" if mi else hours, f"{hours} and {mi} minutes" if mi else hours]
            if h == 1 and mi:
                options.append(f"an hour and {mi} minutes")
        return self.pick(options)

    def stars(self, value: str, adjective: bool = False) -> str:
        v = str(value).strip()
        if not v.isdigit() or int(v) > 12:
            return v
        word = _WORDS[int(v)]
        if adjective:
            return self.pick((f"{word}-star", f"{v}-star", f"{v} star"))
        return self.pick((f"{word} stars", f"{v} stars", f"a {v}-star rating", f"a star rating of {v}"))

    def area(self, value: str) -> str:
        return self.pick(_AREA.get(str(value), (str(value),)))

    def area_phrase(self, value: str) -> str:
        return self.pick(_AREA_PHRASE.get(str(value), (f"in the {value}",)))

    def price(self, value: str) -> str:
        return self.pick(_PRICE.get(str(value), (str(value),)))

    def kind(self, value: str) -> str:
        return self.pick(_TYPE.get(str(value), (str(value),)))

    def facility(self, slot: str, value: str) -> str:
        yes = str(value) in ("yes", "free")
        if slot == "internet":
            return self.pick(("free Wi-Fi", "internet", "free wifi", "Wi-Fi included") if yes else
                             ("no internet", "no Wi-Fi"))
        return self.pick(("free parking", "parking available", "a free car park") if yes else
                         ("no parking", "no car park"))

    def fee(self, value: str) -> str:
        v = str(value).strip()
        if v == "free":
            return self.pick(("free", "free to enter", "no entrance fee", "free admission"))
        return self.money(v)

    def name(self, value: str) -> str:
        v = str(value)
        if v.lower().startswith("the ") and self.chance(0.5):
            v = v[4:]
        return string.capwords(v) if self.chance(0.5) else v

    def place(self, value: str) -> str:
        return string.capwords(str(value)) if self.chance(0.5) else str(value)

    def day(self, value: str) -> str:
        return str(value).capitalize() if self.chance(0.7) else str(value)

    def simple(self, slot: str, value: str) -> str:
        """A value as a word to drop into a real wizard turn ("near the {area}", "the fee is {fee}")."""
        if slot == "entrance fee":
            return "free" if str(value) == "free" else self.money(str(value))
        if slot in ("parking", "internet"):
            return str(value)
        return self.value(slot, value)

    def value(self, slot: str, value: str) -> str:
        """Any slot's value in one of its forms."""
        v = str(value)
        if slot in ("time", "leaveAt", "arriveBy"):
            return self.time(v)
        if slot == "price":
            return self.money(v)
        if slot == "entrance fee":
            return self.fee(v)
        if slot == "phone":
            return self.phone(v)
        if slot == "postcode":
            return self.postcode(v)
        if slot == "duration":
            return self.duration(v)
        if slot == "stars":
            return self.stars(v)
        if slot == "area":
            return self.area(v)
        if slot == "pricerange":
            return self.price(v)
        if slot == "type":
            return self.kind(v)
        if slot in ("parking", "internet"):
            return self.facility(slot, v)
        if slot == "name":
            return self.name(v)
        if slot in ("departure", "destination"):
            return self.place(v)
        if slot == "day":
            return self.day(v)
        if slot == "car type":
            return v.title() if self.chance(0.5) else v
        return v

    # -- whole facts -------------------------------------------------------------------
    def fact(self, slot: str, value: str, it: str = "it") -> str:
        """One requested fact as a clause ("the phone number is 01223 351880")."""
        v = self.value(slot, value)
        if slot in ("parking", "internet"):
            has = str(value) in ("yes", "free")
            return self.pick((f"{it} has {v}", f"{it} offers {v}") if has else (f"there is {v}", f"{it} has {v}"))
        if slot == "stars":
            n = self.pick((str(value), _WORDS[int(value)] if str(value).isdigit() and int(value) <= 12 else str(value)))
            return self.pick((f"{it} is rated {n} stars", f"{it} has {n} stars", f"{it} is a {self.stars(value, True)} place",
                              f"{it} has a star rating of {n}"))
        if slot == "entrance fee":
            if str(value) == "free":
                return self.pick((f"{it} is free to get in", f"admission is free", f"{it} doesn't charge admission",
                                  "there is no entrance fee"))
            return self.pick((f"the entrance fee is {v}", f"admission costs {v}", f"entry is {v}"))
        if slot == "area":
            return self.pick((f"{it} is {self.area_phrase(value)}", f"it's located {self.area_phrase(value)}"))
        if slot == "pricerange":
            return f"{it} is {v}" if v.endswith("priced") or self.chance(0.4) else f"{it} is in the {v} price range"
        if slot == "price":
            return self.pick((f"a ticket costs {v}", f"the fare is {v}", f"tickets are {v}"))
        if slot == "duration":
            return self.pick((f"the journey takes {v}", f"travel time is {v}", f"the trip is {v} long"))
        if slot == "arriveBy":
            return self.pick((f"{it} arrives at {v}", f"{it} gets in at {v}", f"arrival is at {v}"))
        if slot == "leaveAt":
            return self.pick((f"{it} departs at {v}", f"{it} leaves at {v}"))
        if slot == "trainID":
            return self.pick((f"the train ID is {v}", f"{it} is train {v}"))
        if slot == "type":
            return self.pick((f"{it} is a {v}", f"{it}'s a {v}"))
        if slot == "food":
            return self.pick((f"{it} serves {v} food", f"{it} does {v} cuisine"))
        label = {"phone": ("phone number", "number", "telephone"), "postcode": ("postcode", "post code", "zip code"),
                 "address": ("address",), "reference": ("reference number",), "car type": ("car",)}.get(slot, (slot,))
        return self.pick((f"the {self.pick(label)} is {v}", f"{self.pick(label)}: {v}", f"its {self.pick(label)} is {v}")
                         if slot != "address" else
                         (f"the address is {v}", f"{it} is located at {v}", f"you'll find {it} at {v}"))
