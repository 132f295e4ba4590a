"""The paraphrasing oracle: the oracle's content (its tool calls unchanged, the same facts in its
replies) said with other wording, formats and synonyms, and with real MultiWOZ val wizard turns as
templates (:mod:`.val_templates`).

Each reply of the task-oriented oracle (``coalm_env.domains.tod.oracle``) is parsed back into what it
says (kind, domain, entity, attributes, requested facts, reference), the entity and its alternatives are
read from the last tool result in the observation, and the reply is said anew. Every choice is drawn
from a generator seeded by the episode id and the step, so a seed replays the same dialogue.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from experiments.paraphrase.forms import Forms
from experiments.paraphrase.val_templates import Template, load_templates
from policies.oracle import OraclePolicy

__all__ = ["ParaphraseOracle", "paraphrase_reply", "episode_rng"]

_NOUN = {"restaurant": ("restaurant", "place"), "hotel": ("hotel", "place to stay"),
         "attraction": ("attraction", "place"), "train": ("train",), "taxi": ("taxi",)}
_NO_MATCH = re.compile(r"^I'm sorry, there is no (\w+) matching (.*)\. Would you like to change something\?$")
_TAXI = re.compile(r"^I have booked a taxi from (.*) to (.*): a (.*), contact number (.*), reference (.*)\.$")
_OFFER = re.compile(r"^I found (.*)\.$")
_FAILED = re.compile(r"^Unfortunately (.*) has no availability for that booking\. Shall I try another time or day\?$")
_BOOKED = re.compile(r"^Your booking at (.*) is confirmed; the reference number is (.*)\.$")
_SUMMARY = re.compile(r"^To sum up: (.*)\. Is there anything else I can help with\?$")
_TRAIN = re.compile(r"^(TR\w+) leaves (.*) at (\S+) on (\w+) and arrives in (.*) at (\S+)$")
_VENUE = re.compile(r"^(.*?) \((.*)\)$")


def episode_rng(info: Mapping[str, Any], salt: str = "") -> np.random.Generator:
    """The generator of one reply: seeded by the episode id (else scenario id), the step and ``salt``."""
    key = f"{info.get('episode_id') or info.get('scenario_id') or ''}|{info.get('step', 0)}|{salt}"
    return np.random.default_rng(zlib.crc32(key.encode()))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _tool_results(observation: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``(api, parsed result)`` of the tool messages in the observation, oldest first."""
    out = []
    for m in observation.get("messages", ()) or ():
        if isinstance(m, Mapping) and m.get("role") == "tool":
            try:
                out.append((m.get("name", ""), json.loads(m.get("content") or "null")))
            except (TypeError, ValueError):
                continue
    return out


def _last(results: list[tuple[str, Any]], api: str) -> Any:
    for name, value in reversed(results):
        if name == api and isinstance(value, dict):
            return value
    return None


def _describe(f: Forms, domain: str, attrs: Mapping[str, str], plural: bool = False, article: bool = True) -> str:
    """A noun phrase for attributes: "a mid-range italian restaurant in the city center"."""
    pre, post = [], []
    noun = f.pick(_NOUN.get(domain, (domain,)))
    for slot, value in attrs.items():
        if slot == "pricerange":
            pre.append(f.price(value))
        elif slot == "stars":
            pre.append(f.stars(value, adjective=True))
        elif slot == "food":
            pre.append(value)
        elif slot == "type":
            noun = f.kind(value) if domain == "hotel" else value
        elif slot == "area":
            post.append(f.area_phrase(value))
        elif slot in ("parking", "internet"):
            post.append(f"with {f.facility(slot, value)}")
        elif slot == "entrance fee":
            post.append(f"that is {f.fee(value)}" if value == "free" else f"costing {f.fee(value)}")
        elif slot == "name":
            post.append(f"called {f.name(value)}")
        elif slot == "departure":
            post.append(f"from {f.place(value)}")
        elif slot == "destination":
            post.append(f"to {f.place(value)}")
        elif slot == "day":
            post.append(f"on {f.day(value)}")
        elif slot == "leaveAt":
            post.append(f"leaving after {f.time(value)}")
        elif slot == "arriveBy":
            post.append(f"arriving by {f.time(value)}")
        else:
            post.append(f"with {slot} {f.value(slot, value)}")
    if plural:
        noun = noun if noun.endswith("s") else noun + ("es" if noun.endswith(("ch", "sh")) else "s")
        if noun == "place to stays":
            noun = "places to stay"
    words = " ".join(pre + [noun] + ([_join(post)] if post else []))
    if plural or not article:
        return words
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def _facts_sentence(f: Forms, facts: Sequence[tuple[str, str]], it: str = "it") -> str:
    if not facts:
        return ""
    clauses = [f.fact(s, v, it) for s, v in facts]
    return _cap(_join(clauses)) + "."


def _parse_desc(desc: str) -> tuple[str, list[tuple[str, str]]]:
    head, *rest = desc.split("; its ")
    facts = []
    for part in rest:
        slot, _, value = part.partition(" is ")
        facts.append((slot, value))
    return head, facts


class _Say:
    """One reply's rewriting (the seeded forms, the parsed content and the tool results)."""

    def __init__(self, f: Forms, goal: Mapping[str, Any], results: list[tuple[str, Any]],
                 templates: Mapping[tuple[str, str], list[Template]], p_template: float, p_alternatives: float):
        self.f, self.goal, self.results = f, goal, results
        self.templates, self.p_template, self.p_alternatives = templates, p_template, p_alternatives

    # -- val templates -------------------------------------------------------------------
    def template(self, kind: str, domain: str, values: Mapping[str, str], required: Sequence[str] = ()) -> str | None:
        """A val turn whose slots are all in ``values`` and that states every ``required`` slot it can."""
        options = self.templates.get((kind, domain))
        if not options or not self.f.chance(self.p_template):
            return None
        fits = [t for t in options if set(t.slots) <= set(values)]
        if not fits:
            return None
        t = fits[int(self.f.rng.integers(len(fits)))]
        rendered = {s: values[s] if s in ("choice",) else self.f.simple(s, values[s]) for s in t.slots}
        if "stars" in rendered:  # the templates say "a {stars} star hotel": the number alone
            rendered["stars"] = self.f.stars(values["stars"], adjective=True).split("-")[0].split(" ")[0]
        text = t.fill(rendered)
        missing = [(s, values[s]) for s in required if s not in t.slots and s in values]
        extra = _facts_sentence(self.f, missing)
        return f"{text} {extra}".strip() if extra else text

    # -- kinds -------------------------------------------------------------------------
    def no_match(self, domain: str, wanted: str) -> str:
        constraints = dict((self.goal.get(domain) or {}).get("fail_info") or {})
        if not constraints:
            return f"I'm sorry, there is no {domain} matching {wanted}. Would you like to change something?"
        via = self.template("no_match", domain, constraints)
        if via:
            return via
        f = self.f
        many, one = _describe(f, domain, constraints, plural=True), _describe(f, domain, constraints)
        head = f.pick((f"There don't seem to be any {many}.", f"My search came up empty for {one}.",
                       f"I'm not finding any {many}.", f"Unfortunately, I have nothing matching {one}.",
                       f"Sorry, there are no {many}.", f"I'm sorry, I couldn't find {one}.",
                       f"I'm afraid there is no {domain} matching {wanted}."))
        tail = f.pick(("Would you like to try something else?", "Could we change one of the criteria?",
                       "Shall I look for something different?", "Is there another option you'd consider?"))
        return f"{head} {tail}"

    def _venue(self, domain: str, head: str) -> tuple[str, dict[str, str], dict | None, list[dict]]:
        """Name, attributes (slot -> value) and the entity record (with the other results) of a head."""
        found = _last(self.results, f"find_{domain}") or {}
        rows = [r for r in found.get("results") or () if isinstance(r, dict)]
        m = _VENUE.match(head)
        name, attr_text = (m.group(1), m.group(2)) if m else (head, "")
        entity = next((r for r in rows if str(r.get("name", "")) == name), rows[0] if rows else None)
        attrs: dict[str, str] = {}
        if attr_text:
            info = (self.goal.get(domain) or {}).get("info") or {}
            keys = [s for s in info if s != "name" and (entity is None or s in entity)]
            values = attr_text.split(", ")
            if len(keys) == len(values):
                attrs = dict(zip(keys, values))
        others = [r for r in rows if r is not entity]
        return name, attrs, entity, others

    def offer(self, domain: str, desc: str) -> str:
        head, facts = _parse_desc(desc)
        f = self.f
        if domain == "train":
            return self._train_offer(head, facts)
        name, attrs, entity, others = self._venue(domain, head)
        values = {**{k: str(v) for k, v in (entity or {}).items() if isinstance(v, (str, int, float))},
                  **attrs, **dict(facts), "name": name}
        found = _last(self.results, f"find_{domain}") or {}
        count = found.get("count")
        if isinstance(count, int) and count > 1:
            values["choice"] = str(count)
        via = self.template("offer", domain, values, required=[s for s, _ in facts])
        if via:
            return via
        said = f.name(name)
        what = _describe(f, domain, attrs) if attrs else ""
        alts = [str(r.get("name")) for r in others[:2] if r.get("name")]
        if alts and f.chance(self.p_alternatives):
            n = count if isinstance(count, int) and count > len(alts) else len(alts) + 1
            lead = f.pick((f"There are {n} options, including {_join([f.name(a) for a in alts])}.",
                           f"I have {n} places that fit, for example {_join([f.name(a) for a in alts])}.",
                           f"Options include {_join([f.name(a) for a in alts])}."))
            rec = f.pick((f"I'd suggest {said}", f"I would recommend {said}", f"My top pick is {said}",
                          f"{said} is the one I'd go for"))
            body = f"{lead} {rec}" + (f", {what}." if what else ".")
        elif what:
            body = f.pick((f"{said} is {what}.", f"How about {said}? It's {what}.", f"I'd recommend {said}, {what}.",
                           f"{said} would be a good fit: {what}.", f"I found {said}, {what}.",
                           f"There is {what} called {said}."))
        else:
            body = f.pick((f"How about {said}?", f"I found {said}.", f"I'd recommend {said}.",
                           f"{said} would be a good choice."))
        facts_text = _facts_sentence(f, facts)
        return f"{body} {facts_text}".strip()

    def _train_offer(self, head: str, facts: list[tuple[str, str]]) -> str:
        f = self.f
        m = _TRAIN.match(head)
        if not m:
            return f"{head}. {_facts_sentence(f, facts)}".strip()
        tid, dep, leave, day, dest, arrive = m.groups()
        values = {"trainID": tid, "departure": dep, "leaveAt": leave, "day": day, "destination": dest,
                  "arriveBy": arrive, **dict(facts)}
        found = _last(self.results, "find_train") or {}
        if isinstance(found.get("count"), int) and found["count"] > 1:
            values["choice"] = str(found["count"])
        via = self.template("offer", "train", values, required=["trainID"] + [s for s, _ in facts])
        if via:
            return via
        dep_, dest_, day_ = f.place(dep), f.place(dest), f.day(day)
        lv, ar = f.time(leave), f.time(arrive)
        body = f.pick((f"{tid} departs from {dep_} at {lv} on {day_}, arriving in {dest_} at {ar}.",
                       f"There's a train, {tid}, leaving {dep_} on {day_} at {lv}; it arrives at {ar} in {dest_}.",
                       f"How about {tid}? It leaves {dep_} at {lv} on {day_} and arrives by {ar}.",
                       f"I'd suggest {tid}: it departs {dep_} at {lv} ({day_}) and is due into {dest_} at {ar}.",
                       f"{tid} leaves {dep_} at {lv} on {day_} and arrives in {dest_} at {ar}."))
        facts = [(s, v) for s, v in facts if not (s == "arriveBy" and v == arrive)] if f.chance(0.5) else facts
        return f"{body} {_facts_sentence(f, facts)}".strip()

    def book_failed(self, domain: str, desc: str) -> str:
        head, facts = _parse_desc(desc)
        f = self.f
        name = _TRAIN.match(head).group(1) if domain == "train" and _TRAIN.match(head) else \
            (_VENUE.match(head).group(1) if _VENUE.match(head) else head)
        via = self.template("book_failed", "booking", {"name": name, **dict(facts)}, required=[s for s, _ in facts])
        if via:
            return via
        said = f.name(name)
        body = f.pick((f"I'm afraid {said} can't take a booking for then.", f"{said} isn't available at that time, sorry.",
                       f"Sorry, there are no open reservations at {said} for that slot.",
                       f"Unfortunately {said} is fully booked then.", f"I tried to book {said} but it was unsuccessful."))
        tail = f.pick(("Would another day or time work?", "Shall I try a different time?",
                       "Would you like to try another day or time?"))
        return " ".join(x for x in (body, _facts_sentence(f, facts), tail) if x)

    def booked(self, domain: str, desc: str, reference: str) -> str:
        head, facts = _parse_desc(desc)
        f = self.f
        m = _TRAIN.match(head) if domain == "train" else None
        name = m.group(1) if m else (_VENUE.match(head).group(1) if _VENUE.match(head) else head)
        booking = _last(self.results, f"book_{domain}") or {}
        values = {**{k: str(v) for k, v in booking.items() if isinstance(v, (str, int, float))}, **dict(facts),
                  "reference": reference, ("trainID" if domain == "train" else "name"): name}
        via = self.template("booked", "train" if domain == "train" else "booking", values,
                            required=[s for s, _ in facts] + ["reference"])
        if via:
            return via
        said = f.name(name)
        what = {"restaurant": "a table at ", "hotel": "a room at ", "train": "seats on "}.get(domain, "")
        ref = f.pick((f"the reference number is {reference}", f"your reference is {reference}",
                      f"reference number: {reference}", f"your booking reference is {reference}"))
        body = f.pick((f"Your booking at {said} is confirmed; {ref}.", f"Done! I've booked {what}{said} for you, and {ref}.",
                       f"Booking was successful at {said}. {_cap(ref)}.", f"All set at {said}: {ref}.",
                       f"I've made the reservation for {what}{said}; {ref}."))
        return f"{body} {_facts_sentence(f, facts)}".strip()

    def taxi(self, dep: str, dest: str, car: str, phone: str, reference: str) -> str:
        f = self.f
        via = self.template("taxi", "taxi", {"departure": dep, "destination": dest, "car type": car, "phone": phone},
                            required=["car type", "phone"])
        if via:
            return f"{via} The reference is {reference}."
        d, t, c, p = f.place(dep), f.place(dest), f.value("car type", car), f.phone(phone)
        return f.pick((f"Your taxi is booked: a {c} will pick you up at {d} and take you to {t}. The contact number is "
                       f"{p}, reference {reference}.",
                       f"Done! Look out for a {c} going from {d} to {t}. You can reach the driver on {p}. "
                       f"Reference: {reference}.",
                       f"I've arranged a {c} from {d} to {t}; contact number {p} (reference {reference}).",
                       f"I have booked a taxi from {d} to {t}: a {c}, contact number {p}, reference {reference}."))

    def summary(self, body: str) -> str:
        f = self.f
        parts: list[str] = []
        for piece in body.split("; "):
            if piece.startswith("its ") and parts:
                parts[-1] += "; " + piece
            else:
                parts.append(piece)
        said = []
        for part in parts:
            m = re.fullmatch(r"(\w+) reference (\S+)", part)
            t = re.fullmatch(r"taxi (.*), (\S+), reference (\S+)", part)
            if m:
                said.append(f"your {m.group(1)} reference is {m.group(2)}")
            elif t:
                said.append(f"your taxi is a {t.group(1)} (contact {f.phone(t.group(2))}, reference {t.group(3)})")
            else:
                head, facts = _parse_desc(part)
                tm, vm = _TRAIN.match(head), _VENUE.match(head)
                name = tm.group(1) if tm else vm.group(1) if vm else head
                facts_text = _join([f.fact(s, v) for s, v in facts])
                said.append(f"{f.name(name)}" + (f", where {facts_text}" if facts_text else ""))
        lead = f.pick(("To recap: ", "Just to summarise: ", "So, to sum up: ", "Here's everything: "))
        tail = f.pick(("Is there anything else I can help with?", "Anything else I can do for you?",
                       "Do you need anything else?"))
        return f"{lead}{'; '.join(said)}. {tail}"

    def bye(self) -> str:
        via = self.template("bye", "general", {})
        return via or self.f.pick(("You're welcome. Have a great day, goodbye!", "Glad I could help. Bye!",
                                   "Enjoy your trip, goodbye!", "My pleasure. Take care!"))


def paraphrase_reply(text: str, observation: Mapping[str, Any], info: Mapping[str, Any],
                     templates: Mapping[tuple[str, str], list[Template]] | None = None, p_template: float = 0.35,
                     p_alternatives: float = 0.3) -> str:
    """The oracle reply ``text`` said anew (unchanged when it is not one of the oracle's reply forms)."""
    scenario = info.get("scenario")
    goal = getattr(scenario, "goal", None) or {}
    results = _tool_results(observation)
    s = _Say(Forms(episode_rng(info, "reply")), goal, results, templates or {}, p_template, p_alternatives)
    domain = next((api.split("_", 1)[1] for api, _ in reversed(results) if "_" in api), "")
    if m := _NO_MATCH.match(text):
        return s.no_match(m.group(1), m.group(2))
    if m := _TAXI.match(text):
        return s.taxi(*m.groups())
    if m := _FAILED.match(text):
        return s.book_failed(domain, m.group(1))
    if m := _BOOKED.match(text):
        return s.booked(domain, m.group(1), m.group(2))
    if m := _SUMMARY.match(text):
        return s.summary(m.group(1))
    if m := _OFFER.match(text):
        return s.offer(domain, m.group(1))
    if text.startswith("You're welcome. Have a great day"):
        return s.bye()
    if text in ("Is there anything else I can help with?", "Anything else?"):
        return s.f.pick(("Is there anything else I can help with?", "Anything else I can do for you?",
                         "Can I help with anything else?"))
    return text


class ParaphraseOracle:
    """The oracle with its replies paraphrased (its calls unchanged).

    Args:
        templates: ``"auto"`` (the MultiWOZ val turns when the dataset is there), ``None`` (none), or a
            ``{(kind, domain): [Template]}`` table.
        p_template: chance a reply is said with a val wizard turn when one fits.
        p_alternatives: chance an offer first lists other results ("...including X and Y. I'd suggest Z").
    """

    name = "paraphrase_oracle"
    privileged = True

    def __init__(self, templates: Any = "auto", p_template: float = 0.35, p_alternatives: float = 0.3):
        self.inner = OraclePolicy()
        if templates == "auto":
            templates = load_templates(_multiwoz_dir())
        self.templates = templates or {}
        self.p_template, self.p_alternatives = float(p_template), float(p_alternatives)

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]]) -> list[Any]:
        actions = self.inner.act(observations, infos)
        return [self._one(a, o, i) for a, o, i in zip(actions, observations, infos)]

    def _one(self, action: Any, observation: Mapping[str, Any], info: Mapping[str, Any]) -> Any:
        if not isinstance(action, str) or "<tool_call>" in action:
            return action
        return paraphrase_reply(action, observation, info, self.templates, self.p_template, self.p_alternatives)


def _multiwoz_dir() -> str | None:
    try:
        from coalm_env import data

        path = data.dataset_dir("multiwoz24") if hasattr(data, "dataset_dir") else None
    except Exception:  # noqa: BLE001 - no data: no templates
        return None
    return str(path) if path is not None and path.is_dir() else None
