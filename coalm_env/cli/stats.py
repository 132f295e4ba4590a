"""``coalm-env stats DIR [DIR ...] [--compare A B]``: statistics of sweep or rollout directories."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from coalm_env.errors import UnknownNameError
from coalm_env.stats import analyze, compare_cells, group_by_cell, load_records
from coalm_env.stats.records import EpisodeRecord
from coalm_env.stats.tables import breakdown_table, cells_table, comparison_table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="bootstrap CIs, pass^k, flip rates, breakdowns and paired comparisons")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="sweep directories (results.jsonl) or rollout directories")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"),
                   help="paired comparison of two cells: a cell label, a cell id, or a unique part of a label")
    p.add_argument("--metric", default="success", help="the metric --compare compares (default: success)")
    p.add_argument("--include-errored", action="store_true",
                   help="count errored episodes as failures in success statistics (default: leave them out)")
    p.add_argument("--breakdowns", action="store_true", help="also print success per policy and domain/persona/stop")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    p.add_argument("--json", default=None, metavar="FILE", help="also write every statistic to FILE")
    p.set_defaults(func=run)


def _pick(cells: dict[str, list[EpisodeRecord]], ids: dict[str, str], name: str) -> str:
    if name in cells:
        return name
    if name in ids:
        return ids[name]
    matches = [label for label in cells if name in label]
    if len(matches) == 1:
        return matches[0]
    raise UnknownNameError("cell" if not matches else f"cell (ambiguous: {len(matches)} match)", name, cells)


def _cell_ids(dirs: list[str]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for d in dirs:
        manifest = Path(d) / "sweep.json"
        if manifest.exists():
            ids.update(json.loads(manifest.read_text(encoding="utf-8")).get("cells", {}))
    return ids


def run(args: argparse.Namespace) -> int:
    records = [rec for d in args.dirs for rec in load_records(d)]
    opts: dict[str, Any] = {"include_errored": args.include_errored, "seed": args.seed}
    stats = analyze(records, **opts)
    print(cells_table(stats["cells"]))
    if args.breakdowns:
        for by, groups in stats["breakdowns"].items():
            print("\n" + breakdown_table(f"policy | {by}", groups))
    if args.compare:
        cells = group_by_cell(records)
        a, b = (_pick(cells, _cell_ids(args.dirs), name) for name in args.compare)
        result = compare_cells(cells[a], cells[b], metric=args.metric, seed=args.seed)
        stats["comparison"] = {"a": a, "b": b, **result}
        print("\n" + comparison_table(a, b, result))
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0
