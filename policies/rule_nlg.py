"""Template replies of the rule policy. Entity names and values are written verbatim, as the APIs
returned them, so that a user (or a scorer) that looks for them finds them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["describe", "facts", "offer", "no_match", "no_other", "booked", "book_failed", "taxi_booked",
           "ask_constraints", "ask_train", "ask_booking", "ask_taxi", "CLOSING", "ANYTHING_ELSE", "LABELS"]

CLOSING = "You're welcome! Have a great day. Goodbye!"
ANYTHING_ELSE = "Is there anything else I can help you with?"

LABELS = {"phone": "phone number", "address": "address", "postcode": "postcode", "pricerange": "price range",
          "entrance fee": "entrance fee", "price": "ticket price", "duration": "travel time", "car type": "car",
          "reference": "reference number", "trainID": "train ID", "leaveAt": "departure time",
          "arriveBy": "arrival time", "parking": "parking", "internet": "internet", "stars": "star rating",
          "area": "area", "food": "food", "type": "type", "name": "name", "department": "department"}
_INTRO_SLOTS = {"restaurant": ("name", "pricerange", "food", "area"),
                "hotel": ("name", "stars", "type", "area", "pricerange"),
                "attraction": ("name", "type", "area"),
                "train": ("trainID", "departure", "leaveAt", "day", "destination", "arriveBy"),
                "police": ("name", "address"), "hospital": ("name", "department")}


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou8" else f"a {word}"


def _intro(domain: str, e: Mapping[str, Any]) -> str:
    g = {k: str(v) for k, v in e.items()}
    if domain == "restaurant":
        return f"I would recommend {g.get('name')}, {_a(g.get('pricerange', ''))} {g.get('food')} restaurant in the " \
               f"{g.get('area')}."
    if domain == "hotel":
        return (f"I would recommend {g.get('name')}, {_a(g.get('stars', ''))} star {g.get('type', 'hotel')} in the "
                f"{g.get('area')} with {g.get('pricerange')} prices.")
    if domain == "attraction":
        return f"I would recommend {g.get('name')}, {_a(g.get('type', 'place'))} in the {g.get('area')}."
    if domain == "train":
        return (f"Train {g.get('trainID')} leaves {g.get('departure')} at {g.get('leaveAt')} on {g.get('day')} "
                f"and arrives in {g.get('destination')} at {g.get('arriveBy')}.")
    if domain == "hospital":
        return f"{g.get('name', 'The hospital')} has {_a(g.get('department', ''))} department."
    return f"The {domain} is {g.get('name', '')}, at {g.get('address', '')}."


def _fact(slot: str, value: Any) -> str:
    if slot in ("parking", "internet"):
        return f"{'Free ' if str(value) == 'yes' else ''}{slot}: {value}."
    return f"The {LABELS.get(slot, slot)} is {value}."


def facts(domain: str, entity: Mapping[str, Any], slots: Sequence[str], skip_intro: bool = True) -> str:
    """Sentences giving ``entity``'s value of each slot in ``slots`` (the intro's slots left out)."""
    shown = set(_INTRO_SLOTS.get(domain, ())) if skip_intro else set()
    return " ".join(_fact(s, entity[s]) for s in dict.fromkeys(slots) if s in entity and s not in shown)


def describe(domain: str, entity: Mapping[str, Any], slots: Sequence[str] = ()) -> str:
    """The entity's intro sentence plus the facts asked for."""
    return " ".join(p for p in (_intro(domain, entity), facts(domain, entity, slots)) if p)


def offer(domain: str, count: int, entity: Mapping[str, Any], slots: Sequence[str]) -> str:
    head = f"There is one {domain} that matches." if count == 1 else f"I found {count} {domain}s that match."
    if domain in ("police", "hospital"):
        head = ""
    return " ".join(p for p in (head, describe(domain, entity, slots)) if p)


def no_match(domain: str, constraints: Mapping[str, str]) -> str:
    values = [f"{v}" for s, v in constraints.items() if v != "dontcare"]
    slots = [LABELS.get(s, s) for s, v in constraints.items() if v != "dontcare"]
    wanted = " and ".join(values) if values else "your request"
    change = " or ".join(slots) if slots else "something"
    return f"I'm sorry, there is no {domain} matching {wanted}. Would you like to try a different {change}?"


def no_other(domain: str) -> str:
    return f"I'm sorry, I have no other {domain} that matches your request. Would you like to change something?"


def booked(domain: str, value: Mapping[str, Any], entity: Mapping[str, Any] | None, slots: Sequence[str]) -> str:
    g = {k: str(v) for k, v in value.items()}
    ref = g.get("reference", "")
    if domain == "restaurant":
        text = (f"I have booked a table at {g.get('name')} for {g.get('people')} people on {g.get('day')} at "
                f"{g.get('time')}.")
    elif domain == "hotel":
        nights = "1 night" if g.get("stay") == "1" else f"{g.get('stay')} nights"
        text = f"I have booked {g.get('name')} for {g.get('people')} people for {nights} starting {g.get('day')}."
    elif domain == "train":
        text = f"I have booked {g.get('people')} tickets on train {g.get('trainID')}."
    else:
        text = f"I have made the {domain} booking."
    extra = facts(domain, entity, [s for s in slots if s != "reference"], skip_intro=False) if entity else ""
    return " ".join(p for p in (text, f"Your reference number is {ref}.", extra) if p)


def book_failed(domain: str, args: Mapping[str, Any]) -> str:
    what = ", ".join(f"{k} {v}" for k, v in args.items() if k not in ("name", "trainID"))
    name = args.get("name") or args.get("trainID") or f"the {domain}"
    retry = "another day or length of stay" if domain == "hotel" else "another day or time"
    return f"I'm sorry, {name} has no availability for {what}. Would you like to try {retry}?"


def taxi_booked(value: Mapping[str, Any]) -> str:
    g = {k: str(v) for k, v in value.items()}
    when = f"leaving at {g['leaveAt']}" if g.get("leaveAt") else f"arriving by {g.get('arriveBy')}"
    return (f"I have booked a taxi from {g.get('departure')} to {g.get('destination')}, {when}. The car is "
            f"{_a(g.get('car type', ''))} and the contact number is {g.get('phone')}. Your reference number is "
            f"{g.get('reference')}.")


def ask_constraints(domain: str) -> str:
    return {
        "restaurant": "What type of food, area and price range would you like for the restaurant?",
        "hotel": "What area and price range would you like for the hotel, and should it be a guesthouse or a hotel?",
        "attraction": "What type of attraction are you interested in, and in which area?",
        "hospital": "Which department of the hospital do you need?",
        "train": "Where will you be departing from, where are you going and on what day do you want the train?",
    }.get(domain, f"What are you looking for in a {domain}?")


def ask_train(missing: Sequence[str], count: int) -> str:
    parts = {"departure": "where you will be departing from", "destination": "where are you going",
             "day": "on what day you want to travel"}
    asks = [parts[s] for s in missing if s in parts]
    head = f"There are {count} trains that could suit you. " if count else ""
    return f"{head}To find the right train, could you tell me {_join(asks)}?"


def ask_booking(domain: str, missing: Sequence[str]) -> str:
    if domain == "train":
        return "How many tickets do you need for the train?"
    parts = {"people": "for how many people", "day": "on what day", "time": "at what time",
             "stay": "for how many nights"}
    asks = [parts.get(s, f"what {s}") for s in missing]
    what = "the table" if domain == "restaurant" else f"the {domain}"
    return f"Sure, {_join(asks)} should I book {what}?"


def ask_taxi(missing: Sequence[str]) -> str:
    parts = {"departure": "where should the taxi pick you up", "destination": "where is it going",
             "time": "what time do you want to leave or arrive by"}
    asks = [parts[s] for s in missing]
    text = _join(asks)
    return text[0].upper() + text[1:] + "?"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
