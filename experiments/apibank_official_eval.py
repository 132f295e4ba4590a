"""API-Bank official-format scoring on variants of the real gold rows (issue 15).

From every ``api`` row of ``level-1-api.json``, ``level-2-api.json`` and ``level-3-batch-inf.json``
this builds predictions of known meaning and scores them with ``coalm-env score-apibank``'s scorer
(:mod:`coalm_env.domains.apibank.official`):

* ``gold``: the gold text as it is (target: 100% pass);
* meaning-equal (target >= 99% pass): ``order`` (arguments reversed), ``quotes`` (double quotes),
  ``lists`` (list arguments as lists, not list text), ``no_prefix`` (no ``API-Request:``),
  ``unquoted_numbers`` (digit values without quotes), ``text_around`` (a sentence before and after);
* wrong (target >= 99% fail): ``wrong_api`` (another API of the level), ``dropped_arg`` (one argument
  left out), ``extra_arg`` (a described parameter the gold call does not pass, or an unknown one),
  ``other_value`` (one argument set to the value another gold call of the API gives it; not for the
  inputs the official check ignores, :data:`IGNORED`, nor ToolSearcher keywords, which are judged by
  what they retrieve: those are ``other_keywords``, expected either way and shown for information),
  ``shifted_time`` (a date or time moved by a day / an hour), ``missing_token`` (the user ``token``
  argument left out), ``malformed`` (the text cut inside the call).

A kind applies only to rows it can change (``n`` differs per kind). Random choices come from
``--seed``. With ``--official DIR`` (a checkout of DAMO-ConvAI's ``api-bank`` folder, read and run
from there, never copied) the official rules also judge every prediction: its extractor
(``api_call_extraction``), its ``ToolManager`` on a fresh database, and the API's
``check_api_call_correctness``; the table then shows their pass rate and the per-prediction agreement.

Run: ``COALM_ENV_DATA=/work/shared/data python experiments/apibank_official_eval.py --out
experiments/results/apibank_official/table.md [--official DIR]``.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import platform
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from coalm_env import data
from coalm_env.domains.apibank.official import expected_text, score_rows
from coalm_env.domains.apibank.resources import descriptions
from coalm_env.parsing import _OFFICIAL_KEY_RE, parse_action

FILES = {1: "level-1-api.json", 2: "level-2-api.json", 3: "level-3-batch-inf.json"}
EQUAL = ("order", "quotes", "lists", "no_prefix", "unquoted_numbers", "text_around")
WRONG = ("wrong_api", "dropped_arg", "extra_arg", "other_value", "shifted_time", "missing_token", "malformed")
INFO = ("other_keywords",)
#: (level or None for any, API) -> inputs whose official check ignores them (another value is not wrong)
IGNORED = {(3, "EmailReminder"): {"content"}, (None, "DeleteAgenda"): {"content", "location"},
           (None, "DeleteReminder"): {"content"}}
_CALL_RE = re.compile(r"^API-Request:\s*\[(\w+)\((.*)\)\]\s*$", re.DOTALL)


def _segments(params: str) -> list[tuple[str, str]]:
    """``(key, raw value text)`` of the gold text's arguments, as written."""
    keys = list(_OFFICIAL_KEY_RE.finditer(params))
    return [(m.group("key"), params[m.end(): keys[i + 1].start() if i + 1 < len(keys) else len(params)].strip())
            for i, m in enumerate(keys)]


def _unquote(raw: str) -> str:
    return raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" else raw


def _render(name: str, args: list[tuple[str, str]], prefix: bool = True) -> str:
    body = f"[{name}({', '.join(f'{k}={v}' for k, v in args)})]"
    return f"API-Request: {body}" if prefix else body


def _as_list(text: str) -> Any:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, list) else None


_TIME_FORMATS = (("%Y-%m-%d %H:%M:%S", dt.timedelta(hours=1)), ("%Y-%m-%d", dt.timedelta(days=1)))


def _shifted(text: str) -> str | None:
    for fmt, delta in _TIME_FORMATS:
        try:
            return (dt.datetime.strptime(text, fmt) + delta).strftime(fmt)
        except ValueError:
            continue
    return None


def variants(rows: list[dict[str, Any]], level: int, rng: np.random.Generator) -> dict[str, list[tuple[int, str]]]:
    """``kind -> [(row index, prediction text)]``."""
    apis = sorted(descriptions(level))
    parsed = {}
    for i, row in enumerate(rows):
        m = _CALL_RE.match(expected_text(row).strip())
        if m:
            parsed[i] = (m.group(1), _segments(m.group(2)))
    values: dict[tuple[str, str], set[str]] = defaultdict(set)  # (api, param) -> values in gold calls
    for name, args in parsed.values():
        for k, raw in args:
            values[(name, k)].add(_unquote(raw))
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for i, (name, args) in parsed.items():
        gold = expected_text(rows[i]).strip()
        out["gold"].append((i, gold))
        if len(args) >= 2:
            out["order"].append((i, _render(name, args[::-1])))
        out["quotes"].append((i, _render(name, [(k, json.dumps(_unquote(v))) for k, v in args])))
        listed = [(k, repr(_as_list(_unquote(v))) if _as_list(_unquote(v)) is not None else v) for k, v in args]
        if listed != args:
            out["lists"].append((i, _render(name, listed)))
        out["no_prefix"].append((i, _render(name, args, prefix=False)))
        numbers = [(k, _unquote(v) if re.fullmatch(r"'\d+(\.\d+)?'", v) else v) for k, v in args]
        if numbers != args:
            out["unquoted_numbers"].append((i, _render(name, numbers)))
        out["text_around"].append((i, f"Sure, I will do that for you. {gold} Let me know if you need anything else."))
        # wrong predictions
        other = [a for a in apis if a != name]
        out["wrong_api"].append((i, _render(str(rng.choice(other)), args)))
        if args:
            drop = int(rng.integers(len(args)))
            out["dropped_arg"].append((i, _render(name, args[:drop] + args[drop + 1:])))
        described = list(descriptions(level).get(name, {}).get("input_parameters", {}))
        unused = [p for p in described if p not in {k for k, _ in args}]
        extra = (str(rng.choice(unused)) if unused else "extra_note", "'an extra value'")
        out["extra_arg"].append((i, _render(name, args + [extra])))
        ignored = IGNORED.get((level, name), set()) | IGNORED.get((None, name), set())
        choices = [(j, k) for j, (k, v) in enumerate(args) if k not in ignored
                   and any(_unquote(v).strip().lower() != o.strip().lower() for o in values[(name, k)])]
        if choices:
            j, k = choices[int(rng.integers(len(choices)))]
            mine = _unquote(args[j][1]).strip().lower()
            alternatives = sorted(o for o in values[(name, k)] if o.strip().lower() != mine)
            new = alternatives[int(rng.integers(len(alternatives)))]
            kind = "other_keywords" if name == "ToolSearcher" else "other_value"
            out[kind].append((i, _render(name, args[:j] + [(k, f"'{new}'")] + args[j + 1:])))
        times = [(j, _shifted(_unquote(v))) for j, (k, v) in enumerate(args) if _shifted(_unquote(v))]
        if times:
            j, new = times[int(rng.integers(len(times)))]
            out["shifted_time"].append((i, _render(name, args[:j] + [(args[j][0], f"'{new}'")] + args[j + 1:])))
        if any(k == "token" for k, _ in args):
            out["missing_token"].append((i, _render(name, [(k, v) for k, v in args if k != "token"])))
        start = gold.index("(") + 1
        cut = int(rng.integers(start, len(gold) - 1))
        out["malformed"].append((i, gold[:cut]))
    return out


# -- the official rules, run from a checkout (never copied) --------------------------------------
class Official:
    """The official extractor, ToolManager and per-API checks, imported from ``root`` (the api-bank
    folder). Modules it imports for models or web services this check never calls (sentence
    transformers, googletrans, ...) are stubbed; ToolSearcher, Dictionary, Translate and SearchEngine rows are
    therefore not judged by it (``None``)."""

    SKIP = {"ToolSearcher", "Dictionary", "Translate", "SearchEngine"}

    def __init__(self, root: Path, level: int):
        import importlib
        import os
        import types

        for name in ("sentence_transformers", "googletrans", "rank_bm25", "nltk", "requests"):
            if name not in sys.modules:
                try:
                    importlib.import_module(name)
                except ImportError:
                    stub = types.ModuleType(name)
                    stub.__getattr__ = lambda attr: type(attr, (), {"__init__": lambda self, *a, **k: None})
                    sys.modules[name] = stub
        self.root, self.cwd = root, os.getcwd()
        sys.path.insert(0, str(root))
        os.chdir(root)  # ToolManager reads ./apis and ./init_database
        try:
            self.extraction = importlib.import_module("api_call_extraction")
            self.manager_cls = importlib.import_module("tool_manager").ToolManager
            self.apis_dir = "./lv3_apis" if level == 3 else "./apis"
        finally:
            os.chdir(self.cwd)
        self.level = level
        self.gold = json.loads(data.require("apibank", "test-data", "level-3.json").read_text()) if level == 3 else None

    def _gold_result(self, row: dict[str, Any]) -> tuple[str, Any]:
        if self.level == 3:
            api = self.gold[row["sample_id"]]["apis"][row["api_id"]]
            return api["api_name"], api["output"]
        turns = [json.loads(line) for line in data.require(
            "apibank", "lv1-lv2-samples", "level-1-given-desc" if self.level == 1 else "level-2-toolsearcher",
            row["file"]).read_text().splitlines() if line.strip()]
        positions = [i for i, t in enumerate(turns) if t["role"] == "API"]
        k, odd = divmod(row["id"], 2)
        turn = turns[positions[k] + odd]
        return turn["api_name"], turn["result"]

    def judge(self, row: dict[str, Any], pred: str) -> bool | None:
        import copy
        import os

        name, gold = self._gold_result(row)
        if name in self.SKIP:
            return None
        os.chdir(self.root)
        try:
            call = self.extraction.get_api_call(pred)
            if not call:
                return False
            try:
                api_name, params = self.extraction.parse_api_call(call)
            except Exception:  # the official script counts a parse failure as wrong
                return False
            if api_name != name:
                return False
            manager = self.manager_cls(self.apis_dir)  # a fresh database, as the official scripts
            try:
                result = manager.api_call(api_name, **params)
            except Exception:  # AssertionError / TypeError / invalid tool: wrong, as the official scripts count it
                return False
            try:
                return bool(manager.init_tool(name).check_api_call_correctness(copy.deepcopy(result),
                                                                               copy.deepcopy(gold)))
            except Exception:  # KeyError / AssertionError: wrong
                return False
        finally:
            os.chdir(self.cwd)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--levels", default="1,2,3")
    ap.add_argument("--official", type=Path, help="DAMO-ConvAI api-bank folder, to run the official rules too")
    ap.add_argument("--out", type=Path, help="write the table (markdown) here too")
    args = ap.parse_args(argv)
    lines = ["| level | kind | expect | n | pass rate | target met |"
             + (" official n | official pass | agreement | n (official passes gold) | agreement there |"
                if args.official else ""),
             "|---|---|---|---|---|---|" + ("---|---|---|---|---|" if args.official else "")]
    notes: list[str] = []
    for level in (int(x) for x in args.levels.split(",")):
        rows = json.loads(data.require("apibank", "test-data", FILES[level]).read_text())
        rng = np.random.default_rng([args.seed, level])
        official = Official(args.official, level) if args.official else None
        gold_ok: dict[int, bool | None] = {}
        made = variants(rows, level, rng)
        for kind in ("gold", *EQUAL, *WRONG, *INFO):
            items = made.get(kind)
            if not items:
                continue
            batch = [{**rows[i], "pred": text} for i, text in items]
            verdicts = [s.valid for s in score_rows(batch, level)]
            rate = sum(verdicts) / len(verdicts)
            expect = "pass" if kind in ("gold", *EQUAL) else "either" if kind in INFO else "fail"
            met = rate == 1.0 if kind == "gold" else rate >= 0.99 if expect == "pass" else \
                rate <= 0.01 if expect == "fail" else None
            shown = "-" if met is None else "yes" if met else "NO"
            line = f"| {level} | {kind} | {expect} | {len(verdicts)} | {rate:.4f} | {shown} |"
            if official is not None:
                theirs = [official.judge(row, row["pred"]) for row in batch]
                if kind == "gold":
                    gold_ok = {i: b for (i, _), b in zip(items, theirs)}
                pairs = [(a, b) for a, b in zip(verdicts, theirs) if b is not None]
                agree = sum(a == b for a, b in pairs) / len(pairs) if pairs else float("nan")
                passed = sum(b for _, b in pairs) / len(pairs) if pairs else float("nan")
                clean = [(a, b) for (i, _), a, b in zip(items, verdicts, theirs) if b is not None and gold_ok.get(i)]
                clean_agree = sum(a == b for a, b in clean) / len(clean) if clean else float("nan")
                line += f" {len(pairs)} | {passed:.4f} | {agree:.4f} | {len(clean)} | {clean_agree:.4f} |"
                if kind == "gold":
                    failed = Counter(official._gold_result(row)[0] for row, b in zip(batch, theirs) if b is False)
                    notes.append(f"- level {level}: gold rows the official rules fail, by API: "
                                 + ", ".join(f"{name} {n}" for name, n in sorted(failed.items())))
            print(line, flush=True)
            lines.append(line)
    header = (f"API-Bank official-format scoring on variants of the gold rows (seed {args.seed}); "
              f"{dt.date.today().isoformat()}, {platform.machine()} {platform.python_version()}; "
              f"command: `python experiments/apibank_official_eval.py{' --official DIR' if args.official else ''}`\n")
    if args.official:
        notes[:0] = [
            "Official columns: the official extractor, ToolManager (a fresh database per call, as its",
            "scripts run) and check_api_call_correctness, run from the DAMO-ConvAI checkout; ToolSearcher,",
            "Dictionary, Translate and SearchEngine rows are not judged by it (model / web service / nltk",
            "data); `n (official passes gold)`: the variants of rows whose gold text the official rules",
            "pass. Its gold failures are the documented deviations (coalm_env/domains/apibank/official.py):",
            "list arguments it cannot parse (AddMeeting, ModifyMeeting, QueryMeeting, RecordHealthData,",
            "MovieRecommendations), calls that need an earlier call's state (ForgotPassword, GetUserToken,",
            "RegisterUser, QueryRegistration), `on='True'` vs the recorded boolean and device_id vs name",
            "(TimedSwitch, CancelTimedSwitch), QueryScene's capitalised recordings, DeleteMeeting's KeyError.",
            "Other disagreements: unquoted decimals (`latitude=37.7749`), which its bare-value pattern `\\w+`",
            "reads as `37` (level-3 unquoted_numbers), and Agenda writes with another user's valid token, which",
            "its AddAgenda/ModifyAgenda checks accept (they compare content, time, location and result, not",
            "the token; level-1 other_value): here the token must match (documented in official.py).",
            "",
        ]
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(header + "\n" + "\n".join(lines) + "\n" + ("\n" + "\n".join(notes) + "\n" if notes else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
