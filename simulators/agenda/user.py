"""The agenda-based user simulator: reads the agent's reply, updates its agenda, says its next acts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from coalm_env.protocols import UserRequest
from coalm_env.types import StopReason, UserTurn
from simulators.acts import Act, ActType
from simulators.agenda.act_reader import observe_acts, read_acts
from simulators.agenda.agenda import AgendaState, build_state, mark_said, next_acts
from simulators.agenda.llm_reader import make_reader
from simulators.agenda.observe import observe
from simulators.agenda.templates import Voice, give_up, goodbye, realise
from simulators.agenda.understand import read

__all__ = ["AgendaUser"]

_GREET = ("Hi! ", "Hello. ", "", "Hi there. ")
_OPEN = ("I'm looking for {np}.", "I need {np}.", "Can you help me find {np}?", "I'd like to find {np}.",
         "Please find me {np}.")
_NEXT_PREFIX = ("Thanks. ", "Great, thank you. ", "Perfect. ", "")
_NEXT = ("I also need {np}.", "I'm also looking for {np}.", "Can you also help me find {np}?",
         "Next, I need {np}.")
_ACK = ("That sounds good. ", "Great. ", "Perfect. ", "Okay. ", "")


class AgendaUser:
    """A Schatzmann-style agenda-based user for task-oriented goals in the MultiWOZ layout.

    Args:
        patience: agent replies in a row without progress the user tolerates; at zero it gives up
            (``StopReason.USER_GAVE_UP``). Progress: a new fitting offer, an answer to a request, an
            expected no-match or booking failure, a valid booking reference, or a first question
            about something the user has not said.
        max_constraints_per_turn: constraints the user volunteers in one turn (answers to the agent's
            questions come on top).
        p_12h: probability of saying a time as "6:30 pm" rather than "18:30".
        p_words: probability of saying a number up to ten as a word.
        understanding: how agent replies are read: ``"rule"`` (default) or ``"llm:BACKEND:MODEL[@URL]"``
            (or a generator): the rules first, the LLM for replies they find nothing actionable in
            (:mod:`simulators.agenda.llm_reader`).
    """

    name = "agenda"
    reads_acts = True  # plays the act-level mode (interface="acts"): reads system acts, answers with acts, no text

    def __init__(self, patience: int = 3, max_constraints_per_turn: int = 2, p_12h: float = 0.4,
                 p_words: float = 0.5, understanding: Any = "rule"):
        if patience < 1 or max_constraints_per_turn < 1:
            raise ValueError("patience and max_constraints_per_turn must be at least 1")
        self.patience = int(patience)
        self.cap = int(max_constraints_per_turn)
        self.p_12h, self.p_words = float(p_12h), float(p_words)
        self.reader = make_reader(understanding)

    # -- protocol --------------------------------------------------------------------------
    def begin(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        """Open each episode with the first acts of its goal."""
        return [self._begin(r) for r in requests]

    def respond(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        """Answer each episode's last agent reply."""
        return [self._respond(r) for r in requests]

    # -- one episode -----------------------------------------------------------------------
    def _voice(self, state: AgendaState) -> Voice:
        rng = np.random.default_rng([state.seed, state.turn])
        return Voice(rng, self.p_12h, self.p_words)

    def _begin(self, request: UserRequest) -> UserTurn:
        goal = request.scenario.goal if isinstance(request.scenario.goal, dict) else {}
        state = build_state(goal, int(request.seed) % 2**63, self.patience, request.context.vocab.schemas)
        at_acts = _at_act_level(request)
        if state.goal_met():  # an empty goal: nothing to ask for
            return self._end(state, StopReason.GOAL_MET, "" if at_acts else goodbye(self._voice(state)),
                             [Act(ActType.BYE, "general", "", "")])
        acts = next_acts(state, self.cap)
        if at_acts:  # no NLG: the acts are the turn
            return self._say(state, acts, "", progress=True)
        v = self._voice(state)
        text = realise(v, acts, intro=v.pick(_OPEN), prefix=v.pick(_GREET), schemas=state.schemas)
        return self._say(state, acts, text, progress=True)

    def _respond(self, request: UserRequest) -> UserTurn:
        if not isinstance(request.state, AgendaState):  # no episode of ours yet: open one
            return self._begin(request)
        state: AgendaState = request.state.clone()
        state.turn += 1
        if state.stopped:
            return UserTurn(text="", stop=StopReason(state.stopped), state=state)
        message = request.agent_message
        before = self._current_and_entities(state)
        at_acts = _at_act_level(request)
        if at_acts:  # no NLU: the agent's system acts are read as they are (simulators.agenda.act_reader)
            system_acts = request.meta.get("system_acts")
            context = request.context
            reading = read_acts(system_acts, context, self._reading_order(state))
            progress = observe_acts(state, reading, system_acts, context)
        else:
            reading = read(getattr(message, "content", "") if message is not None else "", request.context,
                           self._reading_order(state), fallback=self.reader)
            progress = observe(state, reading, request.context)
        if state.goal_met():
            return self._end(state, StopReason.GOAL_MET, "" if at_acts else goodbye(self._voice(state)),
                             [Act(ActType.THANK, "general", "", ""), Act(ActType.BYE, "general", "", "")])
        state.patience = self.patience if progress else state.patience - 1
        if state.patience <= 0:
            return self._end(state, StopReason.USER_GAVE_UP, "" if at_acts else give_up(self._voice(state)),
                             [Act(ActType.BYE, "general", "gave_up", "")])
        acts = next_acts(state, self.cap)
        if at_acts:
            return self._say(state, acts, "", progress)
        chosen = self._chosen(state, before[1], reading.offers)
        v = self._voice(state)
        return self._say(state, acts, self._text(v, state, acts, before, chosen), progress)

    def _text(self, v: Voice, state: AgendaState, acts: list[Act], before: tuple, chosen: str | None) -> str:
        current_before, accepted_before = before
        d = acts[0].domain if acts else None
        p = state.progress.get(d) if d else None
        if p is not None and not p.told and d != current_before:
            return realise(v, acts, intro=v.pick(_NEXT), prefix=v.pick(_NEXT_PREFIX), schemas=state.schemas)
        if p is not None and not p.told:
            return realise(v, acts, intro=v.pick(_OPEN), schemas=state.schemas)
        accepted_now = self._current_and_entities(state)[1]
        ack = ""
        if accepted_now != accepted_before and acts and acts[0].intent != "negate":
            ack = f"{chosen[:1].upper()}{chosen[1:]} sounds good. " if chosen else v.pick(_ACK)
        return realise(v, acts, prefix=ack, schemas=state.schemas)

    @staticmethod
    def _chosen(state: AgendaState, accepted_before: tuple, offers: dict[str, list[str]]) -> str | None:
        """The entity just picked out of several offered ones (the user names it so the agent knows)."""
        before = {d: entity for d, entity, _ref in accepted_before}
        for d, p in state.progress.items():
            if p.entity and p.entity != before.get(d) and len(offers.get(d, ())) > 1:
                return p.entity
        return None

    @staticmethod
    def _current_and_entities(state: AgendaState) -> tuple:
        accepted = tuple((d, p.entity, (p.booking or {}).get("reference")) for d, p in state.progress.items())
        return state.current(), accepted

    @staticmethod
    def _reading_order(state: AgendaState) -> list[str]:
        current = state.current()
        return [current] + [d for d in state.domains if d != current] if current else list(state.domains)

    def _say(self, state: AgendaState, acts: list[Act], text: str, progress: bool) -> UserTurn:
        mark_said(state, acts)
        if not text and acts:  # act level: the acts are the turn
            return UserTurn(text="", state=state, acts=[list(a) for a in acts],
                            meta={"patience": state.patience, "progress": progress})
        return UserTurn(text=text or "Could you help me with that?", state=state, acts=[list(a) for a in acts],
                        meta={"patience": state.patience, "progress": progress})

    @staticmethod
    def _end(state: AgendaState, reason: StopReason, text: str, acts: list[Any]) -> UserTurn:
        state.stopped = reason.value
        return UserTurn(text=text, stop=reason, state=state, acts=acts,
                        meta={"patience": state.patience})


def _at_act_level(request: UserRequest) -> bool:
    """Whether the env plays the act-level mode (``UserRequest.meta["interface"] == "acts"``)."""
    meta = request.meta
    return isinstance(meta, dict) and meta.get("interface") == "acts"
