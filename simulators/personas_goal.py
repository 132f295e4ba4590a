"""Stress personas that touch the goal: ``goal_change``, ``multi_intent``, ``non_cooperative``.

They work around any user; where the inner user is the agenda user (its state is an
:class:`~simulators.agenda.agenda.AgendaState`) they also update its agenda so it pursues what they
said. Other users see the changed scenario in their requests (``goal_change``) or only the text.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from coalm_env.protocols import UserRequest
from coalm_env.types import UserTurn
from simulators.acts import Act
from simulators.agenda.agenda import AgendaState, mark_said, push
from simulators.personas import Own, Persona, RatePersona, act_values, derive

__all__ = ["GoalChange", "MultiIntent", "NonCooperative"]


def _adapt_agenda(state: Any, updates: dict[str, dict[str, str]]) -> Any:
    """The agenda after a goal change: changed constraints active, the touched domains started over
    (entity, booking, answers forgotten) and the change said first ("how about ... instead?")."""
    if not isinstance(state, AgendaState):
        return state
    state = state.clone()
    for domain, slots in updates.items():
        p = state.progress.get(domain)
        if p is None:
            continue
        p.info.update(slots)
        p.final_info.update(slots)
        p.entity, p.booking, p.received, p.offered = None, None, {}, []
        push(state, [Act("reqalts", domain, s, v) for s, v in slots.items()])
    state.claims_booked = False
    return state


class GoalChange(Persona):
    """Changes its goal once, mid-dialogue: at user turn ``at`` (default: the 2nd or 3rd, seeded) it
    asks the domain for a valid change (``request.meta["goal_change"]``, the env's hook onto
    ``Domain.goal_change(scenario, rng)``), says so, and reports the changed scenario in
    ``UserTurn.meta["scenario"]`` (the env then scores against it). Without a hook nothing changes
    (marked ``changed: False``).

    Args:
        at: the user turn of the change (1 is the opening turn; 2 or more).
        p: the probability that an episode changes its goal.
    """

    name = "goal_change"

    def __init__(self, inner: Any, at: int | None = None, p: float = 1.0):
        if at is not None and int(at) < 2 or not 0 <= p <= 1:
            raise ValueError("at must be >= 2 and p in [0, 1]")
        super().__init__(inner, **({"at": int(at)} if at is not None else {}), **({"p": p} if p != 1.0 else {}))
        self.at, self.p = (int(at) if at is not None else None), float(p)

    def _due(self, own: Own) -> bool:
        rng = self.rng(Own(own.seed, 0))
        at = self.at if self.at is not None else 2 + int(rng.integers(2))
        return own.turn == at and float(rng.random()) < self.p and not own.data.get("done")

    def prepare(self, method: str, request: UserRequest, own: Own) -> UserRequest:
        hook = request.meta.get("goal_change")
        if method != "respond" or not self._due(own) or hook is None:
            return request
        own.data["done"] = True
        changed = hook(self.rng(own))
        change = (changed.meta or {}).get("goal_change") if changed is not None else None
        if not change:
            return request
        own.data["pending"] = changed
        return derive(request, scenario=changed, state=_adapt_agenda(request.state, change["updates"]))

    def transform_turn(self, request: UserRequest, turn: UserTurn, own: Own) -> tuple[UserTurn, Own]:
        changed = own.data.pop("pending", None)
        if changed is None or turn.stop is not None:
            return self.mark(turn, changed=False), own
        change = changed.meta["goal_change"]
        text = f"Actually, I've changed my mind: I'd like the {change['slot']} to be {change['new']} instead. "
        turn = dataclasses.replace(turn, text=text + turn.text, meta={**turn.meta, "scenario": changed})
        return self.mark(turn, changed=True, **{k: change[k] for k in ("domain", "slot", "old", "new")}), own


class MultiIntent(RatePersona):
    """Several intents in one turn: with the agenda user, each turn also says the constraints of the
    next goal domain not started yet ("I'll also need ..."), taken off its agenda. With another user
    the turn is unchanged (marked ``merged: 0``); an LLM user is asked for it in its prompt (:attr:`hint`).

    Args:
        rate: per-turn probability of merging.
    """

    name = "multi_intent"
    hint = "Ask for several things of your goal in one turn (e.g. the next booking along with the current one)."

    def transform_turn(self, request: UserRequest, turn: UserTurn, own: Own) -> tuple[UserTurn, Own]:
        from simulators.agenda.templates import Voice, noun_phrase

        state = turn.state
        rng = self.rng(own)
        if not isinstance(state, AgendaState) or turn.stop is not None or float(rng.random()) >= self.rate:
            return self.mark(turn, merged=0), own
        current = state.current()
        later = [d for d in state.domains if d != current and not state.progress[d].told
                 and state.domains.index(d) > state.domains.index(current or d)]
        if not later:
            return self.mark(turn, merged=0), own
        d = later[0]
        acts = [a for a in state.stack if a[0] == "inform" and a[1] == d and a[3] != "dontcare"]
        if not acts:
            return self.mark(turn, merged=0), own
        state.stack = [a for a in state.stack if not (a[0] == "inform" and a[1] == d)]
        mark_said(state, acts)  # the inner turn's state is fresh (the agenda clones it every turn)
        np_ = noun_phrase(Voice(rng), d, {a[2]: a[3] for a in acts})
        text = f"{turn.text} I'll also need {np_}."
        turn = dataclasses.replace(turn, text=text, acts=[*turn.acts, *acts])
        return self.mark(turn, merged=len(acts), domain=d), own


# what an agent's question about a slot looks like (whole words, case-insensitive)
_CUES = {"area": "area|where|part of town|location", "pricerange": "price|budget|cheap|expensive",
         "food": "food|cuisine", "type": "type|kind", "stars": "stars?|rating", "day": "day|when",
         "time": "time|when", "people": "how many|people|guests", "stay": "nights|how long",
         "departure": "from|depart\\w*|leaving", "destination": "to|destination|where|going",
         "leaveAt": "leave|depart\\w*|time|when", "arriveBy": "arrive|time|when", "name": "name|which"}


def _asks_about(text: str, slot: str) -> bool:
    if "?" not in text:
        return False
    return re.search(rf"\b({_CUES.get(slot, re.escape(slot))})\b", text, flags=re.IGNORECASE) is not None


def _strip_value(text: str, value: str) -> str:
    pattern = (rf"\s*\b(?:(?:in|at|on|for|from|to|with|serving|that serves|called|named|rated|starting|"
               rf"leaving|departing|arriving by|going to)\s+)?(?:the\s+)?{re.escape(value)}"
               rf"(?:\s+(?:food|area|of town|price range|prices|stars|type))?\b")
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(pattern, "", text, flags=re.IGNORECASE)).strip()


class NonCooperative(Persona):
    """Withholds one constraint until the agent has asked for it twice: the first constraint value
    the user would say (from the turn's acts, else the goal's ``info`` values found in the text) is
    cut from every turn, and asked once it evades; asked a second time it gives the value."""

    name = "non_cooperative"

    def prepare(self, method: str, request: UserRequest, own: Own) -> UserRequest:
        held = own.data.get("held")
        message = getattr(request.agent_message, "content", "") or ""
        if held and not own.data.get("released") and _asks_about(message, held["slot"]):
            own.data["asks"] = own.data.get("asks", 0) + 1
        return request

    def _choose(self, request: UserRequest, turn: UserTurn, own: Own) -> dict[str, str] | None:
        pairs = [(a[2], a[3]) for a in turn.acts or () if len(a) >= 4 and a[0] == "inform" and a[3] in act_values(turn)]
        if not pairs and isinstance(request.scenario.goal, dict):
            pairs = [(s, str(v)) for sub in request.scenario.goal.values() if isinstance(sub, dict)
                     for s, v in (sub.get("info") or {}).items()]
        pairs = [(s, v) for s, v in pairs if re.search(rf"\b{re.escape(v)}\b", turn.text, flags=re.IGNORECASE)]
        if not pairs:
            return None
        slot, value = pairs[int(self.rng(own).integers(len(pairs)))]
        return {"slot": slot, "value": value}

    def transform_turn(self, request: UserRequest, turn: UserTurn, own: Own) -> tuple[UserTurn, Own]:
        held = own.data.get("held") or (self._choose(request, turn, own) if turn.stop is None else None)
        if not held or own.data.get("released") or turn.stop is not None:
            return self.mark(turn, withheld=False), own
        own.data["held"], asks = held, own.data.get("asks", 0)
        if asks >= 2:
            own.data["released"] = True
            said = re.search(rf"\b{re.escape(held['value'])}\b", turn.text, flags=re.IGNORECASE)
            text = turn.text if said else f"Fine: the {held['slot']} is {held['value']}. {turn.text}"
            return self.mark(dataclasses.replace(turn, text=text), withheld=False, released=True, **held), own
        text = _strip_value(turn.text, held["value"])
        if asks == 1:
            text = f"{text} Does the {held['slot']} really matter? Just show me what you have.".strip()
        if sum(c.isalpha() for c in text) < 3:
            text = "Just show me what you have."
        return self.mark(dataclasses.replace(turn, text=text), withheld=True, asks=asks, **held), own
