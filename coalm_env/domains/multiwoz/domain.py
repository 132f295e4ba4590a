"""``coalm/MultiWOZ-v0``: the MultiWOZ 2.4 val/test dialogues as interactive tasks over the real databases."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.domains.multiwoz.apis import build_graph
from coalm_env.domains.multiwoz.database import DOMAINS, api_lexicon, load_database
from coalm_env.domains.multiwoz.dialogues import Dialogue, load_dialogues
from coalm_env.domains.multiwoz.goals import convert_goal
from coalm_env.domains.multiwoz.replay import gold_replay_action, gold_replay_delex, gold_replay_next
from coalm_env.domains.multiwoz.vocab import MultiWOZVocabulary
from coalm_env.domains.tod import apis as tod_apis
from coalm_env.domains.tod import oracle
from coalm_env.domains.tod.goal_change import change_goal
from coalm_env.domains.tod.plan import gold_plan
from coalm_env.domains.multiwoz.context import MultiWOZContext
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.domains.multiwoz import jga as jga_scoring
from coalm_env.domains.multiwoz import scoring as mwz
from coalm_env.domains.tod.scoring import score_goal
from coalm_env.types import AgentAction, Gold, Scenario, Trajectory
from coalm_env.domains.multiwoz.manual import MANUAL

__all__ = ["MultiWOZDomain", "SYSTEM_PROMPT", "ORACLES"]

ORACLES = ("script", "gold_replay")
SYSTEM_PROMPT = (
    "You are the Cambridge TownInfo assistant. Help the user find restaurants, hotels, attractions and trains, "
    "make bookings, and book taxis, using the available APIs. After each user turn, record what the user wants "
    "with update_state(domain, slot_values). Search before you offer anything, never invent names, phone "
    "numbers or reference numbers, give the user the details they ask for, and confirm every booking with its "
    "reference number."
)


class MultiWOZDomain:
    """The MultiWOZ 2.4 domain.

    Scenarios are the dataset's val/test dialogues, each with its real goal converted to the task-oriented
    goal layout (:mod:`~coalm_env.domains.multiwoz.goals`), the gold user turns in ``user_turns`` and, in
    ``meta``, the gold system turns, gold belief states per turn (``gold_states``), the wizard's bookings
    per turn (``gold_bookings``), the system turns' span annotation (``system_spans``), the original goal and
    where the states came from (``belief_source``).

    Args:
        oracle: ``"script"`` (the task-oriented oracle script: search, offer, book, taxi) or
            ``"gold_replay"`` (the dataset's system turns, with the gold state reported via ``update_state``;
            pair it with the ``replay`` user; each reply is an :class:`~coalm_env.types.AgentAction` carrying
            the dataset's delexicalised turn in ``extra["delex"]``).
    """

    MANUAL = MANUAL  # the env's manual (coalm_env.manual composes it)
    name = "multiwoz"
    default_user = "agenda"
    splits = ("val", "test")

    def __init__(self, oracle: str = "script"):
        if oracle not in ORACLES:
            raise UnknownNameError("multiwoz oracle", oracle, ORACLES)
        self.oracle = oracle
        self.database = load_database(DOMAINS)
        self.graph = build_graph(self.database, api_lexicon(self.database))
        self.vocab = MultiWOZVocabulary(self.database)
        self.index = mwz.TextIndex(self.database.tables, vocab=self.vocab)
        self._by_id: dict[str, Scenario] = {}
        self._venues: dict[str, dict[str, set[str]]] = {}

    # -- scenarios ---------------------------------------------------------------------------
    @functools.lru_cache(maxsize=None)  # noqa: B019 - one domain object per options, cached for life
    def scenarios(self, split: str) -> Sequence[Scenario]:
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        out = tuple(self._scenario(d, split) for d in load_dialogues(split))
        for s in out:
            self._by_id[s.id] = s
        return out

    def _scenario(self, dialogue: Dialogue, split: str) -> Scenario:
        goal, unavailable, notes = convert_goal(dialogue, self.database)
        meta = {
            "dialogue_id": dialogue.id, "original_goal": dialogue.goal, "system_turns": list(dialogue.system_turns),
            "gold_states": list(dialogue.states), "gold_bookings": list(dialogue.booked),
            "belief_source": dialogue.belief_source, "dropped": notes, "system_spans": list(dialogue.system_spans),
        }
        return Scenario(id=f"multiwoz-{split}-{dialogue.id}", domain=self.name, split=split, goal=goal,
                        tools=list(self.graph.names),
                        gold=Gold(calls=gold_plan(goal, self.graph), requested={d: list(g["reqt"]) for d, g in goal.items()}),
                        initial_state={"unavailable": unavailable}, user_turns=list(dialogue.user_turns), meta=meta)

    def get_scenario(self, scenario_id: str) -> Scenario:
        parts = scenario_id.split("-")
        splits = [parts[1]] if len(parts) == 3 and parts[1] in self.splits else ["test", "val"]
        for split in splits:  # a bare dataset id ("PMUL4462") is looked up in test, then val
            self.scenarios(split)
            for key in (scenario_id, f"multiwoz-{split}-{scenario_id.removesuffix('.json')}"):
                if key in self._by_id:
                    return self._by_id[key]
        raise UnknownNameError("scenario", scenario_id, list(self._by_id)[:50])

    # -- backend -----------------------------------------------------------------------------
    def api_graph(self, scenario: Scenario | None = None) -> ApiGraph:
        return self.graph

    def build_backend(self, scenario: Scenario, rng: np.random.Generator) -> BackendSession:
        state = tod_apis.TodState(view=self.database.store.view(),
                                  unavailable=scenario.initial_state.get("unavailable", {}), rng=rng, vocab=self.vocab)
        return self.graph.session(state, visible=scenario.tools)

    def system_prompt(self, scenario: Scenario) -> str:
        return SYSTEM_PROMPT

    def user_goal_text(self, scenario: Scenario) -> str:
        """The crowd-worker task text (``goal.message``), then the goal (:mod:`coalm_env.domains.tod.goal_text`)."""
        from coalm_env.domains.tod.goal_text import goal_text

        return goal_text(scenario.goal, (scenario.meta.get("original_goal") or {}).get("message"))

    def user_context(self, scenario: Scenario, backend: BackendSession) -> MultiWOZContext:
        prefer = {d: [c for c in (g.get("info"), g.get("fail_info")) if c] for d, g in scenario.goal.items()}
        return MultiWOZContext(DOMAINS, self.database.lexicon, self.database.names, backend.state,
                               vocab=self.vocab, database=self.database, prefer=prefer)

    # -- scoring and oracle -----------------------------------------------------------------------
    def goal_venues(self, scenario: Scenario) -> dict[str, set[str]]:
        """Entity keys matching each domain's final constraints (cached per scenario id and constraints:
        a changed goal (:meth:`goal_change`) keeps the scenario's id)."""
        key = scenario.id + json.dumps({d: (sub or {}).get("info") for d, sub in scenario.goal.items()
                                        if d in mwz.VENUE_DOMAINS}, sort_keys=True, default=str)
        if key not in self._venues:
            self._venues[key] = {
                d: {r[SCHEMAS[d].entity_key] for r in self.database.query(None, d, sub["info"])}
                for d, sub in scenario.goal.items() if d in mwz.VENUE_DOMAINS and sub
            }
        return self._venues[key]

    def score(self, trajectory: Trajectory, scenario: Scenario, backend: BackendSession) -> dict[str, float]:
        """mwzeval Inform/Success, ConvLab book rate and Inform P/R/F1, the strict task metrics of
        :mod:`coalm_env.domains.tod.scoring`, and JGA on replayed turns (see :mod:`coalm_env.domains.multiwoz.scoring`)."""
        goal = scenario.goal
        episode = mwz.episode_events(trajectory)
        metrics = mwz.mwz_inform_success(scenario, episode, self.index, self.goal_venues(scenario))
        book_rate = mwz.convlab_book_rate(goal, episode, self.database.entity)
        if book_rate is not None:
            metrics["book_rate"] = book_rate
        metrics.update(mwz.convlab_inform_f1(scenario, episode, self.index, self.database.entity))
        strict = score_goal(trajectory, scenario, backend.state, self.database.names, episode)
        metrics.update({k: strict[k] for k in ("book", "requests", "goal_met") if k in strict})
        metrics["task_success"] = strict["success"]
        metrics.update(jga_scoring.joint_goal_accuracy(trajectory, scenario.user_turns,
                                                       scenario.meta.get("gold_states", [])))
        metrics.update(mwz.mwzeval_metrics(trajectory, scenario, self.index))
        return metrics

    def goal_change(self, scenario: Scenario, rng: np.random.Generator) -> Scenario | None:
        """A valid mid-dialogue change of ``scenario``'s goal (:mod:`coalm_env.domains.tod.goal_change`: one
        venue search constraint to another lexicon value with database matches, a taxi fed by that venue
        re-pointed, the gold plan recomputed). The scorer follows it: Inform's venues are recomputed from
        the changed constraints (:meth:`goal_venues`); JGA still compares replayed turns only."""
        return change_goal(scenario, rng, lambda d, info: self.database.query(None, d, info),
                           self.database.lexicon, self.graph)

    def oracle_action(self, scenario: Scenario, backend: BackendSession, trajectory: Trajectory) -> str:
        if self.oracle == "gold_replay":  # a reply comes with its delexicalised form (mwz_inform/mwz_success)
            action = gold_replay_action(scenario, trajectory.messages)
            delex = gold_replay_delex(scenario, trajectory.messages)
            return AgentAction(action, extra={"delex": delex}) if delex else action
        if not scenario.goal:
            raise ConfigError(f"scenario {scenario.id} has an empty goal")
        return oracle.oracle_action(scenario.goal, backend, trajectory, plan=scenario.gold.calls)

    def oracle_hints(self, scenario: Scenario, backend: BackendSession, trajectory: Trajectory) -> dict[str, Any]:
        """Named gold next actions for privileged policies (the env's ``info["oracle_hints"]``):
        ``gold_replay``, the dataset's next system action (:func:`~coalm_env.domains.multiwoz.replay.gold_replay_next`:
        a list of calls, or the reply text), whatever ``oracle`` this domain was built with; with a reply,
        ``gold_replay_delex``, the dataset's delexicalised turn
        (:func:`~coalm_env.domains.multiwoz.replay.gold_replay_delex`), which the policy hands over as
        ``extra["delex"]``."""
        hints: dict[str, Any] = {"gold_replay": gold_replay_next(scenario, trajectory.messages)}
        delex = gold_replay_delex(scenario, trajectory.messages)
        if delex:
            hints["gold_replay_delex"] = delex
        return hints
