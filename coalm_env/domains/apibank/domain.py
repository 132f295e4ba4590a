"""The API-Bank domain object: scenarios, backend, user knowledge, scorer and oracle of one level."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.domains.apibank.graph import build_graph
from coalm_env.domains.apibank.resources import base_store
from coalm_env.domains.apibank.samples import load_scenarios
from coalm_env.domains.apibank.scoring import gold_end_hash, score_calls, score_episode
from coalm_env.domains.apibank.session import APIBankSession
from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.parsing import format_calls, format_reply
from coalm_env.text import contains_bounded
from coalm_env.types import Scenario, ToolCall, Trajectory
from coalm_env.domains.apibank.manual import MANUAL

__all__ = ["APIBankDomain", "LEVELS"]

LEVELS = (1, 2, 3)
_CLOSING = "Is there anything else I can help you with?"
_PROMPTS = {
    1: "You are an AI assistant that helps the user by calling APIs. The current year is 2023. "
       "Call an API once you know every argument it needs (ask the user for what is missing); "
       "after the API answers, tell the user the result.",
    2: "You are an AI assistant that helps the user by calling APIs. The current year is 2023. "
       "At first only ToolSearcher is available: call it with a few keywords to find the API you need; "
       "the APIs it returns become callable. Ask the user for missing arguments, then report the result.",
    3: "You are an AI assistant that plans and carries out the user's requirement with APIs. "
       "At first only ToolSearcher is available: call it with keywords (an API name works best) to "
       "retrieve each API you need; retrieved APIs become callable. Chain the calls, then answer the user.",
}


@functools.cache
def _scenarios(level: int) -> tuple[Scenario, ...]:
    return tuple(load_scenarios(level))


def _said_verbatim(value: Any, text: str) -> bool:
    """Whether a scalar argument value occurs in ``text`` verbatim up to letter case and runs of spaces,
    not inside a longer word or number (``"2021-03-04"`` needs its hyphens; not
    :func:`~coalm_env.text.word_key`, which would also equate punctuation with spaces)."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return False
    v = " ".join(str(value).lower().split())
    if len(v) < 2:
        return False
    return contains_bounded(text.lower(), v)


class APIBankDomain:
    """API-Bank (Li et al., EMNLP 2023) as an interactive domain.

    Args:
        level: 1 (the dialogue's APIs are described), 2 (retrieve with ToolSearcher, then call) or
            3 (plan, retrieve and call the level-3 APIs for one requirement).
    """

    MANUAL = MANUAL  # the env's manual (coalm_env.manual composes it)
    name = "apibank"
    default_user = "apibank_replay"
    splits = ("test",)

    def __init__(self, level: int = 1):
        if level not in LEVELS:
            raise ConfigError(f"API-Bank level must be one of {LEVELS}, got {level!r}")
        self.level = int(level)

    # -- data ---------------------------------------------------------------------------------
    def scenarios(self, split: str = "test") -> list[Scenario]:
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        return list(_scenarios(self.level))

    def get_scenario(self, scenario_id: str) -> Scenario:
        for scenario in _scenarios(self.level):
            if scenario.id == scenario_id:
                return scenario
        raise UnknownNameError(f"API-Bank level-{self.level} scenario", scenario_id,
                               [s.id for s in _scenarios(self.level)])

    def api_graph(self, scenario: Scenario | None = None) -> ApiGraph:
        return build_graph(self.level)

    # -- backend ------------------------------------------------------------------------------
    def initial_tools(self, scenario: Scenario) -> list[str]:
        """Level 1: the APIs the official prompt describes; levels 2 and 3: ToolSearcher alone."""
        graph = self.api_graph()
        if self.level == 1:
            return [n for n in scenario.meta["apis"] if n in graph]
        return ["ToolSearcher"]

    def build_backend(self, scenario: Scenario, rng: np.random.Generator) -> BackendSession:
        store = base_store()
        return APIBankSession(self.api_graph(), store.view(), store, self.initial_tools(scenario))

    def system_prompt(self, scenario: Scenario) -> str:
        return _PROMPTS[self.level]

    def user_goal_text(self, scenario: Scenario) -> str:
        """The goal the ``apibank_goal`` user pursues, as LLM-user instructions (turns and their facts)."""
        from coalm_env.domains.apibank.goal_text import apibank_goal_text

        steps = scenario.meta["steps"]
        facts = [sorted({str(v) for s in steps for v in s["input"].values() if _said_verbatim(v, turn)})
                 for turn in scenario.user_turns]
        return apibank_goal_text(scenario.user_turns, facts)

    def user_context(self, scenario: Scenario, backend: BackendSession) -> dict[str, Any]:
        """What a user simulator may know: its turns, the facts each turn gives, and gold progress."""
        steps = scenario.meta["steps"]
        facts = [sorted({p for s in steps for p, v in s["input"].items() if _said_verbatim(v, turn)})
                 for turn in scenario.user_turns]
        calls = [(None, c, r) for c, r in backend.history]
        progress = score_calls(self.api_graph(), base_store(), scenario, calls, aligned=False) if calls else \
            [False] * len(steps)
        return {"level": self.level, "user_turns": list(scenario.user_turns), "turn_facts": facts,
                "progress": progress, "done": all(progress)}

    # -- scoring and oracle ---------------------------------------------------------------------
    def score(self, trajectory: Trajectory, scenario: Scenario, backend: BackendSession) -> dict[str, float]:
        """The API-Bank metrics (:func:`~coalm_env.domains.apibank.scoring.score_episode`) and
        ``end_state_match``: the episode's backend ended in the gold end state."""
        metrics = score_episode(self.api_graph(), base_store(), scenario, trajectory, _aligned(trajectory))
        metrics["end_state_match"] = float(backend.state_hash() == self.gold_end_state(scenario)["state_hash"])
        return metrics

    def gold_end_state(self, scenario: Scenario) -> dict[str, Any]:
        """``scenario.gold.end_state``: ``{"state_hash": ...}``, the hash of a fresh backend's state after
        the gold calls (:func:`~coalm_env.domains.apibank.scoring.gold_end_hash`). Computed on first use
        and kept in the scenario (a few calls; never at load for every scenario)."""
        if scenario.gold.end_state is None:
            scenario.gold.end_state = {"state_hash": gold_end_hash(self.api_graph(), base_store(), scenario)}
        return scenario.gold.end_state

    def oracle_action(self, scenario: Scenario, backend: BackendSession, trajectory: Trajectory) -> str:
        """The gold next action: the next gold call of this user turn (hermes format, the AI text before
        it as the thought), else the turn's gold reply (ReAct ``Response:``)."""
        steps = scenario.meta["steps"]
        segment = max(sum(1 for m in trajectory.messages if m.role == "user") - 1, 0)
        done = _gold_progress(steps, backend)
        if done < len(steps) and (not _aligned(trajectory) or steps[done]["segment"] <= segment):
            step = steps[done]
            if step["name"] not in backend.visible:  # some level-2 dialogues call APIs they never retrieved
                search = ToolCall(name="ToolSearcher", arguments={"keywords": step["name"]})
                return format_calls([search], "hermes", thought=f"I need the {step['name']} API.")
            call = ToolCall(name=step["name"], arguments=dict(step["input"]))
            return format_calls([call], "hermes", thought=step["thought"] or None)
        replies = scenario.meta["replies"]
        reply = replies[segment] if _aligned(trajectory) and segment < len(replies) else replies[-1]
        return format_reply(reply or _CLOSING, "react", thought="I can answer the user now.")


#: user spec names that replayed the dataset's turns, for trajectories written before the env recorded
#: ``user_follows_dataset`` (see :func:`_aligned`); never consulted for a live episode
_LEGACY_REPLAY_USERS = ("apibank_replay", "replay")


def _aligned(trajectory: Trajectory) -> bool:
    """Whether the user replays the dataset's turns, so user turn ``k`` is gold segment ``k``: the
    user's declared ``follows_dataset`` capability, recorded by the env in the trajectory (see
    :class:`coalm_env.protocols.UserSimulator`), never its name.

    Legacy files: a trajectory saved before the env recorded ``user_follows_dataset`` lacks the key;
    for re-scoring it, its user spec decides as it did when it was written (the name before any
    ``:options``, one of :data:`_LEGACY_REPLAY_USERS`). This reads old files only: every episode the
    env runs now records the key, so live behaviour never depends on a user's name."""
    if "user_follows_dataset" not in trajectory.extra:
        return trajectory.user.split(":", 1)[0] in _LEGACY_REPLAY_USERS
    return bool(trajectory.extra["user_follows_dataset"])


def _gold_progress(steps: list[dict[str, Any]], backend: BackendSession) -> int:
    """How many gold calls, in order, the session has already made successfully."""
    done = 0
    for call, result in backend.history:
        if done < len(steps) and call.name == steps[done]["name"] and result.ok:
            done += 1
    return done
