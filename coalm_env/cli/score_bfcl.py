"""``coalm-env score-bfcl RESULT_FILE [--out FILE] [--strict]``: rescore a BFCL multi-turn result file.

The file is BFCL's own result format (JSON lines with ``id`` and ``result``: per turn, per step,
the model's calls as text, call strings or ``{name: arguments}`` objects). Verdicts come from the
same checker the env scores with; execution parses calls, it never evaluates them. With ``--strict``
each entry also gets the strict verdict (:mod:`coalm_env.domains.bfcl.strict`), beside the official
one: the summary adds the strict rates and the ``--out`` lines ``strict_valid`` and ``strict_reasons``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score-bfcl", help="rescore a BFCL multi-turn result file with the official rules")
    p.add_argument("result_file", type=Path, help="BFCL result file (JSON lines with 'id' and 'result')")
    p.add_argument("--out", type=Path, help="write one JSON line per entry: id, valid, and why when invalid")
    p.add_argument("--strict", action="store_true",
                   help="also give the strict verdict (official verdict and no unknown-function or errored call, "
                        "no repeated write, no write in an empty turn, each turn's ground-truth calls in that turn "
                        "in dependency order)")
    p.set_defaults(func=run)


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ConfigError(f"result file not found: {path}")
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
    if not rows:
        raise ConfigError(f"{path} holds no result lines")
    return rows


def _table(counts: dict[str, tuple[int, int]], strict: dict[str, int] | None = None) -> str:
    """Per category: valid, entries, accuracy (and with ``strict``: strict valid and strict accuracy)."""
    from tabulate import tabulate

    totals = (sum(ok for ok, _ in counts.values()), sum(n for _, n in counts.values()))
    rows = []
    for c, (ok, n) in [*counts.items(), ("overall", totals)]:
        row = [c, ok, n, f"{ok / n:.4f}"]
        if strict is not None:
            s = sum(strict.values()) if c == "overall" else strict.get(c, 0)
            row += [s, f"{s / n:.4f}"]
        rows.append(row)
    headers = ["category", "valid", "entries", "accuracy"]
    headers += ["strict_valid", "strict_accuracy"] if strict is not None else []
    return tabulate(rows, headers=headers, disable_numparse=True)


def _strict_verdicts(rows: list[dict[str, Any]], scores: list[Any]) -> list[Any]:
    from coalm_env.domains.bfcl.results import decode_result
    from coalm_env.domains.bfcl.strict import StrictVerdict, strict_check

    entries = {e.id: e for e in _entries(s.category for s in scores)}
    out = []
    for row, score in zip(rows, scores):
        entry = entries[score.id]
        turns = decode_result(row["result"], entry)
        if turns is None:  # inference_error: the official verdict already failed
            reason = {"kind": "official", "turn": None, "detail": score.verdict.error_type}
            out.append(StrictVerdict(False, [reason]))
        else:
            out.append(strict_check(entry, turns, score.verdict))
    return out


def _entries(categories: Any) -> list[Any]:
    from coalm_env.domains.bfcl.entries import load_entries

    return [e for c in dict.fromkeys(categories) for e in load_entries(c)]


def run(args: argparse.Namespace) -> int:
    from coalm_env.domains.bfcl.results import category_accuracy, score_results

    rows = _read_rows(args.result_file)
    scores = score_results(rows)
    stricts = _strict_verdicts(rows, scores) if args.strict else None
    strict_counts: dict[str, int] | None = None
    if stricts is not None:
        strict_counts = {}
        for score, sv in zip(scores, stricts):
            strict_counts[score.category] = strict_counts.get(score.category, 0) + int(sv.valid)
    print(_table(category_accuracy(scores), strict_counts))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            for n, score in enumerate(scores):
                line = score.to_dict() | (stricts[n].to_dict() if stricts is not None else {})
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        print(f"per-entry verdicts: {args.out}")
    return 0
