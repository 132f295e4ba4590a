"""``coalm-env export RUN_DIR... --format coalm-it|chat --out FILE``: trajectories -> training samples."""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export trajectories as CoALM-IT or chat-with-tools training samples")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories (or trajectories.jsonl files)")
    p.add_argument("--format", choices=["coalm-it", "chat"], default="coalm-it", dest="fmt")
    p.add_argument("--out", required=True, metavar="FILE", help="output .jsonl (or .json) file")
    p.add_argument("--allow-split", action="append", default=[], metavar="SPLIT",
                   help="also export this split (train always); val/test leak into training otherwise refused")
    p.add_argument("--skip-leaks", action="store_true", help="skip non-train trajectories instead of failing")
    p.add_argument("--all-episodes", action="store_true", help="keep failed episodes too (default: successes only)")
    p.add_argument("--compact", action="store_true", help="the compact CRA prompt (small models)")
    p.add_argument("--history", type=int, default=None, metavar="N", help="keep only the last N earlier user turns")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from coalm_env.train.export import export, load_trajectories, write_samples

    samples, stats = export(load_trajectories(args.runs), args.fmt, allow_splits=["train", *args.allow_split],
                            on_leak="skip" if args.skip_leaks else "error", only_success=not args.all_episodes,
                            compact=args.compact, history=args.history)
    path = write_samples(samples, args.out)
    print(json.dumps(stats.to_dict(), sort_keys=True))
    print(f"wrote {len(samples)} samples to {path}")
    return 0
