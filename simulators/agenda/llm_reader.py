"""An optional LLM-backed reading of agent replies for the agenda user (issue 14), off by default.

The rule reader (:func:`simulators.agenda.understand.read`) reads every reply first. Only when it finds
nothing actionable in it (no offer, no request, no failure, no booking, no proposal or confirmation) is
the LLM asked to classify the reply into the same fields, answering one JSON object::

    {"offers": {"restaurant": ["golden wok"]}, "requests": [["area", "restaurant"]],
     "no_match": ["hotel"], "book_failed": [], "booked": false}

The answer is parsed with :func:`json.loads` (never ``eval``); an answer that is not such an object
(malformed JSON, wrong types, unknown slots or domains, names the domain does not have) falls back to the
rule reading and is counted in :attr:`LLMReader.stats`. Built from a generator spec of the generation
layer (``coalm_env.llm.make_generator``; ``scripted`` for tests)::

    AgendaUser(understanding="llm:openai:my-model@http://127.0.0.1:8000/v1")
    coalm-env rollout coalm/Travel-v0 --user agenda:understanding=llm:openai:my-model@http://127.0.0.1:8000/v1
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["LLMReader", "make_reader", "actionable", "SLOTS"]

#: slots the agent may ask the user for (what the rule reader's ``asked`` holds)
SLOTS = ("area", "pricerange", "food", "stars", "type", "parking", "internet", "name", "people", "day", "time",
         "stay", "departure", "destination", "leaveAt", "arriveBy")

_PROMPT = """You read one reply of a booking assistant to a customer and classify it. The customer's \
goal covers these domains: {domains}. Answer with one JSON object and nothing else, with these keys:
"offers": {{domain: [venue names the assistant offers or recommends]}},
"requests": [[slot, domain]] for each thing the assistant asks the customer for (slots: {slots}),
"no_match": [domain] when it says nothing matches the request,
"book_failed": [domain] when it says a booking could not be made,
"booked": true when it says a booking was made, else false.
Use [] / {{}} / false for what the reply does not say."""


def actionable(reading: Any) -> bool:
    """Whether a :class:`~simulators.agenda.understand.Reading` holds anything the user acts on."""
    return bool(reading.offers or reading.asked or reading.failures or reading.bookings or reading.claims_booked
                or reading.proposals or reading.confirmations)


def make_reader(spec: Any) -> LLMReader | None:
    """``None``/``""``/``"rule"``: the rule reader only; ``"llm:BACKEND:MODEL[@URL]"`` (or a generator
    object, or an :class:`LLMReader`): the LLM fallback."""
    if spec is None or spec == "" or spec == "rule":
        return None
    if isinstance(spec, LLMReader):
        return spec
    if isinstance(spec, str):
        if not spec.startswith("llm:"):
            raise ValueError(f"unknown agenda understanding {spec!r}: use 'rule' or 'llm:BACKEND:MODEL[@URL]'")
        from coalm_env.llm import make_generator

        return LLMReader(make_generator(spec[len("llm:"):]))
    return LLMReader(spec)


class LLMReader:
    """Asks a generator to read agent replies the rules found nothing in.

    Args:
        generator: a :class:`coalm_env.llm.Generator` (``generate(batch, params=...)``).
        params: sampling parameters (default: greedy, at most 256 tokens).

    ``stats``: ``calls`` (replies sent to the LLM), ``used`` (answers that added something),
    ``malformed`` (answers that were not a valid reading: the rule reading was kept), ``errors``
    (generation failures: the rule reading was kept).
    """

    def __init__(self, generator: Any, params: Any = None):
        from coalm_env.llm import SamplingParams

        self.generator = generator
        self.params = params or SamplingParams(temperature=0.0, max_tokens=256)
        self.stats = {"calls": 0, "used": 0, "malformed": 0, "errors": 0}

    def __call__(self, reading: Any, context: Any, domains: Sequence[str]) -> Any:
        """``reading`` completed from the LLM's answer when the rules found nothing actionable in it."""
        if actionable(reading) or not reading.text.strip():
            return reading
        self.stats["calls"] += 1
        messages = [{"role": "system", "content": _PROMPT.format(domains=", ".join(domains) or "any",
                                                                 slots=", ".join(SLOTS))},
                    {"role": "user", "content": reading.text}]
        try:
            answer = self.generator.generate([messages], params=self.params)[0].text
        except Exception:  # noqa: BLE001 - a failing backend leaves the rule reading
            self.stats["errors"] += 1
            return reading
        parsed = parse_answer(answer, getattr(context, "names", {}) or {}, domains)
        if parsed is None:
            self.stats["malformed"] += 1
            return reading
        offers, requests, failures, booked = parsed
        reading.offers = offers
        reading.asked = requests
        reading.failures = failures
        reading.claims_booked = booked
        if actionable(reading):
            self.stats["used"] += 1
        return reading


def parse_answer(answer: str, names: Mapping[str, Sequence[str]], domains: Sequence[str]) -> tuple | None:
    """``(offers, asked, failures, booked)`` from the LLM's answer, or ``None`` when it is malformed. Offered
    names must be names of their domain (matched case-insensitively, returned in the domain's spelling)."""
    text = answer.strip()
    fence = re.search(r"\{.*\}", text, re.DOTALL)  # tolerate prose or ``` fences around the object
    try:
        data = json.loads(fence.group(0) if fence else text)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    known = set(domains)
    offers_in, requests_in = data.get("offers", {}), data.get("requests", [])
    no_match, book_failed, booked = data.get("no_match", []), data.get("book_failed", []), data.get("booked", False)
    if not (isinstance(offers_in, dict) and isinstance(requests_in, list) and isinstance(no_match, list)
            and isinstance(book_failed, list) and isinstance(booked, bool)):
        return None
    offers: dict[str, list[str]] = {}
    for d, said in offers_in.items():
        if d not in known or not isinstance(said, list):
            return None
        spelling = {str(n).lower(): n for n in names.get(d, ())}
        picked = [spelling[str(n).lower()] for n in said if isinstance(n, str) and str(n).lower() in spelling]
        if picked:
            offers[d] = picked
    asked: list[tuple[str, str | None]] = []
    for item in requests_in:
        if not (isinstance(item, list) and len(item) == 2 and item[0] in SLOTS and (item[1] in known or item[1] is None)):
            return None
        asked.append((item[0], item[1]))
    failures: list[tuple[str, str | None]] = []
    for kind, ds in (("no_match", no_match), ("book_failed", book_failed)):
        for d in ds:
            if not (d in known or d is None):
                return None
            failures.append((kind, d))
    return offers, asked, failures, booked
