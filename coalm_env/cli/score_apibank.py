"""``coalm-env score-apibank FILE --level 1|2|3 [--field pred] [--out FILE]``: score API-Bank's official
evaluation files with a model prediction per row.

FILE is one of the dataset's ``test-data`` files (``level-{1,2}-api.json``, ``level-{1,2}-response.json``,
``level-3-batch-inf.json``, ``level-3-batch-inf-response.json``; a JSON array or JSON lines) whose rows
carry the prediction in ``pred`` (or ``--field``). Prints, per row kind, the call accuracy and the mean
ROUGE-L/1/2 and BLEU-4 against the expected output; ``--out`` writes one JSON line per input row, in
input order, with the row's id fields, ``valid`` and ``reason``
(:mod:`coalm_env.domains.apibank.official`, which documents every deviation from the official
evaluator).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score-apibank", help="score API-Bank's official evaluation files (a prediction per row)")
    p.add_argument("file", type=Path, help="an official test-data file with a prediction per row")
    p.add_argument("--level", type=int, choices=(1, 2, 3), required=True, help="the API-Bank level of the file")
    p.add_argument("--field", default="pred", help="the row field holding the prediction (default: pred)")
    p.add_argument("--out", type=Path, help="write one JSON line per input row: id fields, valid, reason")
    p.set_defaults(func=run)


def _table(summary: dict[str, dict[str, float]], level: int) -> str:
    from tabulate import tabulate

    rows = []
    for kind, g in summary.items():
        accuracy = f"{g['call_accuracy']:.4f}" if "call_accuracy" in g else "-"
        valid = int(g["valid"]) if kind == "api" else "-"
        rows.append((level, kind, int(g["rows"]), valid, accuracy,
                     *(f"{g[m]:.4f}" for m in ("rouge_l", "rouge_1", "rouge_2", "bleu_4"))))
    return tabulate(rows, headers=("level", "kind", "n", "valid", "call_accuracy", "rouge_l", "rouge_1",
                                   "rouge_2", "bleu_4"), disable_numparse=True)


def run(args: argparse.Namespace) -> int:
    from coalm_env.domains.apibank.official import score_file, summary

    scores = score_file(args.file, args.level, args.field)
    print(_table(summary(scores), args.level))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            for score in scores:
                fh.write(json.dumps(score.to_dict(), ensure_ascii=False) + "\n")
        print(f"per-row verdicts: {args.out}")
    return 0
