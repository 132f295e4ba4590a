"""A strict BFCL multi-turn verdict, reported beside (never instead of) the official one.

The official checker (:mod:`coalm_env.domains.bfcl.checker`) compares end states per turn and looks
for each ground-truth result among the results of *all* the model's calls so far. It therefore lets
through calls to functions that exist nowhere, any call order, duplicated writes that leave the same
state, errors hidden because a result from another turn fills the pool, and state-changing calls in
a turn whose ground truth is empty (premature actions in ``miss_func``/``miss_param``).

``strict_valid`` holds when the official verdict is valid and, in every turn ``t`` (0-based, as the
checker's ``details["turn"]``), for the model's calls of that turn (all its steps, in order):

``unknown_function``
    no call names a function that exists in none of the entry's classes;
``errored_call``
    no call errored, unless the ground truth's call of the same function in that turn errored too.
    A call errored when its result is the checker's ``"Error during execution: ..."`` text (an
    exception, arguments the schema refuses, a call that did not parse) or a JSON object with an
    ``"error"`` key (how the official backends report a refusal). Status flags such as
    ``{"authentication_status": false}`` are results, not errors;
``repeated_write``
    no state-changing call (:attr:`ApiSpec.writes`, :data:`~coalm_env.domains.bfcl.apis.WRITES`)
    is made more often than ``max(1, n)`` times with the same arguments, ``n`` being the ground
    truth's count of that call in the turn (a single write the ground truth does not make is left to
    the official state check, except in an empty turn: next rule);
``write_in_empty_turn``
    no state-changing call (errored or not) in a turn whose ground truth is empty;
``missing_gold_call``
    each of the turn's ground-truth calls is among the model's calls of that same turn (a multiset
    match by name and arguments: missing arguments take the backend method's defaults, values
    compare by :func:`~coalm_env.backend.plan.argument_key`, so ``ls()`` equals ``ls(a=False)``
    and ``5`` equals ``5.0``);
``dependency_order``
    for each data dependency between two ground-truth calls of the turn, some model call matching
    the dependent call comes after a model call matching its source.

Dependencies (decided here): ground-truth call ``j`` depends on an earlier ground-truth call ``i``
of the same turn when a value among ``j``'s arguments (a leaf: string or number, not a boolean)
equals a value in ``i``'s ground-truth result, that value is not among ``i``'s own arguments (an
echo such as ``cd(folder='x')`` -> ``{"current_working_directory": "x"}``) and the user's text of
the turns so far does not state it (as a whole word). The data flow is thus observed on the
official execution rather than taken from the API graph's doc edges, which over-approximate
(generic fields such as ``status`` link unrelated functions). Examples from the data:
``get_zipcode_based_on_city`` -> ``estimate_distance(cityA=...)``, ``get_stock_info`` ->
``place_order(price=...)``, ``book_flight`` -> ``cancel_booking(booking_id=...)``. Independent
calls may come in any order, a turn may be split into any number of steps, and extra read-only calls
(that do not error) are allowed anywhere.

Every rule is checked (the reasons list all failures, not only the first); the official verdict's
failure, when there is one, is the reason ``official``.

Speed: where the official checker ran the entry from its cached ground-truth record
(:func:`~coalm_env.domains.bfcl.checker.gold_run`), the ground truth's results, match keys and
dependencies come from that record (computed once per entry) and the model's results from the
verdict (:attr:`~coalm_env.domains.bfcl.checker.Verdict.runs`, when it ran these same calls), so no
call is executed again; other entries run both sides here as the checker does.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalm_env.backend.plan import argument_key
from coalm_env.domains.bfcl.apis import full_graph, functions_of
from coalm_env.domains.bfcl.calls import CallSyntaxError
from coalm_env.domains.bfcl.checker import (
    ModelTurns, Verdict, check_entry, entry_cached, gold_calls, gold_run, turns_key,
)
from coalm_env.domains.bfcl.entries import BFCLEntry
from coalm_env.domains.bfcl.runtime import ERROR_PREFIX, backend_class, execute, open_session
from coalm_env.types import ToolCall

__all__ = ["REASON_KINDS", "StrictVerdict", "strict_check", "is_error", "gold_dependencies", "turn_dependencies"]

#: the reason kinds, in the order they are reported within a turn
REASON_KINDS = (
    "official",
    "unknown_function",
    "errored_call",
    "repeated_write",
    "write_in_empty_turn",
    "missing_gold_call",
    "dependency_order",
)


@dataclass
class StrictVerdict:
    """The strict verdict: ``valid`` and why not (``reasons``: ``{kind, turn, detail}`` dicts)."""

    valid: bool
    reasons: list[dict[str, Any]] = field(default_factory=list)

    @property
    def kinds(self) -> set[str]:
        return {r["kind"] for r in self.reasons}

    def to_dict(self) -> dict[str, Any]:
        return {"strict_valid": self.valid, "strict_reasons": list(self.reasons)}


def is_error(text: str) -> bool:
    """Whether a call's result text (as :func:`~coalm_env.domains.bfcl.runtime.execute` returns it)
    reports an error: the checker's error prefix, or a JSON object with an ``"error"`` key."""
    if text.startswith(ERROR_PREFIX):
        return True
    if not text.startswith("{"):
        return False
    if '"error"' not in text and "\\u" not in text:  # no key can read "error" (unless spelled with \u escapes)
        return False
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return False
    return isinstance(value, dict) and "error" in value


@functools.cache
def _defaults(cls: str) -> dict[str, dict[str, Any]]:
    out = {}
    for name, fn in inspect.getmembers(backend_class(cls), predicate=inspect.isfunction):
        if not name.startswith("_"):
            params = inspect.signature(fn).parameters.values()
            out[name] = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}
    return out


def _known(classes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Function name -> its parameter defaults, for the (documented) functions of ``classes``."""
    return _known_of(tuple(classes))


@functools.cache
def _known_of(classes: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    defaults: dict[str, dict[str, Any]] = {}
    for cls in classes:
        defaults.update(_defaults(cls))
    return {name: defaults.get(name, {}) for name in functions_of(classes)}


def _call_key(call: ToolCall, defaults: dict[str, Any]) -> tuple[str, Any]:
    args = {**defaults, **call.arguments} if isinstance(call.arguments, dict) else call.arguments
    return call.name, argument_key(args)


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    elif value is not None and not isinstance(value, bool):
        yield value


def _stated(value: Any, text: str) -> bool:
    forms = {str(value).lower()}
    if isinstance(value, float) and value.is_integer():
        forms.add(str(int(value)))
    return any(_whole_word_in(f, text) for f in forms if f)


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"  # what re's \w matches in a str pattern


def _whole_word_in(form: str, text: str) -> bool:
    """``re.search(rf"(?<!\\w){re.escape(form)}(?!\\w)", text) is not None``, without compiling a pattern per
    value (a pattern per argument value kept re's cache thrashing)."""
    at = text.find(form)
    while at >= 0:
        end = at + len(form)
        if (at == 0 or not _is_word_char(text[at - 1])) and (end == len(text) or not _is_word_char(text[end])):
            return True
        at = text.find(form, at + 1)
    return False


def gold_dependencies(calls: Sequence[ToolCall], results: Sequence[str], user_text: str = "") -> list[tuple[int, int, str]]:
    """``(i, j, value)`` for each data dependency of ground-truth call ``j`` on call ``i`` of one
    turn (the module docstring's rule); ``results`` are the calls' ground-truth result texts and
    ``user_text`` the user's words so far (lower case is not required)."""
    text = user_text.lower()
    produced: list[set | None] = [None] * len(results)  # built when first asked (never for a turn's last call)
    echoes = [{argument_key(v) for v in _leaves(c.arguments)} for c in calls]
    deps = []
    for j, call in enumerate(calls):
        for value in _leaves(call.arguments):
            key = argument_key(value)
            for i in range(j):
                if produced[i] is None:
                    produced[i] = {argument_key(v) for v in _leaves(_parse(results[i]))}
                if key in produced[i] and key not in echoes[i] and not _stated(value, text):
                    deps.append((i, j, str(value)))
                    break
    return list(dict.fromkeys(deps))


def _user_text(entry: BFCLEntry, turn: int) -> str:
    """The user's words of turns ``0..turn`` (base_154 has one ground-truth turn more than questions)."""
    return "\n".join(text or "" for text in entry.turns[: turn + 1])


@dataclass(frozen=True)
class _GoldTurns:
    """What the rules need of an entry's ground truth, per turn: calls, results, match keys, dependencies."""

    calls: list[list[ToolCall]]
    results: list[list[str]]
    keys: list[list[tuple[str, Any]]]
    dependencies: list[list[tuple[int, int, str]]]


def _gold_turns(entry: BFCLEntry) -> _GoldTurns | None:
    """The entry's :class:`_GoldTurns` from its cached ground-truth run (``None``: checked live)."""
    run = gold_run(entry)
    if run is None:
        return None

    def build() -> _GoldTurns:
        known = _known(entry.involved_classes)
        keys = [[_call_key(c, known.get(c.name, {})) for c in turn] for turn in run.calls]
        deps = [gold_dependencies(calls, results, _user_text(entry, t))
                for t, (calls, results) in enumerate(zip(run.calls, run.outputs))]
        return _GoldTurns(run.calls, run.outputs, keys, deps)

    return entry_cached("strict_gold", entry, build)


def turn_dependencies(entry: BFCLEntry) -> list[list[tuple[int, int, str]]]:
    """Per turn, the data dependencies between its ground-truth calls (:func:`gold_dependencies`)."""
    gold = _gold_turns(entry)
    if gold is not None:
        return [list(deps) for deps in gold.dependencies]
    session = open_session(entry, shown=False)
    out = []
    for t, calls in enumerate(gold_calls(entry)):
        results = [execute(session, c) for c in calls]
        out.append(gold_dependencies(calls, results, _user_text(entry, t)))
    return out


def _flat(steps: Sequence[Sequence[Any]] | None) -> list[Any]:
    return [call for step in steps or () for call in step]


def _name(call: Any) -> str:
    return call.name if isinstance(call, ToolCall) else "<malformed>"


def _show(call: Any) -> str:
    return call.signature() if isinstance(call, ToolCall) else f"malformed call ({call})"


@dataclass
class _Turn:
    """One turn as the rules see it: the model's calls and results, the ground truth's, and match keys."""

    index: int
    calls: list[Any]
    results: list[str]
    keys: list[tuple[str, Any] | None]  # None: a malformed call or an unknown function
    gold: list[ToolCall]
    gold_results: list[str]
    gold_keys: list[tuple[str, Any]]

    def reason(self, kind: str, detail: str) -> dict[str, Any]:
        return {"kind": kind, "turn": self.index, "detail": detail}


def _call_reasons(turn: _Turn, classes: Sequence[str]) -> list[dict[str, Any]]:
    gold_errored = {c.name for c, r in zip(turn.gold, turn.gold_results) if is_error(r)}
    out = []
    for call, result, key in zip(turn.calls, turn.results, turn.keys):
        if isinstance(call, ToolCall) and key is None:
            out.append(turn.reason("unknown_function", f"{call.name} is a function of none of {list(classes)}"))
        elif is_error(result) and _name(call) not in gold_errored:
            out.append(turn.reason("errored_call", f"{_show(call)} -> {result[:200]}"))
    return out


def _write_reasons(turn: _Turn) -> list[dict[str, Any]]:
    graph = full_graph()
    writes = [(call, key) for call, key in zip(turn.calls, turn.keys) if key is not None and graph.spec(key[0]).writes]
    gold_counts = Counter(turn.gold_keys)
    out = []
    for key, n in Counter(key for _, key in writes).items():
        if n > max(1, gold_counts[key]):
            out.append(turn.reason("repeated_write", f"{key[0]} made {n} times with the same arguments "
                                                     f"(the ground truth makes it {gold_counts[key]} times)"))
    if not turn.gold:
        out += [turn.reason("write_in_empty_turn", f"{_show(call)} in a turn whose ground truth makes no call")
                for call, _ in writes]
    return out


def _gold_reasons(turn: _Turn, user_text: str, deps: list[tuple[int, int, str]] | None = None) -> list[dict[str, Any]]:
    pool = Counter(k for k in turn.keys if k is not None)
    out = []
    for call, key in zip(turn.gold, turn.gold_keys):
        if pool[key] > 0:
            pool[key] -= 1
        else:
            out.append(turn.reason("missing_gold_call", f"{call.signature()} not made in this turn"))
    positions: dict[Any, list[int]] = {}
    for p, key in enumerate(turn.keys):
        if key is not None:
            positions.setdefault(key, []).append(p)
    if deps is None:
        deps = gold_dependencies(turn.gold, turn.gold_results, user_text)
    for i, j, value in deps:
        src, dst = positions.get(turn.gold_keys[i]), positions.get(turn.gold_keys[j])
        if src and dst and max(dst) < min(src):
            out.append(turn.reason("dependency_order", f"{turn.gold[j].signature()} uses {value!r} from "
                                                       f"{turn.gold[i].signature()} but comes before it"))
    return out


def strict_check(entry: BFCLEntry, model_turns: ModelTurns, verdict: Verdict | None = None) -> StrictVerdict:
    """The strict verdict on ``entry`` for ``model_turns`` (per turn, per step, the model's calls).

    ``verdict`` is the official verdict when already computed (else it is computed here).
    """
    verdict = verdict if verdict is not None else check_entry(entry, model_turns)
    reasons: list[dict[str, Any]] = []
    if not verdict.valid:
        reasons.append({"kind": "official", "turn": verdict.details.get("turn"), "detail": verdict.error_type})
    known = _known(entry.involved_classes)
    cached = _gold_turns(entry)
    ran = (cached is not None and verdict.runs is not None
           and verdict.runs[0] == (entry.id, id(entry), turns_key(model_turns)))
    model = None if ran else open_session(entry, shown=False)
    gold = open_session(entry, shown=False) if cached is None else None
    for t, gold_turn in enumerate(gold_calls(entry) if cached is None else cached.calls):
        calls = _flat(model_turns[t]) if t < len(model_turns) else []
        keys = [_call_key(c, known[c.name]) if isinstance(c, ToolCall) and c.name in known else None for c in calls]
        results = verdict.runs[1][t] if ran else [execute(model, c) for c in calls]
        if cached is None:
            gold_results = [execute(gold, c) for c in gold_turn]
            gold_keys, deps = [_call_key(c, known.get(c.name, {})) for c in gold_turn], None
        else:
            gold_results, gold_keys, deps = cached.results[t], cached.keys[t], cached.dependencies[t]
        turn = _Turn(t, calls, results, keys, gold_turn, gold_results, gold_keys)
        reasons += _call_reasons(turn, entry.involved_classes) + _write_reasons(turn)
        if gold_turn:
            reasons += _gold_reasons(turn, _user_text(entry, t), deps)
    order = {k: n for n, k in enumerate(REASON_KINDS)}
    reasons.sort(key=lambda r: (r["turn"] if r["turn"] is not None else -1, order[r["kind"]]))
    return StrictVerdict(not reasons, reasons)
