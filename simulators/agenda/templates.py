"""Template NLG: the user's acts as varied natural text.

Several paraphrases per act; every choice is drawn from the episode's seeded generator. Slot values
are said verbatim (as the database spells them), except times ("18:30" or "6:30 pm") and small numbers
("2" or "two"), so lexicon-driven agents can read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from coalm_env.text import NUMBER_WORDS
from simulators.acts import Act

__all__ = ["Voice", "realise", "goodbye", "give_up"]

_NUMBER_WORDS = tuple(NUMBER_WORDS)  # index = value: "zero" ... "twelve"
_NOUNS = {"restaurant": ("restaurant", "place to eat"), "hotel": ("hotel", "place to stay"),
          "attraction": ("attraction", "place to visit"), "train": ("train",), "taxi": ("taxi",),
          "police": ("police station",), "hospital": ("hospital",)}
_NAMES = {"area": "area", "pricerange": "price range", "food": "type of food", "stars": "star rating",
          "type": "type", "parking": "parking", "internet": "internet", "name": "particular place", "day": "day",
          "time": "time", "leaveAt": "departure time", "arriveBy": "arrival time", "departure": "departure point",
          "destination": "destination", "people": "number of people", "stay": "length of stay",
          "phone": "phone number", "address": "address", "postcode": "postcode", "reference": "reference number",
          "trainID": "train ID", "duration": "travel time", "price": "price", "entrance fee": "entrance fee",
          "car type": "car type"}


class Voice:
    """The seeded choices of one user turn."""

    def __init__(self, rng: np.random.Generator, p_12h: float = 0.4, p_words: float = 0.5):
        self.rng, self.p_12h, self.p_words = rng, p_12h, p_words

    def pick(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def time(self, value: str) -> str:
        hour, _, minute = str(value).partition(":")
        if not (hour.isdigit() and minute[:2].isdigit()) or self.rng.random() >= self.p_12h:
            return str(value)
        h, m = int(hour) % 24, int(minute[:2])
        suffix = "am" if h < 12 else "pm"
        h12 = h % 12 or 12
        return f"{h12} {suffix}" if m == 0 and self.rng.random() < 0.5 else f"{h12}:{m:02d} {suffix}"

    def number(self, value: str) -> str:
        text = str(value)
        if text.isdigit() and int(text) <= 10 and self.rng.random() < self.p_words:
            return _NUMBER_WORDS[int(text)]
        return text


def _join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _count(v: Voice, value: str, unit: str) -> str:
    n = v.number(value)
    return f"{n} {unit}" if value.strip() == "1" else f"{n} {unit}s"


def phrase(v: Voice, domain: str, slot: str, value: str) -> str:
    """A slot value as a phrase that follows a noun: "in the centre", "for two people"."""
    if slot == "people":
        return "for " + (v.pick(("one person", "just one person")) if value == "1" else _count(v, value, "person")
                         .replace("persons", "people"))
    if slot in ("time", "leaveAt", "arriveBy"):
        t = v.time(value)
        if slot == "time":
            return f"at {t}"
        if slot == "arriveBy":
            return v.pick((f"arriving by {t}", f"to arrive by {t}", f"getting there by {t}"))
        return v.pick((f"leaving at {t}", f"to pick me up at {t}")) if domain == "taxi" else \
            v.pick((f"leaving after {t}", f"departing after {t}", f"that leaves after {t}"))
    table = {
        "area": (f"in the {value}", f"in the {value} area", f"in the {value} of town", f"in the {value} part of town",
                 f"on the {value} side of town"),
        "pricerange": (f"in the {value} price range", f"with {value} prices"),
        "food": (f"serving {value} food", f"that serves {value} food", f"that serves {value}"),
        "stars": (f"with {value} stars", f"rated {value} stars", f"with a {value} star rating",
                  f"that has {value} stars"),
        "type": (f"of the {value} type",),
        "parking": ("with free parking", "that has parking", "that includes free parking") if value == "yes" else
                   ("without parking",),
        "internet": ("with free wifi", "with internet", "that has free wifi") if value == "yes" else
                    ("without internet",),
        "name": (f"called {value}", f"named {value}"),
        "departure": (f"from {value}", f"departing from {value}", f"leaving from {value}"),
        "destination": (f"to {value}", f"going to {value}", f"heading to {value}"),
        "day": (f"starting {value}", f"from {value}", f"starting on {value}") if domain == "hotel" else
               (f"on {value}",),
    }
    if slot == "stay":
        return "for " + _count(v, value, "night")
    return v.pick(table.get(slot, (f"with {_NAMES.get(slot, slot)} {value}",)))


def noun_phrase(v: Voice, domain: str, values: dict[str, str]) -> str:
    """"a cheap italian restaurant in the centre" from a domain's constraints."""
    values = dict(values)
    pre = []
    if values.get("pricerange") in ("cheap", "expensive"):
        pre.append(values.pop("pricerange"))
    if domain == "restaurant" and "food" in values and v.rng.random() < 0.6:
        pre.append(values.pop("food"))
    noun = values.pop("type") if domain in ("hotel", "attraction") and "type" in values else \
        v.pick(_NOUNS.get(domain, (domain,)))
    head = " ".join([*pre, noun])
    article = "an" if head[:1] in "aeiou" else "a"
    post = [phrase(v, domain, s, x) for s, x in values.items()]
    return f"{article} {head}" + (" " + " ".join(post) if post else "")


def _informs(v: Voice, acts: list[Act], intro: str | None) -> str:
    d = acts[0].domain
    values = {a.slot: a.value for a in acts if a.value != "dontcare"}
    cares = [a.slot for a in acts if a.value == "dontcare"]
    out = []
    if values:
        if intro is not None:
            out.append(intro.format(np=noun_phrase(v, d, values)))
        else:
            body = _join([phrase(v, d, s, x) for s, x in values.items()])
            # MultiWOZ val users: "The hotel should be in the north.", "I need a train leaving after 10:00."
            noun = _NOUNS.get(d, (d,))[0]
            out.append(v.pick((f"{_cap(body)}, please.", f"I'd like something {body}.", f"Preferably {body}.",
                               f"The {noun} should be {body}.", f"I am looking for something {body}.")
                              if d not in ("train", "taxi") else
                              (f"{_cap(body)}, please.", f"I'd like to travel {body}.", f"I want to go {body}.",
                               f"I need a {noun} {body}.", f"I would like a {noun} {body}.")))
    for slot in cares:
        name = _NAMES.get(slot, slot)
        out.append(v.pick((f"I don't mind about the {name}.", f"Any {name} is fine.",
                           f"I have no preference on the {name}.")))
    return " ".join(out)


def _book(v: Voice, acts: list[Act], alternative: bool) -> str:
    d = acts[0].domain
    order = {"people": 0, "day": 1, "time": 2, "stay": 3} if d != "hotel" else {"people": 0, "stay": 1, "day": 2}
    parts = [phrase(v, d, a.slot, a.value) for a in sorted(acts, key=lambda a: order.get(a.slot, 9))]
    body = " ".join(parts)
    if alternative:
        return v.pick((f"Could you try {body} instead?", f"How about {body} then?", f"Then {body}, please."))
    if d == "train" and len(acts) == 1 and acts[0].slot == "people":
        n = acts[0].value
        return v.pick((f"Please book {_count(v, n, 'ticket')}.", f"Could you book it {body}?"))
    return v.pick((f"Could you book it {body}?", f"Please book it {body}.", f"I'd like to make a booking {body}.",
                   f"Can you book it {body}?", f"Yes, please book it {body}.", f"Please make a reservation {body}."))


def _request(v: Voice, acts: list[Act]) -> str:
    taxi = acts[0].domain == "taxi"
    facilities = [_NAMES[a.slot] for a in acts if a.slot in ("parking", "internet")]
    names = [("contact number" if taxi and a.slot == "phone" else _NAMES.get(a.slot, a.slot))
             for a in acts if a.slot not in ("parking", "internet")]
    out = []
    if names:
        x = _join(names)
        out.append(v.pick((f"What's the {x}?", f"Could you give me the {x}?", f"Can I have the {x}, please?",
                           f"I'd also like to know the {x}.", f"May I have the {x}?", f"Can you give me the {x}?",
                           f"What is the {x}?")))
    if facilities:
        y = " or ".join(f.replace("internet", "wifi") for f in facilities)
        out.append(v.pick((f"Does it have {y}?", f"Do they offer {y}?", f"Is there {y}?", f"Do they have {y}?")))
    return " ".join(out)


def _negate(v: Voice, act: Act) -> str:
    if act.slot == "name":
        return v.pick((f"{_cap(act.value)} doesn't work for me.", f"No, {act.value} isn't what I want.",
                       "That one won't do."))
    if act.slot == "booking":
        return v.pick(("No, that's not quite right.", "Not exactly."))
    if act.slot == "reference":
        return v.pick(("That booking isn't right.", "That's not what I asked for."))
    return v.pick(("Could you check again?", "Are you sure? Please check again."))


def _reqmore(v: Voice, act: Act) -> str:
    if act.domain == "taxi":
        return v.pick(("Could you book the taxi for me?", "Please book that taxi."))
    return v.pick(("Could you recommend one?", "Do you have any suggestions?", "Which one would you recommend?",
                   "Can you find me one, please?", "Can you recommend one?", "What would you suggest?"))


def _groups(acts: list[Act]) -> list[list[Act]]:
    out: list[list[Act]] = []
    for act in acts:
        if out and out[-1][0].intent == act.intent and out[-1][0].domain == act.domain:
            out[-1].append(act)
        else:
            out.append([act])
    return out


def realise(v: Voice, acts: list[Act], intro: str | None = None, prefix: str = "",
            schemas: Mapping[str, Any] | None = None) -> str:
    """The text of one user turn.

    Args:
        v: the turn's seeded choices.
        acts: the turn's acts, in speaking order.
        intro: a sentence frame with ``{np}`` for the first constraints of a new domain
            ("I'm looking for {np}."), or ``None``.
        prefix: said first ("Thanks. ").
        schemas: the vocabulary's schemas (which slots are booking slots).
    """
    out = [prefix.strip()] if prefix.strip() else []
    if intro is not None and acts and not any(a.intent == "inform" and a.value != "dontcare" for a in acts):
        out.append(intro.format(np=noun_phrase(v, acts[0].domain, {})))
        intro = None
    for group in _groups(acts):
        intent = group[0].intent
        if intent == "inform":
            out.append(_informs(v, group, intro))
            intro = None
        elif intent == "reqalts":
            body = _join([phrase(v, g.domain, g.slot, g.value) for g in group])
            schema = (schemas or {}).get(group[0].domain)
            book = schema is not None and group[0].slot in schema.book
            out.append(_book(v, group, True) if book else
                       v.pick((f"How about one {body} instead?", f"What about one {body}?", f"Okay, then {body}.")))
        elif intent == "book":
            out.append(_book(v, group, False))
        elif intent == "request":
            out.append(_request(v, group))
        elif intent == "negate":
            out.extend(_negate(v, a) for a in group)
        elif intent == "affirm":
            out.append(v.pick(("Yes, please.", "Yes, go ahead.", "Yes please, that would be great.")
                              if group[0].slot == "booking" else ("Yes, that's right.", "Exactly.", "Yes.")))
        elif intent == "reqmore":
            out.append(_reqmore(v, group[0]))
    return " ".join(s for s in out if s)


def goodbye(v: Voice) -> str:
    """The user's last words when its goal is met."""
    return v.pick(("Thank you, that's all I need. Goodbye!", "Great, thanks for your help. Bye!",
                   "Perfect, that's everything. Thanks, bye.", "Thanks a lot, have a nice day!",
                   "No, that is all I need. Thank you, goodbye.", "That will be all. Thanks for your help!"))


def give_up(v: Voice) -> str:
    """The user's last words when out of patience."""
    return v.pick(("This isn't getting anywhere. Goodbye.", "Never mind, I'll sort it out myself. Bye.",
                   "You're not being very helpful. I'll try elsewhere, bye."))
