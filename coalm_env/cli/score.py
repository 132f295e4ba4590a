"""``coalm-env score DIR``: re-score a run's trajectories with the domain scorer (replaying tool calls)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from coalm_env.rescore import rescore_all
from coalm_env.rollout import read_trajectories, summarize


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="re-score saved trajectories (trajectories.jsonl) and summarize them")
    p.add_argument("run_dir", help="a directory written by `coalm-env rollout` (or a trajectories.jsonl file)")
    p.add_argument("--out", default=None, metavar="FILE", help="where to write the summary (default: DIR/rescore.json)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    source = Path(args.run_dir)
    run_dir = source if source.is_dir() else source.parent
    recorded = read_trajectories(source)
    rescored, report = rescore_all(recorded)
    before = _recorded_summary(run_dir)
    fields = {k: before[k] for k in ("policy", "user", "seed", "split", "options") if k in before}
    summary = summarize(rescored, **fields, rescore=report.to_dict())
    out = Path(args.out) if args.out else run_dir / "rescore.json"
    out.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(_table(summarize(recorded)["metrics"], summary["metrics"]))
    print(f"\n{report.rescored} re-scored, {report.kept} kept as recorded, {report.changed} changed, "
          f"{report.replay_mismatches} replay mismatches ({report.write_mismatches} of state-changing calls, "
          f"{report.state_mismatches} end states differ); wrote {out}")
    for problem in report.problems:
        print(f"note: {problem}", file=sys.stderr)
    return 0


def _recorded_summary(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "summary.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _table(recorded: dict[str, float], rescored: dict[str, float]) -> str:
    keys = sorted(set(recorded) | set(rescored), key=lambda k: (k != "success", k))
    rows = [[k, _fmt(recorded.get(k)), _fmt(rescored.get(k))] for k in keys]
    return tabulate(rows, headers=["metric", "recorded", "re-scored"], disable_numparse=True)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
