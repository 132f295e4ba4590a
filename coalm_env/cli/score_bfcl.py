"""``coalm-env score-bfcl RESULT_FILE [--out FILE]``: rescore a BFCL multi-turn result file.

The file is BFCL's own result format (JSON lines with ``id`` and ``result``: per turn, per step,
the model's calls as text, call strings or ``{name: arguments}`` objects). Verdicts come from the
same checker the env scores with; execution parses calls, it never evaluates them.
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


def _table(counts: dict[str, tuple[int, int]]) -> str:
    from tabulate import tabulate

    rows = [(c, ok, n, f"{ok / n:.4f}") for c, (ok, n) in counts.items()]
    valid = sum(ok for ok, _ in counts.values())
    total = sum(n for _, n in counts.values())
    rows.append(("overall", valid, total, f"{valid / total:.4f}"))
    return tabulate(rows, headers=("category", "valid", "entries", "accuracy"), disable_numparse=True)


def run(args: argparse.Namespace) -> int:
    from coalm_env.domains.bfcl.results import category_accuracy, score_results

    scores = score_results(_read_rows(args.result_file))
    print(_table(category_accuracy(scores)))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            for score in scores:
                fh.write(json.dumps(score.to_dict(), ensure_ascii=False) + "\n")
        print(f"per-entry verdicts: {args.out}")
    return 0
