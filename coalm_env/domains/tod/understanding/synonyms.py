"""The hand-written synonym table: how people say the closed-class values of the task-oriented domains.

Canonical values are the database spellings that Travel and MultiWOZ share (``centre``, ``moderate``,
``guesthouse``, ``swimmingpool``, ``concerthall``, ...). This table is the fallback when MultiWOZ data is
absent (Travel has no dialogue data; it uses the same slot names and value sets); with the data, the
lexicon adds what the val annotations and the ontology hold (:mod:`.lexicon`).
"""

from __future__ import annotations

__all__ = ["SYNONYMS", "CLOSED_SLOTS", "NUMBER_WORDS", "DAY_WORDS", "FACILITY_WORDS", "FREE_FEE"]

_AREA = {
    "centre": ["centre", "center", "central", "city centre", "city center", "town centre", "town center",
               "downtown", "centre of town", "center of town", "centre of the city", "center of the city",
               "middle of town", "middle of the town", "middle of the city", "heart of town",
               "heart of the city", "centrally located", "city central"],
    **{d: [d, f"{d}ern", f"{d} side", f"{d}side", f"{d} part of town", f"{d} of town", f"{d} of the city",
           f"{d} end", f"{d}ern part", f"{d} area", f"{d} cambridge"] for d in ("north", "south", "east", "west")},
}
_PRICE = {
    "cheap": ["cheap", "cheaper", "cheapest", "cheaply", "inexpensive", "budget", "low cost", "low priced",
              "low price", "affordable", "bargain", "economical", "not expensive", "low end", "cheap end",
              "cheap range", "lower price", "least expensive"],
    "moderate": ["moderate", "moderately", "moderately priced", "mid range", "midrange", "mid priced",
                 "middle range", "mid price", "medium priced", "reasonably priced", "reasonable",
                 "not too expensive", "average priced", "fairly priced", "moderate price", "moderate range",
                 "medium price", "medium range"],
    "expensive": ["expensive", "pricey", "pricy", "upscale", "high end", "upmarket", "up market", "luxury",
                  "luxurious", "fancy", "high priced", "costly", "posh", "fine dining", "expensively",
                  "more expensive", "most expensive", "splurge", "top end", "exclusive"],
}
_HOTEL_TYPE = {
    "guesthouse": ["guesthouse", "guesthouses", "guest house", "guest houses", "b and b", "bandb", "bnb",
                   "b b", "bed and breakfast", "bed and breakfasts", "bed breakfast"],
    "hotel": ["hotel", "hotels"],
}
_ATTRACTION_TYPE = {
    "museum": ["museum", "museums", "gallery", "galleries", "art gallery", "exhibition"],
    "college": ["college", "colleges"],
    "architecture": ["architecture", "architectural", "church", "churches", "historic building",
                     "historic buildings", "cathedral", "chapel"],
    "park": ["park", "parks", "garden", "gardens", "botanic garden"],
    "theatre": ["theatre", "theatres", "theater", "theaters"],
    "cinema": ["cinema", "cinemas", "movie theater", "movie theatre", "movies", "movie", "films"],
    "nightclub": ["nightclub", "nightclubs", "night club", "night clubs", "club", "clubs", "clubbing"],
    "swimmingpool": ["swimmingpool", "swimming pool", "swimming pools", "pool", "pools", "swimming"],
    "boat": ["boat", "boats", "boating", "punting", "punt", "punts", "boat tour", "river tour"],
    "entertainment": ["entertainment", "entertainment venue", "entertainment venues"],
    "concerthall": ["concerthall", "concert hall", "concert halls", "concert", "concerts", "music venue"],
    "multiple sports": ["multiple sports", "mutliple sports", "sports", "sport", "sports centre",
                        "sports center", "sports complex"],
}
_FOOD = {
    "modern european": ["modern european"], "north american": ["north american", "american"],
    "asian oriental": ["asian oriental", "asian", "oriental"], "gastropub": ["gastropub", "gastro pub",
                                                                             "pub food", "gastropubs"],
    "seafood": ["seafood", "sea food", "fish"], "british": ["british", "english"],
    "italian": ["italian", "pizza", "pasta"], "chinese": ["chinese", "cantonese"], "indian": ["indian", "curry"],
    "international": ["international"], "mediterranean": ["mediterranean"],
}
_DAY = {d: [d, d[:3], f"{d}s", f"on {d}"] for d in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                     "saturday", "sunday")}
_DAY["tuesday"] += ["tues"]
_DAY["wednesday"] += ["weds"]
_DAY["thursday"] += ["thurs"]
_DAY["saturday"].remove("sat")  # "sat" is a verb far more often than a day
_DAY["sunday"].remove("sun")

#: ``{slot: {canonical value: [surface forms]}}`` for the closed-class slots
SYNONYMS: dict[str, dict[str, list[str]]] = {
    "area": _AREA,
    "pricerange": _PRICE,
    "type": {**_HOTEL_TYPE, **_ATTRACTION_TYPE},
    "food": _FOOD,
    "day": _DAY,
}
CLOSED_SLOTS = frozenset(SYNONYMS)
DAY_WORDS = tuple(_DAY)

#: number words up to twenty (digits are read as digits)
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50})

#: words naming each facility (the value is ``yes``/``no`` by the phrase around them)
FACILITY_WORDS = {
    "parking": ("parking", "car park", "carpark", "park your car", "park the car", "parking space",
                "parking spaces", "parking lot", "garage", "place to park"),
    "internet": ("internet", "wifi", "wi fi", "wireless", "wlan", "web access", "online access", "broadband"),
}
#: ways of saying an attraction costs nothing to enter
FREE_FEE = ("free", "free of charge", "no entrance fee", "no entry fee", "no admission fee", "no admission",
            "no fee", "no charge", "costs nothing", "doesnt charge", "does not charge", "dont charge",
            "do not charge", "free entry", "free admission", "free entrance", "free to enter", "free to visit",
            "free to get in", "no cost", "nothing to get in", "zero pounds", "0 pounds", "without charge",
            "complimentary", "dont have to pay", "do not have to pay", "no need to pay", "no ticket")
