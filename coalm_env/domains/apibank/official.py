"""API-Bank's official evaluation files with a model prediction per row, scored row by row.

The files (``test-data/`` of the dataset): ``level-1-api.json`` / ``level-2-api.json`` (rows ``file``,
``id``, ``instruction``, ``input``, ``expected_output``: an ``API-Request: [...]`` call) and
``level-{1,2}-response.json`` (``expected_output``: the AI reply after the call); level 3
``level-3-batch-inf.json`` / ``level-3-batch-inf-response.json`` (rows ``sample_id``, ``api_id``,
``output``). A file is a JSON array (as the dataset ships it) or JSON lines (as
``evaluator_by_json.py`` reads predictions); the prediction is in ``pred`` or the field given.

Per row (:func:`score_rows`): its id fields, ``kind`` (``api`` when the expected text is an
``API-Request:`` call, else ``response``), ``valid`` and ``reason``, and the ROUGE-1/2/L F-measures and
sentence BLEU-4 of the prediction against the expected text (``rouge-score`` / ``sacrebleu``, 0..1:
the figures CoALM's Table 3 reports through the Hammer evaluation; for an ``api`` row the text is the
whole call). For an ``api`` row ``valid`` is the official question, *is this the gold call?*:

1. the call is found anywhere in the prediction (:func:`coalm_env.parsing.parse_action`: the
   official ``[Api(key='value')]`` form with or without ``API-Request:``, text before or after it, the
   gold text's nested-quote lists; also JSON, Hermes and ReAct calls); scalars are taken as strings,
   as in the official format;
2. the API is the gold row's (``API name mismatch`` otherwise);
3. gold call and predicted call run on copies of the same state, and the two outcomes are compared
   with the API's rule (:func:`coalm_env.domains.apibank.scoring.check_call`).

For a ``response`` row ``valid`` says only that a text prediction was there; its scores are the
text metrics (level 3: ``User:``/``AI:`` removed from the prediction first, as ``lv3_evaluator.py``
does).

Gold rows: a level-1/2 row ``(file, id)`` is sample ``id`` of the official ``Sample.from_chat_history``
of that dialogue: for its ``k``-th API turn, ``id = 2k`` is that call and ``id = 2k + 1`` the turn after
it (the next API call when two are adjacent, else the AI reply). A level-3 row is call ``api_id`` of
sample ``sample_id`` of ``level-3.json``.

Deviations from the official evaluator (``evaluator_by_json.py``, ``lv3_evaluator.py`` and the
``check_api_call_correctness`` methods), each deliberate; see also :mod:`coalm_env.domains.apibank`
for the env-wide ones (mock APIs, ToolSearcher by BM25, recorded web answers, random ids):

1. **State.** The official evaluator runs each call on a freshly loaded database, so a gold call that
   needs an earlier call's effect fails (a token registered earlier, ``ForgotPassword``'s second step,
   an appointment queried after it was made). Here gold and prediction run on the state the dialogue's
   earlier gold calls leave (level 3: the sample's earlier calls).
2. **Parsing.** The official regex (``\\[(\\w+)\\((.*)\\)\\]`` then ``key='value'`` pairs, non-greedy up to
   the first quote of either kind) cuts the gold text's list values (``attendees='['John', 'Jane']'``
   reads as ``'['``; 31 level-1 gold rows) and any value holding a quote character (an apostrophe),
   and reads a bare value only as ``\\w+`` (``latitude=37.7749`` reads as ``37``). Here Python literals
   are read as such and the official text otherwise value by value
   (:func:`coalm_env.parsing._official_arguments`); lists may be lists or list text. A prediction with
   several calls is judged on its first.
3. **Types.** The official ``ToolManager`` converts ``int``/``float`` parameters only when the text is
   all digits and ``bool`` as ``== 'True'``; a check then compares Python values, so ``on='True'``
   (the gold text) against the recorded ``True`` fails. Here both calls' inputs are converted to the
   described types before comparing, strings compare case- and space-insensitively and numbers by
   value (``'100'`` = ``100.0``).
4. **Rules kept or changed** (:mod:`coalm_env.domains.apibank.scoring`): DocumentQA, QueryHealthData,
   QueryStock, QueryBalance, QueryScene, SymptomSearch, EmergencyKnowledge, Translate ``src``,
   QueryHistoryToday (month-day), ImageCaption, SpeechRecognition and CheckToken compare their inputs
   as the official checks do; DeleteAgenda/DeleteReminder compare only ``time`` when both succeed;
   level-3 lookups compare inputs and result, EmailReminder ignores ``content``. Differences kept:
   ``Calculator`` accepts another formula with the same value (official: the formula without spaces);
   ``DeleteMeeting`` uses the meeting rule (the official check reads a ``time`` input DeleteMeeting
   does not have, a KeyError: always wrong); ``RecordHealthData``'s ``health_data`` is compared (the
   official check has the comparison commented out); ``AddScene``/``ModifyScene`` compare device names
   as a set (official: the device dicts, name lower-cased); Agenda/Reminder writes compare the
   ``token`` (the official checks compare content, time, location and result only, so another user's
   valid token passes there: the token names whose agenda changes); ``GetToday`` must return today's date of
   the mock (official: any output); ``ToolSearcher`` compares the retrieved API names (official: the
   whole description dicts, which the dialogues record from an older version of the API classes).
5. **Samples.** Every row of the file is scored once, in its order, as given; the official level-1/2
   script scores the rows it finds for the samples of the dialogue folder and counts a sample without a
   prediction as wrong; here a row without a prediction is wrong with reason ``no 'pred' field``.
6. **Text metrics.** The official scripts report ROUGE-L of the ``rouge`` package on response rows;
   here ROUGE-1/2/L come from ``rouge-score`` (no stemming; its tokenizer keeps ASCII letters and
   digits only) and BLEU-4 from ``sacrebleu`` sentence BLEU, on every row. The exact settings of the
   Hammer evaluation were not available here; these are the common defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.types import StepKind, ToolCall

__all__ = ["ID_FIELDS", "RowScore", "read_rows", "score_rows", "score_file", "summary", "expected_text"]

#: the fields that identify a row, copied to its verdict when present
ID_FIELDS = ("file", "id", "sample_id", "api_id")
_KEYS = {1: ("file", "id"), 2: ("file", "id"), 3: ("sample_id", "api_id")}
_METRICS = ("rouge_l", "rouge_1", "rouge_2", "bleu_4")


@dataclass
class RowScore:
    """The verdict on one input row (``line``: its 1-based position in the file)."""

    line: int
    ids: dict[str, Any]
    kind: str | None
    valid: bool
    reason: str
    api: str | None = None
    pred_api: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.ids, "line": self.line, "kind": self.kind, "valid": self.valid,
                               "reason": self.reason}
        if self.api is not None:
            out["api"] = self.api
            out["pred_api"] = self.pred_api
        out.update({k: round(v, 6) for k, v in self.metrics.items()})
        return out


@dataclass
class _Problem:
    """A line that is not a row (torn JSON, not an object)."""

    reason: str


def read_rows(path: Path) -> list[dict[str, Any] | _Problem]:
    """The rows of an evaluation file: a JSON array of objects, or JSON lines (a line that does not
    parse, or is not an object, is kept as a problem for its own verdict)."""
    if not path.is_file():
        raise ConfigError(f"evaluation file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise ConfigError(f"{path} is empty")
    if text.lstrip().startswith("["):
        try:
            whole = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not a valid JSON array ({exc.msg} at line {exc.lineno})") from None
        return [row if isinstance(row, dict) else _Problem(f"row is a {type(row).__name__}, not an object")
                for row in whole]
    rows: list[dict[str, Any] | _Problem] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append(_Problem(f"line {lineno}: not valid JSON ({exc.msg} at char {exc.pos})"))
            continue
        rows.append(row if isinstance(row, dict) else _Problem(f"line {lineno}: not a JSON object"))
    return rows


def expected_text(row: dict[str, Any]) -> Any:
    """The row's expected output (``expected_output``; level 3 names it ``output``)."""
    return row.get("expected_output", row.get("output"))


class _Gold:
    """The gold calls of one level and the state before each (computed once per dialogue)."""

    def __init__(self, level: int):
        from coalm_env.domains.apibank.domain import APIBankDomain
        from coalm_env.domains.apibank.graph import build_graph
        from coalm_env.domains.apibank.resources import base_store

        self.level = level
        self.graph = build_graph(level)
        self.store = base_store()
        scenarios = APIBankDomain(level).scenarios()
        if level == 3:
            self.by_key = {int(s.id.removeprefix("L3-")): s for s in scenarios}
        else:
            self.by_key = {s.meta["file"]: s for s in scenarios}
        self._views: dict[Any, list[Any]] = {}

    def step(self, key: Any, index: int) -> tuple[dict[str, Any], Any] | str:
        """``(gold step, state before it)`` or why there is none."""
        scenario = self.by_key.get(key)
        if scenario is None:
            return f"no gold dialogue {key!r} at level {self.level}"
        steps = scenario.meta["steps"]
        if not 0 <= index < len(steps):
            return f"{key!r} has {len(steps)} gold calls; no call {index}"
        return steps[index], self._states(key, steps)[index]

    def _states(self, key: Any, steps: list[dict[str, Any]]) -> list[Any]:
        from coalm_env.backend.graph import BackendSession
        from coalm_env.domains.apibank.session import fork

        if key not in self._views:
            view, views = self.store.view(), []
            for step in steps:
                views.append(fork(self.store, view))
                BackendSession(self.graph, view).call(ToolCall(name=step["name"], arguments=dict(step["input"])))
            self._views[key] = views
        return self._views[key]


def _call_index(row: dict[str, Any], level: int) -> tuple[Any, int] | str:
    """``(dialogue key, gold call index)`` of an ``api`` row, or what is wrong with its id fields."""
    key_field, index_field = _KEYS[level]
    key, index = row.get(key_field), row.get(index_field)
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        return f"field {index_field!r} must be a non-negative integer, got {index!r}"
    if level == 3:
        if not isinstance(key, int) or isinstance(key, bool):
            return f"field {key_field!r} must be an integer, got {key!r}"
        return key, index
    if not isinstance(key, str):
        return f"field {key_field!r} must be a dialogue file name, got {key!r}"
    # official sample 2k is API turn k; sample 2k+1 is the turn after it (API turn k+1 when adjacent)
    return key, index // 2 + index % 2


def _official_values(call: ToolCall) -> ToolCall:
    """Scalars as the strings the official format carries (lists, dicts and None kept)."""
    def scalar(v: Any) -> Any:
        if isinstance(v, bool):
            return "True" if v else "False"
        return str(v) if isinstance(v, (int, float)) else v

    return ToolCall(name=call.name, arguments={k: scalar(v) for k, v in call.arguments.items()})


def _why_wrong(agent: dict[str, Any], gold: dict[str, Any], level: int) -> str:
    from coalm_env.backend.plan import argument_key
    from coalm_env.domains.apibank.scoring import typed_outcome

    if agent["exception"] is not None and gold["exception"] is None:
        return f"the call fails: {str(agent['exception'])[:200]}"
    a, g = typed_outcome(agent, level)["input"], typed_outcome(gold, level)["input"]
    differ = sorted(k for k in set(a) | set(g) if argument_key(a.get(k)) != argument_key(g.get(k)))
    missing = sorted(set(g) - set(a))
    extra = sorted(set(a) - set(g))
    if missing or extra:
        return "arguments differ: " + ", ".join(
            filter(None, [missing and f"missing {missing}", extra and f"extra {extra}"]))
    if argument_key(agent["output"]) != argument_key(gold["output"]) or agent["exception"] != gold["exception"]:
        return "output mismatch" + (f" (inputs differ: {differ})" if differ else "")
    return f"input mismatch: {differ}" if differ else "the API's rule does not accept it"


def _score_call(row: dict[str, Any], level: int, pred: str, gold_db: _Gold) -> tuple[bool, str, str | None, str | None]:
    """``(valid, reason, gold api, predicted api)`` of an ``api`` row."""
    from coalm_env.domains.apibank.scoring import check_call
    from coalm_env.domains.apibank.session import run_on_copy
    from coalm_env.parsing import parse_action

    where = _call_index(row, level)
    if isinstance(where, str):
        return False, where, None, None
    found = gold_db.step(*where)
    if isinstance(found, str):
        return False, found, None, None
    step, view = found
    parsed = parse_action(pred)
    if parsed.kind == StepKind.ERROR:
        return False, f"malformed call: {parsed.error}", step["name"], None
    if parsed.kind != StepKind.TOOL_CALLS or not parsed.calls:
        return False, "no API call found", step["name"], None
    call = _official_values(parsed.calls[0])
    if call.name != step["name"]:
        return False, f"API name mismatch: {call.name} vs {step['name']}", step["name"], call.name
    gold_call = ToolCall(name=step["name"], arguments=dict(step["input"]))
    gold = run_on_copy(gold_db.graph, gold_db.store, view, gold_call)
    agent = run_on_copy(gold_db.graph, gold_db.store, view, call)
    if check_call(step["name"], agent, gold, level):
        return True, "ok", step["name"], call.name
    return False, _why_wrong(agent, gold, level), step["name"], call.name


def _response_text(pred: str, level: int) -> str:
    return pred.replace("User:", "").replace("AI:", "").strip() if level == 3 else pred


def score_rows(rows: Sequence[dict[str, Any] | _Problem], level: int, field_name: str = "pred") -> list[RowScore]:
    """One :class:`RowScore` per row, in order (see the module docstring)."""
    from coalm_env.domains.apibank.scoring import text_metrics

    if level not in _KEYS:
        raise ConfigError(f"API-Bank level must be 1, 2 or 3, got {level!r}")
    gold_db: _Gold | None = None
    scores = []
    for line, row in enumerate(rows, 1):
        if isinstance(row, _Problem):
            scores.append(RowScore(line, {}, None, False, row.reason))
            continue
        ids = {k: row[k] for k in ID_FIELDS if k in row}
        missing = [k for k in _KEYS[level] if k not in row]
        expected = expected_text(row)
        if missing or expected is None:
            need = missing + ([] if expected is not None else ["expected_output" if level < 3 else "output"])
            scores.append(RowScore(line, ids, None, False, f"missing field(s) {need} for a level-{level} row"))
            continue
        if not isinstance(expected, str):
            scores.append(RowScore(line, ids, None, False, "the expected output is not text"))
            continue
        kind = "api" if expected.lstrip().startswith("API-Request:") else "response"
        pred = row.get(field_name)
        if field_name not in row:
            scores.append(RowScore(line, ids, kind, False, f"no {field_name!r} field",
                                   metrics=dict.fromkeys(_METRICS, 0.0)))
            continue
        if not isinstance(pred, str):
            scores.append(RowScore(line, ids, kind, False, f"the {field_name!r} field is not text",
                                   metrics=dict.fromkeys(_METRICS, 0.0)))
            continue
        hyp = _response_text(pred, level) if kind == "response" else pred
        metrics = text_metrics([(hyp, expected)]) if hyp.strip() else dict.fromkeys(_METRICS, 0.0)
        if kind == "response":
            scores.append(RowScore(line, ids, kind, bool(hyp.strip()), "ok" if hyp.strip() else "empty prediction",
                                   metrics=metrics))
            continue
        gold_db = gold_db or _Gold(level)
        valid, reason, api, pred_api = _score_call(row, level, pred, gold_db)
        scores.append(RowScore(line, ids, kind, valid, reason, api, pred_api, metrics))
    return scores


def summary(scores: Iterable[RowScore]) -> dict[str, dict[str, float]]:
    """Per row kind: ``rows``, and for ``api`` rows ``valid`` and ``call_accuracy``; the mean text
    metrics; rows that could not be read count under ``unreadable``."""
    out: dict[str, dict[str, float]] = {}
    for s in scores:
        group = out.setdefault(s.kind or "unreadable", {"rows": 0, "valid": 0, **dict.fromkeys(_METRICS, 0.0)})
        group["rows"] += 1
        group["valid"] += int(s.valid)
        for m in _METRICS:
            group[m] += s.metrics.get(m, 0.0)
    for kind, group in out.items():
        n = group["rows"]
        for m in _METRICS:
            group[m] = group[m] / n
        if kind == "api":
            group["call_accuracy"] = group["valid"] / n
    return out


def score_file(path: Path, level: int, field_name: str = "pred") -> list[RowScore]:
    """:func:`score_rows` of the rows of ``path`` (:func:`read_rows`)."""
    return score_rows(read_rows(path), level, field_name)
