"""Procedural BFCL multi-turn tasks over the official backend classes (``coalm/BFCL-Procedural-v0``).

A task is built like a benchmark entry, from a seed:

1. classes: ``n_classes`` of the eight official classes to work in, plus ``distractors`` classes whose
   tools are listed (and whose state is loaded) but never needed; each gets a new initial config in
   the official shape (:mod:`coalm_env.domains.bfcl.proc_world`);
2. turns: each user turn is a sub-plan drawn by :func:`~coalm_env.backend.generate.sample_skeleton`
   over the curated edges of :mod:`~coalm_env.domains.bfcl.proc_actions` (connected within
   ``max_depth``; a class without an edge for the drawn size gets independent calls), bound by the
   per-function binders against the *current* state and executed with
   :func:`~coalm_env.backend.generate.execute_skeleton` on one session that carries over from turn to
   turn (a file-system turn starts in the folder the last one ended in; a later turn may use an id an
   earlier turn created: "close the ticket you opened for me in an earlier request"). An attempt whose call fails (an exception or an ``{"error": ...}``
   result), or whose list-fed argument is ambiguous, is undone and drawn again;
3. words: each turn's request joins one clause per call (templates per function from its
   description and its argument values); a read-only lookup that feeds a later call of the turn is
   named inside that call's clause instead ("the airport nearest to Rivermist");
4. variant (like the benchmark's categories): ``base``; ``miss_func`` (a function the turn needs is
   held out: the turn's ground truth is empty, and an inserted reveal turn, with no user text, adds
   the function and carries the calls); ``miss_param`` (one value the turn needs is left out of its
   words: its ground truth is empty, and the next turn says the value and carries the calls).

The task is a :class:`~coalm_env.domains.bfcl.entries.BFCLEntry` (``initial_config``,
``involved_classes``, per-turn ``turns`` and ``ground_truth`` call strings, ``missed_function``), so
the checker, :func:`~coalm_env.domains.bfcl.scenarios.to_scenario`, the oracle and the replay user
work on it unchanged, and so does BFCL's own ``multi_turn_checker``.

Splits are disjoint by plan skeleton: every turn's skeleton key (:meth:`Skeleton.key`) belongs to
the task's split (:func:`~coalm_env.backend.generate.split_of`), so no val/test turn plan occurs in
train. A task equal to a benchmark test entry (same classes, same calls with the same arguments) is
never produced (:func:`benchmark_keys`). Every task is a pure function of (generator version,
options, seed, split, index).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import pickle
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from coalm_env.backend.generate import (
    ExecutedPlan,
    LazyScenarios,
    Skeleton,
    concrete_fields,
    execute_skeleton,
    sample_skeleton,
    scenario_rng,
    split_of,
)
from coalm_env.backend.graph import ApiGraph
from coalm_env.domains.bfcl.apis import full_graph
from coalm_env.domains.bfcl.checker import gold_calls
from coalm_env.domains.bfcl.domain import BFCLDomain
from coalm_env.domains.bfcl.entries import CATEGORIES, CLASS_STEMS, BFCLEntry, load_entries
from coalm_env.domains.bfcl.manual_procedural import MANUAL
from coalm_env.domains.bfcl.proc_actions import ACTIONS, CREATORS, EDGES, LABELS, human, lit
from coalm_env.domains.bfcl.proc_world import make_config
from coalm_env.domains.bfcl.runtime import open_session
from coalm_env.domains.bfcl.scenarios import to_scenario
from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.types import Scenario, ToolCall

__all__ = ["GENERATOR_VERSION", "Knobs", "ProceduralBFCL", "BFCLProceduralDomain", "proc_graph", "task_key",
           "benchmark_keys", "entry_of", "VARIANTS"]

GENERATOR_VERSION = 1
SPLIT_SALT = "bfcl-procedural"
VARIANTS = ("base", "miss_func", "miss_param")
CLASSES = tuple(CLASS_STEMS)
_TASK_ATTEMPTS = 40
_TURN_TRIES = 40
_ID = re.compile(r"^bfcl_procedural_(train|val|test)_(\d+)$")
_OPENERS = ("Could you {}?", "Please {}.", "I'd like you to {}.", "Can you {}?", "I need you to {}.")
_LATER = ("Next, {}.", "Now {}.", "After that, could you {}?")  # openers of a later turn only
_JOINS = (", then ", ", and after that ", "; then ")


@dataclass(frozen=True)
class Knobs:
    """Difficulty knobs (all part of the task's reproducibility key)."""

    n_turns: int = 3  #: request turns (before miss_func/miss_param insert their extra turn)
    calls_per_turn: int = 3  #: most calls in one turn's plan (each turn draws ceil(k/2)..k)
    max_depth: int = 2  #: longest chain of data dependencies in a turn (each turn draws 0..max_depth)
    n_classes: int = 2  #: most classes a task works in (1..n)
    distractors: int = 0  #: extra classes whose tools are listed but never needed
    p_miss_func: float = 0.2  #: share of miss_func tasks
    p_miss_param: float = 0.2  #: share of miss_param tasks
    category: str = "mixed"  #: "mixed" (by the two rates) or one of VARIANTS for every task

    def __post_init__(self):
        ints = {"n_turns": (1, 20), "calls_per_turn": (1, 8), "max_depth": (0, 7), "n_classes": (1, 3),
                "distractors": (0, 6)}
        for name, (lo, hi) in ints.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ConfigError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
        for name in ("p_miss_func", "p_miss_param"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ConfigError(f"{name} must be a number in [0, 1], got {value!r}")
        if self.p_miss_func + self.p_miss_param > 1:
            raise ConfigError("p_miss_func + p_miss_param must be <= 1")
        if self.category != "mixed" and self.category not in VARIANTS:
            raise UnknownNameError("procedural BFCL category", self.category, ("mixed", *VARIANTS))
        if self.n_classes + self.distractors > len(CLASSES):
            raise ConfigError(f"n_classes + distractors must be <= {len(CLASSES)}")


@functools.cache
def proc_graph() -> ApiGraph:
    """The requestable functions (:data:`ACTIONS`) with the curated edges (:data:`EDGES`)."""
    full = full_graph()
    return ApiGraph([full.spec(n) for n in ACTIONS], EDGES)


@functools.cache
def _functions(cls: str) -> tuple[str, ...]:
    return tuple(n for n, a in ACTIONS.items() if a.cls == cls)


def task_key(classes: Sequence[str], calls: Sequence[Sequence[ToolCall]]) -> str:
    """Classes plus every call with its arguments, in order: equal keys = the same task."""
    flat = [[c.name, c.arguments] for turn in calls for c in turn]
    return json.dumps([sorted(classes), flat], sort_keys=True, default=str)


@functools.cache
def benchmark_keys() -> frozenset[str]:
    """:func:`task_key` of every BFCL V3 multi-turn test entry (all four categories)."""
    return frozenset(task_key(e.involved_classes, gold_calls(e)) for c in CATEGORIES for e in load_entries(c))


def _failed(value: Any) -> bool:
    if isinstance(value, dict):
        return "error" in value
    if isinstance(value, list):
        return any(_failed(v) or (isinstance(v, str) and v.lower().startswith("error")) for v in value)
    return False


def _unambiguous(plan: ExecutedPlan) -> bool:
    """Every list-fed argument had exactly one candidate (the request can name it)."""
    for e in plan.skeleton.edges:
        if "[]" in e.field and len(concrete_fields(plan.results[e.source].value, e.field)) != 1:
            return False
    return True


@dataclass
class _Turn:
    plan: ExecutedPlan
    metas: dict[int, dict[str, Any]]
    cls: str
    earlier: dict[tuple[int, str], str] = dataclasses.field(default_factory=dict)

    def created(self) -> dict[str, dict[Any, str]]:
        """The ids this turn created (kind -> {id: how the user names it later})."""
        out: dict[str, dict[Any, str]] = {}
        for call, result in zip(self.plan.calls, self.plan.results):
            if call.name in CREATORS and isinstance(result.value, dict):
                kind, fld, phrase = CREATORS[call.name]
                if fld in result.value:
                    out.setdefault(kind, {})[result.value[fld]] = phrase
        return out


class ProceduralBFCL:
    """The generator: ``entry(split, index)`` is task ``index`` of ``split`` (a :class:`BFCLEntry`)."""

    def __init__(self, seed: int = 0, knobs: Knobs | None = None):
        self.seed = int(seed)
        self.knobs = knobs or Knobs()
        self.options = dataclasses.asdict(self.knobs)

    # -- one turn ------------------------------------------------------------------------------
    def _binder(self, init: dict[str, Any], metas: dict[int, dict[str, Any]]):
        def bind(step, name, free, rng, state, results):
            action = ACTIONS[name]
            args = action.bind(rng, state.instances[action.cls], init.get(action.cls) or {})
            if args is None:
                return None
            metas[step] = {k: v for k, v in args.items() if k.startswith("_")}
            return {k: v for k, v in args.items() if not k.startswith("_") and k in free}
        return bind

    def _turn(self, session: Any, cls: str, rng: np.random.Generator, split: str,
              init: dict[str, Any], created: dict[str, dict[Any, str]] | None = None) -> _Turn | None:
        created = created or {}
        unique = {kind: list(ids) for kind, ids in created.items() if len(ids) == 1}
        init = {c: {**cfg, "_created": unique} for c, cfg in init.items()}
        k = self.knobs
        graph = proc_graph()
        allowed = _functions(cls)
        for _ in range(_TURN_TRIES):
            n_calls = int(rng.integers((k.calls_per_turn + 1) // 2, k.calls_per_turn + 1))
            depth = int(rng.integers(0, k.max_depth + 1))  # this turn's dependency limit
            sk = sample_skeleton(graph, rng, n_calls, max_depth=depth, allowed=allowed) if depth else None
            if sk is None:
                sk = sample_skeleton(graph, rng, n_calls, max_depth=0, allowed=allowed)
            if sk is None or split_of(sk.key(), salt=SPLIT_SALT) != split:
                continue
            snapshot = pickle.dumps(session.state.instances[cls])  # a turn touches its own class only
            n_out = len(session.state.outputs)
            metas: dict[int, dict[str, Any]] = {}
            plan = execute_skeleton(sk, self._binder(init, metas), lambda: session, rng)
            if plan is not None and not any(_failed(r.value) for r in plan.results) and _unambiguous(plan):
                earlier = {}  # (step, param) -> how the user names an id an earlier turn created
                for j, call in enumerate(plan.calls):
                    for p, v in call.arguments.items():
                        if p not in plan.gold[j].sources and len(created.get(p, {})) == 1 and v in created[p]:
                            earlier[(j, p)] = created[p][v]
                return _Turn(plan, metas, cls, earlier)
            session.state.instances[cls] = pickle.loads(snapshot)
            del session.state.outputs[n_out:]
        return None

    # -- words ---------------------------------------------------------------------------------
    @staticmethod
    def _clauses(turn: _Turn, hide: tuple[int, str] | None = None) -> list[str]:
        plan = turn.plan
        fed = {e.source for e in plan.skeleton.edges}
        nouns: dict[int, str] = {}
        clauses = []
        for j, call in enumerate(plan.calls):
            action = ACTIONS[call.name]
            sources = plan.gold[j].sources

            def ref(p: str, j=j, call=call, action=action, sources=sources) -> str:
                if hide == (j, p):
                    return action.vague.get(p, f"the right {human(p)}")
                if p in sources:
                    return nouns[int(sources[p][0])]
                if (j, p) in turn.earlier:
                    return turn.earlier[(j, p)]
                return lit(call.arguments[p])

            args = {**call.arguments, **turn.metas.get(j, {})}
            nouns[j] = action.noun(args, ref) if action.noun else f"the result of the step to {action.say(args, ref)}"
            if action.implicit and j in fed:
                continue
            clauses.append(action.say(args, ref))
        return clauses

    @staticmethod
    def _sentence(clauses: list[str], rng: np.random.Generator, later: bool) -> str:
        join = _JOINS[int(rng.integers(len(_JOINS)))]
        body = join.join(clauses)
        openers = _OPENERS + _LATER if later else _OPENERS
        text = openers[int(rng.integers(len(openers)))].format(body)
        return text[0].upper() + text[1:]

    # -- one task ------------------------------------------------------------------------------
    def _variant(self, rng: np.random.Generator) -> str:
        k = self.knobs
        if k.category != "mixed":
            return k.category
        u = float(rng.random())
        return "miss_func" if u < k.p_miss_func else "miss_param" if u < k.p_miss_func + k.p_miss_param else "base"

    def _attempt(self, split: str, index: int, rng: np.random.Generator) -> BFCLEntry | None:
        k = self.knobs
        n_classes = int(rng.integers(1, k.n_classes + 1))
        order = [CLASSES[int(i)] for i in rng.permutation(len(CLASSES))]
        classes, distractors = order[:n_classes], order[n_classes:n_classes + k.distractors]
        involved = classes + distractors
        config = {c: cfg for c in involved if (cfg := make_config(c, rng)) is not None}
        variant = self._variant(rng)
        probe = BFCLEntry(id="probe", category="base", turns=[], ground_truth=[], initial_config=config,
                          involved_classes=involved)
        session = open_session(probe)
        turns: list[_Turn] = []
        created: dict[str, dict[Any, str]] = {}
        for _ in range(k.n_turns):
            turn = self._turn(session, classes[int(rng.integers(len(classes)))], rng, split, config, created)
            if turn is None:
                return None
            turns.append(turn)
            for kind, ids in turn.created().items():
                created.setdefault(kind, {}).update(ids)
        texts = [self._sentence(self._clauses(t), rng, i > 0) for i, t in enumerate(turns)]
        truth = [[c.signature() for c in t.plan.calls] for t in turns]
        # per ground-truth turn: the steps whose output feeds a later step of the turn (moved with the calls)
        fed = [sorted({e.source for e in t.plan.skeleton.edges}) for t in turns]
        # per ground-truth turn, per call: the arguments taken from an earlier call's result ({param: [step, path]})
        sources = [[{**g.sources, **{p: ["earlier_turn"] for (jj, p) in t.earlier if jj == j}}
                    for j, g in enumerate(t.plan.gold)] for t in turns]
        missed: dict[int, list[str]] = {}
        if variant == "miss_func":
            choices = [(i, c.name) for i, t in enumerate(turns) for c in t.plan.calls
                       if all(c.name not in {x.name for x in u.plan.calls} for u in turns[:i])]
            if not choices:
                return None
            i, name = choices[int(rng.integers(len(choices)))]
            texts.insert(i + 1, None)
            truth.insert(i + 1, truth[i])
            truth[i] = []
            fed.insert(i, [])
            sources.insert(i, [])
            missed = {i + 1: [name]}
        elif variant == "miss_param":
            choices = []
            for i, t in enumerate(turns):
                feeding = {e.source for e in t.plan.skeleton.edges}
                for j, call in enumerate(t.plan.calls):
                    if ACTIONS[call.name].implicit and j in feeding:
                        continue
                    choices.extend((i, j, p) for p in ACTIONS[call.name].vague if p in t.plan.gold[j].arguments
                                   and self._clauses(t, hide=(j, p)) != self._clauses(t))  # the words lose it
            if not choices:
                return None
            i, j, p = choices[int(rng.integers(len(choices)))]
            texts[i] = self._sentence(self._clauses(turns[i], hide=(j, p)), rng, i > 0)
            texts.insert(i + 1, f"Sorry, I forgot to say: the {LABELS.get(p, human(p))} is "
                                f"{lit(turns[i].plan.calls[j].arguments[p])}.")
            truth.insert(i + 1, truth[i])
            truth[i] = []
            fed.insert(i, [])
            sources.insert(i, [])
        entry = BFCLEntry(id=f"bfcl_procedural_{split}_{index}", category=variant, turns=texts, ground_truth=truth,
                          initial_config=config, involved_classes=involved, missed_function=missed,
                          path=[f"{ACTIONS[c.name].cls}.{c.name}" for t in turns for c in t.plan.calls])
        if task_key(involved, [t.plan.calls for t in turns]) in benchmark_keys():
            return None
        # the plan behind the words (split checks, policies that need the data flow)
        entry.__dict__["skeletons"] = [t.plan.skeleton.key() for t in turns]
        entry.__dict__["depths"] = [t.plan.skeleton.depth() for t in turns]
        entry.__dict__["fed"] = fed
        entry.__dict__["sources"] = sources
        return entry

    def entry(self, split: str, index: int) -> BFCLEntry:
        """Task ``index`` of ``split``."""
        if split not in ("train", "val", "test"):
            raise UnknownNameError("split", split, ("train", "val", "test"))
        for attempt in range(_TASK_ATTEMPTS):
            rng = scenario_rng(GENERATOR_VERSION, self.options, self.seed, split, index, attempt)
            entry = self._attempt(split, index, rng)
            if entry is not None:
                entry.__dict__["attempt"] = attempt
                return entry
        raise ConfigError(f"no procedural BFCL task {split}/{index} within {_TASK_ATTEMPTS} attempts",
                          hint="loosen the knobs (fewer turns or calls per turn, max_depth >= 1)")


def entry_of(scenario: Scenario) -> BFCLEntry:
    """The entry behind a procedural scenario, rebuilt from the scenario alone (e.g. read from a file)."""
    meta = scenario.meta
    turn_meta = meta.get("turn_meta") or []
    texts = [None if i < len(turn_meta) and turn_meta[i].get("kind") == "reveal" else t
             for i, t in enumerate(scenario.user_turns)]
    return BFCLEntry(id=scenario.id, category=meta["category"], turns=texts,
                     ground_truth=[list(t) for t in scenario.gold.extra["ground_truth"]],
                     initial_config=scenario.initial_state["initial_config"],
                     involved_classes=list(meta["involved_classes"]),
                     missed_function={int(k): list(v) for k, v in (meta.get("missed_function") or {}).items()})


class BFCLProceduralDomain(BFCLDomain):
    """Generated BFCL multi-turn tasks (train/val/test, disjoint by plan skeleton), played and scored
    exactly like the benchmark's entries (official backends, replay user, official verdict).

    Scenario ids are ``bfcl_procedural_<split>_<index>``; ``scenarios(split)`` is a lazy pool of
    ``pool_size`` tasks (built on first access), ``generate(split, index)`` builds one.

    Args:
        seed: the generator's seed.
        pool_size: tasks per split in the env's pool.
        n_turns, calls_per_turn, max_depth, n_classes, distractors, p_miss_func, p_miss_param,
            category: the difficulty knobs (:class:`Knobs`).
    """

    MANUAL = MANUAL  # the env's manual (coalm_env.manual composes it)
    name = "bfcl_procedural"
    splits = ("train", "val", "test")
    _CACHE = 4096

    def __init__(self, seed: int = 0, pool_size: int = 100_000, n_turns: int = 3, calls_per_turn: int = 3,
                 max_depth: int = 2, n_classes: int = 2, distractors: int = 0, p_miss_func: float = 0.2,
                 p_miss_param: float = 0.2, category: str = "mixed"):
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise ConfigError(f"pool_size must be a positive integer, got {pool_size!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"seed must be an integer, got {seed!r}")
        self.knobs = Knobs(n_turns, calls_per_turn, max_depth, n_classes, distractors, p_miss_func, p_miss_param,
                           category)
        self.category = "procedural"
        self.generator = ProceduralBFCL(seed, self.knobs)
        self.pool_size = pool_size
        self._pools: dict[str, LazyScenarios] = {}
        self._built: OrderedDict[str, tuple[BFCLEntry, list[list[ToolCall]], Scenario]] = OrderedDict()

    # -- data ----------------------------------------------------------------------------------
    def _build(self, split: str, index: int):
        sid = f"bfcl_procedural_{split}_{index}"
        if sid in self._built:
            self._built.move_to_end(sid)
            return self._built[sid]
        entry = self.generator.entry(split, index)
        calls = gold_calls(entry)
        scenario = dataclasses.replace(to_scenario(entry, calls), split=split)
        scenario.meta["generator"] = {"version": GENERATOR_VERSION, "seed": self.generator.seed,
                                      "options": dict(self.generator.options), "index": index,
                                      "attempt": entry.__dict__.get("attempt"),
                                      "skeletons": entry.__dict__.get("skeletons"),
                                      "depths": entry.__dict__.get("depths"), "fed": entry.__dict__.get("fed"),
                                      "sources": entry.__dict__.get("sources")}
        self._built[sid] = (entry, calls, scenario)
        while len(self._built) > self._CACHE:
            self._built.popitem(last=False)
        return self._built[sid]

    def _parse(self, scenario_id: str) -> tuple[str, int]:
        match = _ID.match(str(scenario_id))
        if not match or int(match.group(2)) >= self.pool_size:
            raise UnknownNameError("procedural BFCL scenario id", scenario_id,
                                   [f"bfcl_procedural_{s}_0" for s in self.splits])
        return match.group(1), int(match.group(2))

    def generate(self, split: str, index: int) -> Scenario:
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ConfigError(f"scenario index must be a non-negative integer, got {index!r}")
        return self._build(split, index)[2]

    def scenarios(self, split: str) -> LazyScenarios:
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        if split not in self._pools:
            self._pools[split] = LazyScenarios(self.pool_size, functools.partial(self.generate, split),
                                               max_cached=self._CACHE)
        return self._pools[split]

    def scenario_ids(self, split: str) -> list[str]:
        """The ids of ``split`` without generating it (the rollout plan draws its order from these)."""
        if split not in self.splits:
            raise UnknownNameError("split", split, self.splits)
        return [f"bfcl_procedural_{split}_{i}" for i in range(self.pool_size)]

    def get_scenario(self, scenario_id: str) -> Scenario:
        return self._build(*self._parse(scenario_id))[2]

    def entry(self, scenario_id: str) -> BFCLEntry:
        return self._build(*self._parse(scenario_id))[0]

    def gold(self, scenario_id: str) -> list[list[ToolCall]]:
        return self._build(*self._parse(scenario_id))[1]
