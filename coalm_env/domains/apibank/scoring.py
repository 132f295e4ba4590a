"""API-Bank scoring: per-API call-correctness rules, episode scoring, and reply text metrics.

**Call correctness.** For gold call ``i``, the state is the initial database after gold calls
``0..i-1``. The gold call and each agent call of the same API (made in the same user turn under the
replay protocol, anywhere otherwise) run on *fresh copies* of that state, and the two outcomes
(``input``, ``output``, ``exception``) are compared with the API's rule in :data:`RULES`:

* ``exact`` (default): same inputs and same output/exception.
* ``content`` (Agenda/Reminder APIs): ``content`` matches when its word sets overlap by Jaccard > 0.5
  (the official AddAgenda rule); the rest exact.
* ``meeting`` (Meeting APIs): ``meeting_topic`` by Jaccard > 0.5, ``attendees`` as a set; the rest exact.
* ``result`` (Dictionary, SearchEngine, Wiki, GetToday: the official checks compare only what they
  return): output and exception.
* lookups whose official check also compares inputs (:data:`LOOKUP_INPUTS`: DocumentQA ``url`` and
  ``question``, QueryHealthData ``user_id`` and the time range, QueryStock, QueryBalance, QueryScene,
  SymptomSearch, EmergencyKnowledge, Translate ``src``, QueryHistoryToday ``date`` as month-day, as the
  official check reads it): those inputs and the result.
* ``delete_by_time`` (DeleteAgenda, DeleteReminder, as the official checks): when both calls succeed,
  the same ``time``; otherwise the same output and exception.
* level 3 (:func:`rule_for`): the official checks compare the inputs of every lookup too, so they are
  ``exact``; ``EmailReminder`` ignores ``content`` (official); ``AddMeeting`` uses the meeting rule.
* ``registrations`` (QueryRegistration): the appointments found, ignoring their ids (random in the
  original, so an appointment registered earlier in the dialogue has an unpredictable id).
* ``number`` (Calculator): outputs equal within 1e-6 relative; the formula may differ.
* ``no_output`` (RegisterUser, AppointmentRegistration: the original draws random tokens/ids):
  same inputs and both succeed or fail alike.
* ``retrieval`` (ToolSearcher): the same APIs retrieved (names; the keywords are free).
* ``device`` (TimedSwitch, CancelTimedSwitch): ``name`` and ``device_id`` are one device reference.
* ``scene`` (AddScene, ModifyScene): devices compared as sets of device names.

Before comparing, both calls' inputs are converted to the described parameter types
(:func:`~coalm_env.domains.apibank.schema.typed_arguments`: ``on='True'`` is ``True``, the gold text's
``attendees='['John', 'Jane']'`` a list, ``appointment_id=78901234`` the string). String values compare
case- and whitespace-insensitively and numbers by value (:func:`coalm_env.backend.plan.argument_key`).

**Replies.** ROUGE-L/1/2 (``rouge-score``) and sentence BLEU-4 (``sacrebleu``) of the agent's reply in
each user turn that had gold calls, against the gold AI reply of that turn (F-measures, 0..1).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from coalm_env.backend.faults import is_fault
from coalm_env.backend.graph import ApiGraph, BackendSession
from coalm_env.backend.plan import argument_key
from coalm_env.backend.store import Store
from coalm_env.domains.apibank.retriever import retrieved_names
from coalm_env.domains.apibank.session import run_on_copy
from coalm_env.errors import DependencyNotInstalled
from coalm_env.types import Scenario, ToolCall, ToolResult, Trajectory

__all__ = ["RULES", "LOOKUP_INPUTS", "rule_for", "check_call", "typed_outcome", "score_calls", "score_episode",
           "text_metrics", "agent_calls",
           "segment_replies", "jaccard_match", "gold_end_hash"]

Outcome = dict[str, Any]


def _words(text: Any) -> set[str]:
    return set(str(text).lower().split())


def jaccard_match(a: Any, b: Any, threshold: float = 0.5) -> bool:
    """Word-set Jaccard overlap above ``threshold`` (equal when both are empty)."""
    wa, wb = _words(a), _words(b)
    return wa == wb or (bool(wa | wb) and len(wa & wb) / len(wa | wb) > threshold)


def _as_set(value: Any) -> Any:
    items = value if isinstance(value, list) else [value]
    return frozenset(argument_key(v) for v in items)


def _same_result(a: Outcome, g: Outcome) -> bool:
    return argument_key(a["output"]) == argument_key(g["output"]) and argument_key(a["exception"]) == argument_key(g["exception"])


def _same_inputs(a: Outcome, g: Outcome, fuzzy: Sequence[str] = (), sets: Sequence[str] = (),
                 skip: Sequence[str] = ()) -> bool:
    for key in (set(a["input"]) | set(g["input"])) - set(skip):
        x, y = a["input"].get(key), g["input"].get(key)
        if key in fuzzy:
            ok = jaccard_match(x or "", y or "")
        elif key in sets:
            ok = _as_set(x) == _as_set(y)
        else:
            ok = argument_key(x) == argument_key(y)
        if not ok:
            return False
    return True


def exact(a: Outcome, g: Outcome) -> bool:
    return _same_inputs(a, g) and _same_result(a, g)


def content(a: Outcome, g: Outcome) -> bool:
    return _same_inputs(a, g, fuzzy=("content",)) and _same_result(a, g)


def meeting(a: Outcome, g: Outcome) -> bool:
    return _same_inputs(a, g, fuzzy=("meeting_topic",), sets=("attendees",)) and _same_result(a, g)


def result(a: Outcome, g: Outcome) -> bool:
    return _same_result(a, g)


def registrations(a: Outcome, g: Outcome) -> bool:
    """QueryRegistration: the appointments found, ignoring ids (the original draws new ids at random)."""
    def records(o: Outcome) -> Any:
        out = o["output"]
        return sorted(map(repr, map(argument_key, out.values()))) if isinstance(out, dict) else argument_key(out)

    return records(a) == records(g) and argument_key(a["exception"]) == argument_key(g["exception"])


def _month_day(value: Any) -> Any:
    import datetime as dt

    text = str(value).strip()
    for fmt in ("%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).strftime("%m-%d")
        except ValueError:
            continue
    return argument_key(value)


#: lookup API -> the inputs its official check compares (besides output and exception)
LOOKUP_INPUTS: dict[str, tuple[str, ...]] = {
    "DocumentQA": ("url", "question"),
    "QueryHealthData": ("user_id", "start_time", "end_time"),
    "QueryStock": ("stock_code", "date"),
    "QueryBalance": ("token",),
    "QueryScene": ("name",),
    "SymptomSearch": ("symptom",),
    "EmergencyKnowledge": ("symptom",),
    "Translate": ("src",),
    "QueryHistoryToday": ("date",),
    "ImageCaption": ("url",),
    "SpeechRecognition": ("url",),
    "CheckToken": ("token",),
}
_NORMALISE: dict[tuple[str, str], Callable[[Any], Any]] = {("QueryHistoryToday", "date"): _month_day}


def _lookup(name: str) -> Callable[[Outcome, Outcome], bool]:
    keys = LOOKUP_INPUTS[name]

    def rule(a: Outcome, g: Outcome) -> bool:
        for key in keys:
            norm = _NORMALISE.get((name, key), argument_key)
            if norm(a["input"].get(key)) != norm(g["input"].get(key)):
                return False
        return _same_result(a, g)

    rule.__name__ = f"lookup_{name}"
    return rule


def _succeeded(o: Outcome) -> bool:
    return o["exception"] is None and argument_key(o["output"]) == "success"


def delete_by_time(a: Outcome, g: Outcome) -> bool:
    """DeleteAgenda/DeleteReminder as the official checks: both succeed at the same time, or the same
    output and exception."""
    if _succeeded(a) and _succeeded(g):
        return argument_key(a["input"].get("time")) == argument_key(g["input"].get("time"))
    return _same_result(a, g)


def without_content(a: Outcome, g: Outcome) -> bool:
    """Level-3 EmailReminder (official): every input but ``content``, and the result."""
    return _same_inputs(a, g, skip=("content",)) and _same_result(a, g)


def number(a: Outcome, g: Outcome) -> bool:
    if a["exception"] or g["exception"]:
        return _same_result(a, g)
    x, y = float(a["output"]), float(g["output"])
    return abs(x - y) <= 1e-6 * max(1.0, abs(y))


def no_output(a: Outcome, g: Outcome) -> bool:
    return _same_inputs(a, g) and (a["exception"] is None) == (g["exception"] is None)


def retrieval(a: Outcome, g: Outcome) -> bool:
    return set(retrieved_names(a["output"])) == set(retrieved_names(g["output"])) and bool(a["output"])


def _device_ref(o: Outcome) -> Outcome:
    args = dict(o["input"])
    args["device"] = args.pop("name", None) or args.pop("device_id", None)
    args.pop("device_id", None)
    return {**o, "input": args}


def device(a: Outcome, g: Outcome) -> bool:
    return exact(_device_ref(a), _device_ref(g))


def _device_names(o: Outcome) -> Outcome:
    devices = o["input"].get("devices")
    names = [d.get("name") if isinstance(d, dict) else d for d in devices] if isinstance(devices, list) else devices
    return {**o, "input": {**o["input"], "devices": names}}


def scene(a: Outcome, g: Outcome) -> bool:
    x, y = _device_names(a), _device_names(g)
    return _same_inputs(x, y, sets=("devices",)) and _same_result(x, y)


_BY_RULE: dict[Callable[[Outcome, Outcome], bool], tuple[str, ...]] = {
    content: ("AddAgenda", "ModifyAgenda", "QueryAgenda", "AddReminder", "ModifyReminder", "QueryReminder"),
    delete_by_time: ("DeleteAgenda", "DeleteReminder"),
    meeting: ("AddMeeting", "DeleteMeeting", "ModifyMeeting", "QueryMeeting"),
    result: ("Dictionary", "SearchEngine", "Wiki", "GetToday"),
    registrations: ("QueryRegistration",),
    number: ("Calculator",),
    no_output: ("RegisterUser", "AppointmentRegistration"),
    retrieval: ("ToolSearcher",),
    device: ("TimedSwitch", "CancelTimedSwitch"),
    scene: ("AddScene", "ModifyScene"),
}
#: API name -> rule (``exact`` when absent)
RULES: dict[str, Callable[[Outcome, Outcome], bool]] = {n: r for r, names in _BY_RULE.items() for n in names}
RULES.update({name: _lookup(name) for name in LOOKUP_INPUTS})
#: level-3 rules that differ from the default ``exact`` (every level-3 lookup's official check compares
#: its inputs, its output and its exception)
_LEVEL3 = {"AddMeeting": meeting, "EmailReminder": without_content, "Calculator": number,
           "ToolSearcher": retrieval}


def rule_for(name: str, level: int = 1) -> Callable[[Outcome, Outcome], bool]:
    """The rule that judges calls of ``name`` at ``level`` (level 3 has its own APIs and checks)."""
    if level == 3:
        return _LEVEL3.get(name, exact)
    return RULES.get(name, exact)


def typed_outcome(outcome: Outcome, level: int) -> Outcome:
    """``outcome`` with its inputs converted to the API's described types
    (:func:`~coalm_env.domains.apibank.schema.typed_arguments`); unchanged for an API not described or
    when the dataset is not there."""
    from coalm_env.domains.apibank.resources import descriptions
    from coalm_env.domains.apibank.schema import typed_arguments
    from coalm_env.errors import CoalmError

    try:
        description = descriptions(level).get(outcome.get("api_name"))
    except CoalmError:
        return outcome
    if not description or not isinstance(outcome.get("input"), dict):
        return outcome
    return {**outcome, "input": typed_arguments(description, outcome["input"])}


def check_call(name: str, agent: Outcome, gold: Outcome, level: int = 1) -> bool:
    """Whether an agent outcome matches a gold outcome under ``name``'s rule, both inputs taken as the
    API types them (:func:`typed_outcome`; never raises)."""
    try:
        return bool(rule_for(name, level)(typed_outcome(agent, level), typed_outcome(gold, level)))
    except (TypeError, ValueError, KeyError, AttributeError):
        return False


def agent_calls(trajectory: Trajectory) -> list[tuple[int, ToolCall, ToolResult]]:
    """``(user turn, call, result)`` for every tool call the agent made."""
    return [(s.turn, c, r) for s in trajectory.steps for c, r in zip(s.calls, s.results)]


def score_calls(graph: ApiGraph, store: Store, scenario: Scenario,
                calls: Sequence[tuple[int | None, ToolCall, ToolResult]], aligned: bool) -> list[bool]:
    """For each gold call: did a matching agent call reproduce it on a fresh copy of the gold-prefix state?

    ``calls`` are ``(user turn, call, result)``; with ``aligned`` only calls made in the gold call's
    user turn count. Calls of APIs that were not callable yet (level 2/3) do not count.
    """
    level = scenario.meta["level"]
    view = store.view()
    made = [(t, c) for t, c, r in calls if (r.error or {}).get("type") != "unknown_tool" and not is_fault(r)]
    verdicts = []
    for step in scenario.meta["steps"]:
        gold_call = ToolCall(name=step["name"], arguments=dict(step["input"]))
        memo: dict[tuple[str, str], ToolResult] = {}  # an agent call equal to the gold one is not run again
        gold = run_on_copy(graph, store, view, gold_call, memo)
        candidates = [c for t, c in made if c.name == step["name"] and (not aligned or t == step["segment"] + 1)]
        verdicts.append(any(check_call(step["name"], run_on_copy(graph, store, view, c, memo), gold, level)
                            for c in candidates))
        BackendSession(graph, view).call(gold_call)  # the gold state moves on
    return verdicts


def gold_end_hash(graph: ApiGraph, store: Store, scenario: Scenario) -> str:
    """The state hash (:meth:`BackendSession.state_hash`) of a fresh backend after every gold call in
    order: the gold end state an episode's backend is compared with (``end_state_match``)."""
    session = BackendSession(graph, store.view())
    for step in scenario.meta["steps"]:
        session.call(ToolCall(name=step["name"], arguments=dict(step["input"])))
    return str(session.state_hash())


def segment_replies(scenario: Scenario, trajectory: Trajectory, aligned: bool) -> list[tuple[str, str]]:
    """``(agent reply, gold reply)`` for each user turn with gold calls and a gold reply."""
    replies = scenario.meta["replies"]
    with_calls = sorted({s["segment"] for s in scenario.meta["steps"]})
    said = [(s.turn, s.reply or "") for s in trajectory.steps if s.kind == "reply"]
    pairs = []
    for seg in with_calls:
        if seg >= len(replies) or not replies[seg]:
            continue
        mine = [r for t, r in said if t == seg + 1] if aligned else [r for _, r in said]
        if not aligned and seg != with_calls[-1]:
            continue  # without the replay alignment only the final reply is comparable
        pairs.append((mine[-1] if mine else "", replies[seg]))
    return pairs


class _Tokens:
    """rouge-score's default tokenizer (what ``RougeScorer`` uses when given none), remembering the last
    texts, so that ROUGE-1/2 (the scorer) and ROUGE-L (below) tokenize each reply once."""

    def __init__(self, tokenizer: Any):
        self.tokenize = functools.lru_cache(maxsize=64)(lambda text: tuple(tokenizer.tokenize(text)))


def _rouge_l(target: Sequence[str], prediction: Sequence[str]) -> float:
    """ROUGE-L F-measure as rouge-score's ``_score_lcs`` computes it, with the longest common
    subsequence's length from rapidfuzz (C++) instead of rouge-score's pure-Python table (most of the
    reply metrics' time); tokens are numbered first, so the match is exact."""
    if not target or not prediction:
        return 0  # rouge-score: Score(precision=0, recall=0, fmeasure=0)
    from rapidfuzz.distance import LCSseq
    from rouge_score.scoring import fmeasure

    ids: dict[str, int] = {}
    lcs = LCSseq.similarity([ids.setdefault(t, len(ids)) for t in target],
                            [ids.setdefault(t, len(ids)) for t in prediction])
    return fmeasure(lcs / len(prediction), lcs / len(target))


@functools.cache
def _text_scorers() -> tuple[Any, Any, Any]:
    """One ROUGE-1/2 scorer, its tokenizer and one BLEU metric for every reply: ``sacrebleu.sentence_bleu``
    builds its BLEU (tokenizer included) on every call, which was most of its cost; ``sentence_score``
    keeps no state between calls, so the scores are the same."""
    try:
        from rouge_score import rouge_scorer, tokenizers
        from sacrebleu.metrics import BLEU
    except ImportError as exc:  # pragma: no cover - both are core dependencies
        raise DependencyNotInstalled(exc.name or "rouge-score", "apibank") from exc
    tokens = _Tokens(tokenizers.DefaultTokenizer(use_stemmer=False))
    # sacrebleu.sentence_bleu's own defaults
    bleu = BLEU(lowercase=False, tokenize=BLEU.TOKENIZER_DEFAULT, force=False, smooth_method="exp",
                smooth_value=None, effective_order=True)
    return rouge_scorer.RougeScorer(["rouge1", "rouge2"], tokenizer=tokens), tokens, bleu


def text_metrics(pairs: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F-measures and sentence BLEU-4 (0..1) of ``(hypothesis, reference)`` pairs."""
    if not pairs:
        return {}
    scorer, tokens, bleu = _text_scorers()
    sums = {"rouge_1": 0.0, "rouge_2": 0.0, "rouge_l": 0.0, "bleu_4": 0.0}
    for hyp, ref in pairs:
        scores = scorer.score(ref, hyp)
        sums["rouge_1"] += scores["rouge1"].fmeasure
        sums["rouge_2"] += scores["rouge2"].fmeasure
        sums["rouge_l"] += _rouge_l(tokens.tokenize(ref), tokens.tokenize(hyp))
        sums["bleu_4"] += bleu.sentence_score(hyp, [ref]).score / 100.0
    return {k: v / len(pairs) for k, v in sums.items()}


def score_episode(graph: ApiGraph, store: Store, scenario: Scenario, trajectory: Trajectory,
                  aligned: bool) -> dict[str, float]:
    """Every API-Bank metric of an episode; ``success`` = every gold call reproduced."""
    verdicts = score_calls(graph, store, scenario, agent_calls(trajectory), aligned)
    metrics: dict[str, float] = {
        "success": float(all(verdicts)),
        "api_calls_gold": float(len(verdicts)),
        "api_calls_correct": float(sum(verdicts)),
        "level": float(scenario.meta["level"]),
    }
    if verdicts:
        metrics["api_call_accuracy"] = sum(verdicts) / len(verdicts)
    metrics.update(text_metrics(segment_replies(scenario, trajectory, aligned)))
    return metrics
