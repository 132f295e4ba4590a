"""The BFCL V3 multi-turn domain: entries, official backends, replayed user turns, official verdicts."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.domains.bfcl.apis import full_graph, graph_for
from coalm_env.backend.faults import is_fault
from coalm_env.domains.bfcl.calls import render_calls
from coalm_env.domains.bfcl.checker import Verdict, check_entry, gold_calls, record_turn_end
from coalm_env.domains.bfcl.entries import CATEGORIES, BFCLEntry, load_entries
from coalm_env.domains.bfcl.runtime import open_session
from coalm_env.domains.bfcl.scenarios import SPLIT, to_scenario
from coalm_env.errors import UnknownNameError
from coalm_env.parsing import DEFAULT_MAX_CALLS
from coalm_env.types import Scenario, ToolCall, Trajectory, UserTurn
from coalm_env.domains.bfcl.manual import MANUAL

__all__ = ["BFCLDomain", "SYSTEM_PROMPT", "trajectory_turns", "verdict_metrics"]

SYSTEM_PROMPT = (
    "You help the user by calling the functions listed in your tools. To call functions, answer with "
    "a Python list of calls and nothing else: [func_name(param=value, ...), other_func(param=value)]. "
    "Each call's result comes back before your next step, and you may take several steps per request. "
    "When the current request is done, or if it cannot be done because no function fits or a required "
    "value is missing, answer in plain text without any call: that ends your turn."
)
_DONE_REPLY = "Done: I have completed this request."
_CANNOT_REPLY = "I cannot complete this request with the functions and information I have."
_ERROR_TYPES = {
    "bfcl_empty_turn": "multi_turn:empty_turn_model_response",
    "bfcl_state_mismatch": "multi_turn:instance_state_mismatch",
    "bfcl_response_mismatch": "multi_turn:execution_response_mismatch",
    "bfcl_force_terminated": "multi_turn:force_terminated",
}


def _user_turns_so_far(trajectory: Trajectory) -> int:
    return list(map(_ROLE, trajectory.messages)).count("user")


_ROLE = operator.attrgetter("role")


def trajectory_turns(trajectory: Trajectory) -> list[list[list[ToolCall]]]:
    """The agent's calls per user turn, per step (BFCL's result layout); replies carry no calls."""
    turns: list[list[list[ToolCall]]] = [[] for _ in range(_user_turns_so_far(trajectory))]
    for step in trajectory.steps:
        if step.kind == "tool_calls" and 1 <= step.turn <= len(turns):
            # injected faults never executed: BFCL's checker must not run them (coalm_env.backend.faults)
            turns[step.turn - 1].append([c for c, r in zip(step.calls, step.results) if not is_fault(r)])
    return turns


def verdict_metrics(verdict: Verdict) -> dict[str, float]:
    """``success`` (the official verdict), ``bfcl_turn_acc`` (dense) and one flag per failure kind."""
    metrics = {"success": float(verdict.valid), "bfcl_turn_acc": verdict.turn_accuracy}
    metrics.update({key: float(verdict.error_type == kind) for key, kind in _ERROR_TYPES.items()})
    return metrics


class BFCLDomain:
    """BFCL V3 multi-turn (``base``, ``miss_func``, ``miss_param``, ``long_context`` or ``all``).

    Each scenario is one BFCL entry (its id is the entry id). The backend holds fresh official
    instances of the entry's classes; the agent's calls are parsed, checked against the function
    docs and dispatched to the bound method. Held-out functions (miss_func) join the tool list when
    their reveal turn is played (as in BFCL they are only unlisted before, not uncallable). The
    score is the official multi-turn verdict (:mod:`coalm_env.domains.bfcl.checker`). Backends
    are deterministic: ``rng`` is not used.

    Args:
        category: which BFCL category to serve, or ``"all"`` (800 entries).
    """

    MANUAL = MANUAL  # the env's manual (coalm_env.manual composes it)
    name = "bfcl"
    default_user = "replay"
    splits = (SPLIT,)

    def __init__(self, category: str = "all"):
        if category != "all" and category not in CATEGORIES:
            raise UnknownNameError("BFCL category", category, (*CATEGORIES, "all"))
        self.category = category
        cats = CATEGORIES if category == "all" else (category,)
        self._entries: dict[str, BFCLEntry] = {e.id: e for c in cats for e in load_entries(c)}
        self._gold = {i: gold_calls(e) for i, e in self._entries.items()}
        self._scenarios = [to_scenario(e, self._gold[i]) for i, e in self._entries.items()]
        self._by_id = {s.id: s for s in self._scenarios}

    # -- data --------------------------------------------------------------------------
    def scenarios(self, split: str) -> list[Scenario]:
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        return list(self._scenarios)

    def get_scenario(self, scenario_id: str) -> Scenario:
        if scenario_id not in self._by_id:
            raise UnknownNameError(f"BFCL entry (category {self.category})", scenario_id, self._by_id)
        return self._by_id[scenario_id]

    def entry(self, scenario_id: str) -> BFCLEntry:
        """The BFCL entry behind a scenario id."""
        self.get_scenario(scenario_id)
        return self._entries[scenario_id]

    def gold(self, scenario_id: str) -> list[list[ToolCall]]:
        """The ground-truth calls per turn, with named arguments."""
        self.get_scenario(scenario_id)
        return self._gold[scenario_id]

    # -- backend -----------------------------------------------------------------------
    def api_graph(self, scenario: Scenario | None = None) -> ApiGraph:
        if scenario is None:
            return full_graph()
        return graph_for(frozenset(self.entry(scenario.id).involved_classes))

    def build_backend(self, scenario: Scenario, rng: np.random.Generator) -> BackendSession:
        return open_session(self.entry(scenario.id), record=True)  # the verdict reads what it ran

    def on_user_turn(self, scenario: Scenario, backend: BackendSession, turn: UserTurn) -> None:
        """Count the user turn and reveal the functions BFCL adds at that turn (miss_func)."""
        if not turn.text:
            return
        index = backend.state.turns_seen
        if index:  # user turn index - 1 is over: keep what the verdict reads of the state after it
            record_turn_end(backend, index - 1)
        backend.state.turns_seen += 1
        backend.reveal(self.entry(scenario.id).missed_function.get(index, ()))

    # -- agent and user side -----------------------------------------------------------
    def system_prompt(self, scenario: Scenario) -> str:
        return SYSTEM_PROMPT

    def user_goal_text(self, scenario: Scenario) -> str:
        """Each turn's question, to restate keeping every fact (:mod:`coalm_env.domains.bfcl.goal_text`)."""
        from coalm_env.domains.bfcl.goal_text import bfcl_goal_text

        return bfcl_goal_text(scenario.user_turns)

    def user_context(self, scenario: Scenario, backend: BackendSession) -> Any:
        """Nothing beyond the scenario: its ``goal`` and ``meta["turn_meta"]`` describe every turn."""
        return None

    def oracle_action(self, scenario: Scenario, backend: BackendSession, trajectory: Trajectory) -> str:
        """The current turn's ground-truth calls (in chunks the parser accepts), then a reply."""
        index = _user_turns_so_far(trajectory) - 1
        gold = self.gold(scenario.id)
        calls = gold[index] if 0 <= index < len(gold) else []
        made = sum(1 for s in trajectory.steps if s.turn == index + 1 and s.kind == "tool_calls"
                   for r in s.results if not is_fault(r))  # a faulted call is made again: the oracle retries
        if made < len(calls):
            return render_calls(calls[made : made + DEFAULT_MAX_CALLS])
        return _DONE_REPLY if calls else _CANNOT_REPLY

    # -- scoring -----------------------------------------------------------------------
    def verdict(self, trajectory: Trajectory, scenario: Scenario, backend: BackendSession | None = None) -> Verdict:
        """The official verdict on an episode, re-executing its calls on fresh instances, or reading
        their results and states from the episode's own ``backend`` where that gives the same verdict
        (:func:`~coalm_env.domains.bfcl.checker.check_entry`)."""
        return check_entry(self.entry(scenario.id), trajectory_turns(trajectory), backend)

    def score(self, trajectory: Trajectory, scenario: Scenario, backend: BackendSession) -> dict[str, float]:
        """The official verdict's metrics plus ``strict_valid`` (:mod:`coalm_env.domains.bfcl.strict`),
        0 too where the episode's ending voids ``success`` (so ``strict_valid`` never exceeds it)."""
        from coalm_env.domains.bfcl.strict import strict_check
        from coalm_env.scoring.core import VOID_ENDINGS

        verdict = self.verdict(trajectory, scenario, backend)
        metrics = verdict_metrics(verdict)
        strict = strict_check(self.entry(scenario.id), trajectory_turns(trajectory), verdict).valid
        strict = strict and trajectory.stop_reason not in VOID_ENDINGS
        metrics["strict_valid"] = float(strict)
        return metrics
