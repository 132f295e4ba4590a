"""BFCL's multi-turn verdict, decided as its official checker decides it, over safe execution.

For an entry and the model's calls (per turn, per step), the model's calls and the ground truth run
on two fresh sets of backend instances, turn by turn. The entry is valid when the model played as
many turns as the ground truth has (else ``force_terminated``: BFCL's harness quit after its step
limit) and every turn whose ground truth is non-empty passes, in this order:

1. ``empty_turn_model_response``: the model made at least one call in the turn;
2. ``instance_state_mismatch``: every public attribute of every instance equals the ground
   truth's after the turn;
3. ``execution_response_mismatch``: each ground-truth result of the turn occurs among the
   results of all the model's calls so far (a multiset, any order).

Turns whose ground truth is empty are not checked, but the model's calls there still run (so the
next turn's state check sees them). The first failing turn decides the verdict; the per-turn
results (every turn checked independently) give dense credit.

Speed: the ground-truth side of an entry does not depend on the model, so it is run once per entry
(:func:`gold_run`: per-turn results and a deep copy of the public state after each turn, kept in a
bounded cache) and every later verdict compares with that record. An entry is run that way only
when no method of its classes has a mutable default argument (TwitterAPI's ``post_tweet``: see
:func:`_mutable_defaults`) and when its instances' state, before and after the ground truth ran,
reaches no mutable object of the backend modules (TravelAPI's long-context credit cards and bookings
are module-level dicts every instance shares, so a model's call there changes the ground truth's
side too); other entries are checked live, as before. The
verdict keeps the model's results (:attr:`Verdict.runs`) so that the strict check
(:mod:`coalm_env.domains.bfcl.strict`) need not execute the calls again.
"""

from __future__ import annotations

import copy
import functools
import inspect
import sys
import types
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.backend.graph import BackendSession
from coalm_env.domains.bfcl.apis import owner_of
from coalm_env.domains.bfcl.calls import CallSyntaxError, parse_call
from coalm_env.domains.bfcl.entries import BFCLEntry
from coalm_env.domains.bfcl.runtime import BFCLSession, backend_class, call_key, execute, open_session, signatures
from coalm_env.types import ToolCall

__all__ = ["Verdict", "ModelTurns", "GoldRun", "check_entry", "gold_calls", "gold_run", "state_differences",
           "missing_results", "entry_cached", "turns_key", "record_turn_end"]

#: per turn, per step, the calls of that step (a call that did not parse stays as its error)
ModelTurns = Sequence[Sequence[Sequence[ToolCall | CallSyntaxError]]]

_MISSING = object()


@dataclass
class Verdict:
    """The verdict on one entry. ``turn_passed[i]`` is ``None`` for a turn BFCL does not check
    (empty ground truth), else whether turn ``i`` passed its checks (``False`` when not played)."""

    valid: bool
    error_type: str | None = None
    error_message: str | None = None
    turn_passed: list[bool | None] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    #: which entry and model calls it ran (:func:`turns_key`) and the model's results per ground-truth turn, for
    #: the strict check to reuse; ``None`` where the entry is checked live (see the module docstring)
    runs: tuple[Any, list[list[str]]] | None = field(default=None, repr=False, compare=False)

    @property
    def turn_accuracy(self) -> float:
        """Fraction of checked turns that passed: the dense credit."""
        checked = [p for p in self.turn_passed if p is not None]
        return sum(checked) / len(checked) if checked else float(self.valid)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"valid": self.valid}
        if not self.valid:
            out.update(error_type=self.error_type, error_message=self.error_message)
        return out


def gold_calls(entry: BFCLEntry) -> list[list[ToolCall]]:
    """The ground truth as calls with named arguments, per turn (parsed once per distinct ground truth and
    classes: fresh lists of the same :class:`ToolCall` objects, which callers only read)."""
    try:
        key = (tuple(entry.involved_classes), tuple(map(tuple, entry.ground_truth)))
        turns = _parsed_gold(key)
    except TypeError:  # something unhashable where call strings belong: parsed here (and refused there)
        turns = _parse_gold(entry.involved_classes, entry.ground_truth)
    return [list(turn) for turn in turns]


def _parse_gold(classes: Sequence[str], ground_truth: Sequence[Sequence[str]]) -> tuple[tuple[ToolCall, ...], ...]:
    sig = signatures(classes)
    return tuple(tuple(parse_call(text, sig) for text in turn) for turn in ground_truth)


@functools.lru_cache(maxsize=4096)
def _parsed_gold(key: tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]) -> tuple[tuple[ToolCall, ...], ...]:
    return _parse_gold(*key)


def _public(instances: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {cls: {a: v for a, v in vars(inst).items() if not a.startswith("_")} for cls, inst in instances.items()}


def _differences(model: dict[str, Any], gold: dict[str, dict[str, Any]]) -> list[str]:
    diffs = []
    for cls, attrs in gold.items():
        instance = model[cls]
        for attr, value in attrs.items():
            if getattr(instance, attr, _MISSING) != value:
                diffs.append(f"{cls}.{attr}")
    return diffs


def state_differences(model: dict[str, Any], gold: dict[str, Any]) -> list[str]:
    """``Class.attribute`` for each public attribute of a gold instance the model's differs in."""
    return _differences(model, _public(gold))


# -- the ground truth, run once per entry ------------------------------------------------------
class _EntryCache:
    """A bounded LRU of values computed from an entry, keyed on the entry object (held weakly) and
    checked against a fingerprint of what the value depends on, so an entry changed in place (or a
    new entry at a reused address) is computed again."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._items: OrderedDict[tuple[str, int], tuple[Any, str, Any]] = OrderedDict()

    def get(self, name: str, entry: BFCLEntry, build: Callable[[], Any]) -> Any:
        key, mark = (name, id(entry)), _fingerprint(entry)
        item = self._items.get(key)
        if item is not None and item[0]() is entry and item[1] == mark:
            self._items.move_to_end(key)
            return item[2]
        value = build()
        self._items[key] = (weakref.ref(entry), mark, value)
        self._items.move_to_end(key)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()


def _fingerprint(entry: BFCLEntry) -> str:
    return repr((entry.id, entry.ground_truth, entry.involved_classes, entry.initial_config, entry.turns,
                 entry.missed_function))


#: two values per entry (its gold run, its strict-check ground truth); 800 entries hold ~1,600
CACHE = _EntryCache(maxsize=2048)


def entry_cached(name: str, entry: BFCLEntry, build: Callable[[], Any]) -> Any:
    """``build()``, computed once per ``(name, entry)`` while the entry is unchanged (bounded cache)."""
    return CACHE.get(name, entry, build)


@dataclass(frozen=True)
class GoldRun:
    """An entry's ground truth run once on fresh instances: its calls, each turn's results and the
    public state of every instance after each turn (deep copies)."""

    calls: list[list[ToolCall]]
    outputs: list[list[str]]
    states: list[dict[str, dict[str, Any]]]


def _run_gold(entry: BFCLEntry, session: BackendSession) -> GoldRun:
    calls, outputs, states = gold_calls(entry), [], []
    for turn in calls:
        outputs.append([execute(session, c) for c in turn])
        public = _public(session.state.instances)
        if not states:
            states.append(copy.deepcopy(public))
            continue
        # a call runs on its own class's instance only (instances share nothing: _touches_modules), so a class
        # no call of the turn named keeps the state copied after the turn before (the same read-only dict)
        called = {owner_of(c.name) for c in turn}
        states.append({cls: copy.deepcopy(attrs) if cls in called else states[-1][cls] for cls, attrs in public.items()})
    return GoldRun(calls, outputs, states)


def _mutable_ids(value: Any, seen: set[int], out: set[int]) -> None:
    """Ids of the mutable objects reachable from ``value``: containers, objects of bfcl_eval's classes,
    and, through bfcl_eval's modules, classes and functions, their globals, attributes and defaults."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, (str, bytes, int, float, complex, bool, type(None))) or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            out.add(id(value))
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, set, bytearray)):
            out.add(id(value))
            stack.extend(value)
        elif isinstance(value, (tuple, frozenset)):
            stack.extend(value)
        elif isinstance(value, types.ModuleType):
            if value.__name__.startswith("bfcl_eval"):
                stack.extend(vars(value).values())
        elif isinstance(value, type):
            if value.__module__.startswith("bfcl_eval"):
                stack.extend(vars(value).values())
        elif isinstance(value, types.FunctionType):
            if (value.__module__ or "").startswith("bfcl_eval"):
                stack.extend((value.__defaults__ or ()) + tuple((value.__kwdefaults__ or {}).values()))
        elif isinstance(value, (classmethod, staticmethod)):
            stack.append(value.__func__)
        elif type(value).__module__.startswith("bfcl_eval") and hasattr(value, "__dict__"):
            out.add(id(value))
            stack.extend(vars(value).values())


@functools.cache
def _module_objects(cls: str) -> frozenset[int]:
    """Ids of the mutable objects reachable from the module of the official class ``cls`` (its globals,
    the long-context data it imports, its classes' attributes and its functions' defaults)."""
    out: set[int] = set()
    _mutable_ids(sys.modules[backend_class(cls).__module__], set(), out)
    return frozenset(out)


def _touches_modules(entry: BFCLEntry, instances: dict[str, Any]) -> bool:
    """Whether the instances' state reaches a mutable object of a backend module: every instance then
    shares it (BFCL's harness runs the model's and the ground truth's instances in one process)."""
    shared = frozenset().union(*(_module_objects(cls) for cls in entry.involved_classes))
    state: set[int] = set()
    _mutable_ids(list(instances.values()), set(), state)
    return bool(state & shared)


@functools.cache
def _mutable_defaults(cls: str) -> bool:
    """Whether a method of the class has a mutable default argument (TwitterAPI's ``post_tweet(tags=[],
    mentions=[])``): every instance's state may then hold that one object, and a later call (``mention``)
    changes it for all instances at once, the ground truth's included."""
    return any(isinstance(p.default, (list, dict, set, bytearray))
               for _, fn in inspect.getmembers(backend_class(cls), predicate=inspect.isfunction)
               for p in inspect.signature(fn).parameters.values())


def _build_gold_run(entry: BFCLEntry) -> GoldRun | None:
    if any(_mutable_defaults(cls) for cls in entry.involved_classes):
        return None  # check live (nothing run here: a run would change the shared default)
    session = open_session(entry, shown=False)
    if _touches_modules(entry, session.state.instances):
        return None  # shared from the start (checked before running anything): check live
    run = _run_gold(entry, session)
    return None if _touches_modules(entry, session.state.instances) else run


def gold_run(entry: BFCLEntry) -> GoldRun | None:
    """The entry's :class:`GoldRun` (cached), or ``None`` when it must be checked live: its ground
    truth is not deterministic or its instances share mutable state (see the module docstring)."""
    return entry_cached("gold_run", entry, lambda: _build_gold_run(entry))


def turns_key(model_turns: ModelTurns) -> tuple:
    """What the execution of ``model_turns`` depends on, per turn (steps flattened): each call's name
    and arguments (their ``repr``: ``1``, ``1.0`` and ``True`` stay apart), or a parse error's text."""
    return tuple(tuple(call_key(c) for step in turn for c in step) for turn in model_turns)


def missing_results(gold: Sequence[str], model: Sequence[str]) -> list[str]:
    """The gold results not found among the model's (each model result matches at most once)."""
    pool = list(model)
    missing = []
    for item in gold:
        if item in pool:
            pool.remove(item)
        else:
            missing.append(item)
    return missing


def _failure(turn: int, kind: str, message: str, **details: Any) -> Verdict:
    return Verdict(False, f"multi_turn:{kind}", message, details={"turn": turn, **details})


def _check_turn(
    i: int,
    steps: Sequence[Sequence[Any]],
    model: Any,
    gold: dict[str, dict[str, Any]],
    so_far: list[str],
    gold_out: list[str],
) -> Verdict | None:
    if not any(len(step) for step in steps):
        return _failure(i, "empty_turn_model_response", f"Model response list is empty for turn {i}")
    diffs = model.differences(i, gold)
    if diffs:
        message = f"Model instance state differs from ground truth after turn {i}: {diffs}"
        return _failure(i, "instance_state_mismatch", message, differences=diffs)
    missing = missing_results(gold_out, so_far)
    if missing:
        message = f"Model results so far lack ground truth results of turn {i}"
        return _failure(i, "execution_response_mismatch", message, missing=missing)
    return None


# -- the model's side: run again, or read from the episode that ran it -------------------------------
def record_turn_end(session: BackendSession, turn: int) -> None:
    """Called by the domain when user turn ``turn`` (0-based) of an episode is over (the next user
    turn arrives): keeps what :func:`check_entry` reads of the state after that turn (the differences
    from the ground truth's state, where that turn is checked), so the verdict need not run the
    episode's calls again. Only for a recording session of an entry with a gold record."""
    if not isinstance(session, BFCLSession) or not session.record or turn in session.turn_ends:
        return
    if session.gold is None:  # looked up once per episode (check_entry asks again: the same record or none)
        session.gold = (gold_run(session.state.entry),)
    run = session.gold[0]
    if run is None:
        return
    diffs = None
    if turn < len(run.calls) and run.calls[turn]:
        diffs = _differences(session.state.instances, run.states[turn])
    session.turn_ends[turn] = (len(session.executed), diffs, run)


class _Rerun:
    """The model's side run again on fresh instances (as BFCL's checker does)."""

    def __init__(self, entry: BFCLEntry):
        self.session = open_session(entry, shown=False)

    def run_turn(self, i: int, steps: Sequence[Sequence[Any]] | None) -> list[str]:
        return [execute(self.session, call) for step in steps or () for call in step]

    def differences(self, i: int, gold: dict[str, dict[str, Any]]) -> list[str]:
        return _differences(self.session.state.instances, gold)


class _Replayed:
    """The model's side read from the episode's own session, which ran exactly these calls, in this
    order, turn by turn, on fresh instances of the same entry (:func:`_replayed` checks it)."""

    def __init__(self, session: BFCLSession, texts: list[list[str]], last: int):
        self.session, self.texts, self.last = session, texts, last

    def run_turn(self, i: int, steps: Sequence[Sequence[Any]] | None) -> list[str]:
        return list(self.texts[i]) if i < len(self.texts) else []

    def differences(self, i: int, gold: dict[str, dict[str, Any]]) -> list[str]:
        end = self.session.turn_ends.get(i)
        if end is not None and end[1] is not None:
            return list(end[1])
        if i == self.last:  # the last turn played: the session's state now is the state after it
            return _differences(self.session.state.instances, gold)
        raise AssertionError(f"no recorded state for turn {i}")  # _replayed refuses such a session


def _replayed(entry: BFCLEntry, run: GoldRun | None, model_turns: ModelTurns,
              session: BackendSession | None) -> _Replayed | None:
    """The episode's session as the model's side, when reading it gives what running the calls again
    would: an entry with a gold record (its instances share nothing with other instances: see the
    module docstring), a recording session of that same entry object whose executed calls are exactly
    ``model_turns``' calls (the same objects, unchanged: same name and argument ``repr``), in order, each
    in its turn, with every user turn counted and every checked turn's end recorded; else ``None``."""
    if run is None or not isinstance(session, BFCLSession) or not session.record:
        return None
    if session.state.entry is not entry or session.state.turns_seen != len(model_turns):
        return None
    executed = session.executed
    texts: list[list[str]] = []
    n = 0
    for i, turn in enumerate(model_turns):
        out = []
        for step in turn:
            for call in step:
                if n >= len(executed):
                    return None
                done, key, seen, text = executed[n]
                if done is not call or seen != i + 1 or key is None or key != call_key(call):
                    return None
                out.append(text)
                n += 1
        texts.append(out)
        end = session.turn_ends.get(i)
        if i < len(model_turns) - 1 and i < len(run.calls) and run.calls[i] and (
                end is None or end[0] != n or end[2] is not run):
            return None
    if n != len(executed):
        return None
    return _Replayed(session, texts, len(model_turns) - 1)


def check_entry(entry: BFCLEntry, model_turns: ModelTurns, executed: BackendSession | None = None) -> Verdict:
    """The official verdict on ``entry`` for ``model_turns`` (the model's calls, per turn, per step).

    ``executed``: the episode's own session (:func:`~coalm_env.domains.bfcl.runtime.open_session` with
    ``record=True``), whose results and per-turn state are read instead of running the model's calls
    again where that gives the same verdict (:func:`_replayed`); else they run on fresh instances."""
    run = gold_run(entry)
    model = _replayed(entry, run, model_turns, executed) or _Rerun(entry)
    live = open_session(entry, shown=False) if run is None else None
    first: Verdict | None = None
    if len(model_turns) != len(entry.ground_truth):
        first = _failure(
            len(model_turns), "force_terminated",
            f"Model result has {len(model_turns)} turns; the ground truth has {len(entry.ground_truth)}",
        )
    passed: list[bool | None] = []
    so_far: list[str] = []
    model_results: list[list[str]] = []
    for i, gold_turn in enumerate(gold_calls(entry) if run is None else run.calls):
        steps = model_turns[i] if i < len(model_turns) else None
        start = len(so_far)
        so_far.extend(model.run_turn(i, steps))
        model_results.append(so_far[start:])
        if live is not None:
            gold_out = [execute(live, call) for call in gold_turn]
            gold_state = _public(live.state.instances)
        else:
            gold_out, gold_state = run.outputs[i], run.states[i]
        if not gold_turn:
            passed.append(None)
            continue
        failed = _failure(i, "turn_not_played", f"turn {i} was not played") if steps is None else (
            _check_turn(i, steps, model, gold_state, so_far, gold_out)
        )
        passed.append(failed is None)
        first = first or failed
    verdict = first or Verdict(True)
    verdict.turn_passed = passed
    if run is not None:
        verdict.runs = ((entry.id, id(entry), turns_key(model_turns)), model_results)
    return verdict
