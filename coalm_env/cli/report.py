"""``coalm-env report DIR [DIR ...] --out OUT``: report.md, PNG plots and a self-contained report.html."""

from __future__ import annotations

import argparse

from coalm_env.cli.stats import _cell_ids, _pick


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="report.md, plots (the [plot] extra) and report.html with a transcript viewer")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="sweep directories (results.jsonl) or rollout directories")
    p.add_argument("--out", required=True, metavar="OUT", help="output directory")
    p.add_argument("--compare", nargs=2, action="append", default=[], metavar=("A", "B"),
                   help="paired comparison of two cells (a label, a cell id or a unique part of a label; repeatable)")
    p.add_argument("--include-errored", action="store_true",
                   help="count errored episodes as failures in success statistics (default: leave them out)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots (no matplotlib needed)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from coalm_env.report import write_report

    pairs = []
    if args.compare:
        from coalm_env.report.load import load_episodes
        from coalm_env.stats import group_by_cell

        cells = group_by_cell(ep.record for ep in load_episodes(args.dirs))
        ids = _cell_ids(args.dirs)
        pairs = [(_pick(cells, ids, a), _pick(cells, ids, b)) for a, b in args.compare]
    stats = write_report(args.dirs, args.out, compare=pairs, seed=args.seed, include_errored=args.include_errored,
                         plots=not args.no_plots)
    episodes = sum(c["episodes"] for c in stats["cells"].values())
    print(f"{len(stats['cells'])} cells, {episodes} episodes; wrote {args.out}/report.md and report.html")
    return 0
