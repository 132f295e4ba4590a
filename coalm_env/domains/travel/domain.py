"""``coalm/Travel-v0``: a procedurally generated city, its find/book APIs and MultiWOZ-style goals.

Needs no download. Everything is a function of ``seed`` and the knobs, so two processes with the
same options see the same database and the same scenarios.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.domains.tod import apis, oracle
from coalm_env.domains.tod.context import TodContext
from coalm_env.domains.tod.db import build_store, query
from coalm_env.domains.tod.goal_change import change_goal
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.tod.plan import gold_plan
from coalm_env.domains.tod.vocab import Vocabulary
from coalm_env.domains.travel.goals import GoalKnobs, draw_goal
from coalm_env.domains.travel.world import generate_world
from coalm_env.errors import UnknownNameError
from coalm_env.domains.tod.scoring import score_goal
from coalm_env.types import Gold, Scenario, Trajectory
from coalm_env.domains.travel.manual import MANUAL

__all__ = ["TravelDomain"]

DOMAINS = ("restaurant", "hotel", "attraction", "train", "taxi", "police", "hospital")
_BUCKETS = {"train": range(0, 80), "val": range(80, 90), "test": range(90, 100)}
_LEXICON_SLOTS = ("food", "area", "pricerange", "type", "stars", "parking", "internet", "departure",
                  "destination", "day", "department")

SYSTEM_PROMPT = (
    "You are a helpful travel assistant for the city of Cambridge. Help the user find restaurants, hotels, "
    "attractions and trains, make bookings and order taxis, using the available APIs. Search before you "
    "offer anything, never invent names, prices or reference numbers, give the user the details they ask "
    "for, and confirm every booking with its reference number."
)


class TravelDomain:
    """The procedural travel domain.

    Args:
        seed: world and scenario seed.
        db_size: scale of every database table (1.0 = MultiWOZ-sized).
        n_train, n_val, n_test: scenarios per split (the splits' goal skeletons are disjoint).
        min_domains, max_domains, max_constraints, p_book, p_fail_info, p_fail_book, p_taxi, p_name:
            difficulty knobs (see :class:`~coalm_env.domains.travel.goals.GoalKnobs`).
    """

    MANUAL = MANUAL  # the env's manual (coalm_env.manual composes it)
    name = "travel"
    default_user = "agenda"
    splits = ("train", "val", "test")
    #: the difficulty knobs ``**knobs`` accepts (read by the option check of every construction path)
    extra_options = tuple(GoalKnobs.__dataclass_fields__)

    def __init__(self, seed: int = 0, db_size: float = 1.0, n_train: int = 2000, n_val: int = 200,
                 n_test: int = 200, **knobs: Any):
        bad = set(knobs) - set(GoalKnobs.__dataclass_fields__)
        if bad:
            raise UnknownNameError("travel option", sorted(bad)[0], [*GoalKnobs.__dataclass_fields__, "seed",
                                                                    "db_size", "n_train", "n_val", "n_test"])
        self.seed = int(seed)
        self.knobs = GoalKnobs(**knobs)
        self.sizes = {"train": n_train, "val": n_val, "test": n_test}
        self.world = generate_world(self.seed, float(db_size))
        self.store = build_store(self.world)
        self.lexicon = {
            d: {s: sorted({str(r[s]) for r in rows if s in r}) for s in _LEXICON_SLOTS if rows and s in rows[0]}
            for d, rows in self.world.items()
        }
        self.names = {d: [str(r[SCHEMAS[d].entity_key]) for r in rows] for d, rows in self.world.items()}
        self.vocab = Vocabulary(self.names)
        self.graph = apis.build_api_graph(DOMAINS, self.lexicon)
        self._by_id: dict[str, Scenario] = {}

    # -- scenarios ---------------------------------------------------------------------------
    @functools.lru_cache(maxsize=None)  # noqa: B019 - one domain object per options, cached for life
    def scenarios(self, split: str) -> Sequence[Scenario]:
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, self.splits.index(split), 991]))
        view = self.store.view()
        out: list[Scenario] = []
        while len(out) < self.sizes[split]:
            drawn = draw_goal(rng, view, self.world, self.lexicon, self.knobs, self.seed, _BUCKETS[split])
            if drawn is None:
                continue
            goal, unavailable = drawn
            sid = f"travel-{split}-{len(out):05d}"
            tools = list(self.graph.names)
            out.append(Scenario(id=sid, domain=self.name, split=split, goal=goal, tools=tools,
                                gold=Gold(calls=gold_plan(goal, self.graph), requested={d: g["reqt"] for d, g in goal.items()}),
                                initial_state={"unavailable": unavailable}, meta={"seed": self.seed}))
        for s in out:
            self._by_id[s.id] = s
        return tuple(out)

    def num_scenarios(self, split: str) -> int:
        """Scenario count of ``split`` without generating them (for ``coalm-env list``)."""
        return self.sizes[split]

    def get_scenario(self, scenario_id: str) -> Scenario:
        split = scenario_id.split("-")[1] if scenario_id.count("-") >= 2 else ""
        if split in self.splits:
            self.scenarios(split)
        if scenario_id not in self._by_id:
            raise UnknownNameError("scenario", scenario_id, list(self._by_id)[:50])
        return self._by_id[scenario_id]

    # -- backend -----------------------------------------------------------------------------
    def api_graph(self, scenario: Scenario | None = None) -> ApiGraph:
        return self.graph

    def build_backend(self, scenario: Scenario, rng: np.random.Generator) -> BackendSession:
        state = apis.TodState(view=self.store.view(), unavailable=scenario.initial_state.get("unavailable", {}),
                              rng=rng, vocab=self.vocab)
        return self.graph.session(state, visible=scenario.tools)

    def system_prompt(self, scenario: Scenario) -> str:
        return SYSTEM_PROMPT

    def user_goal_text(self, scenario: Scenario) -> str:
        """The goal as LLM-user instructions (:mod:`coalm_env.domains.tod.goal_text`)."""
        from coalm_env.domains.tod.goal_text import goal_text

        return goal_text(scenario.goal)

    def user_context(self, scenario: Scenario, backend: BackendSession) -> TodContext:
        return TodContext(DOMAINS, self.lexicon, self.names, backend.state, vocab=self.vocab)

    def score(self, trajectory: Trajectory, scenario: Scenario, backend: BackendSession) -> dict[str, float]:
        return score_goal(trajectory, scenario, backend.state, self.names)

    def oracle_action(self, scenario: Scenario, backend: BackendSession, trajectory: Trajectory) -> str:
        return oracle.oracle_action(scenario.goal, backend, trajectory, plan=scenario.gold.calls)

    def goal_change(self, scenario: Scenario, rng: np.random.Generator) -> Scenario | None:
        """A valid mid-dialogue change of ``scenario``'s goal (:mod:`coalm_env.domains.tod.goal_change`)."""
        view = self.store.view()
        return change_goal(scenario, rng, lambda d, info: query(view, d, info), self.lexicon, self.graph)
