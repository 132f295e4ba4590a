"""``coalm-env bench``: the speed table of issue 16 (env loops, flatness in dialogue length, reset() against
database size, memory of concurrent episodes); see :mod:`coalm_env.bench`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coalm_env.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    from coalm_env.bench import LOOPS

    p = sub.add_parser("bench", help="speed: loops, steps vs turn index, reset vs db size, memory")
    p.add_argument("--quick", action="store_true", help="tiny counts: a smoke test of every section")
    p.add_argument("--loops", default="", help=f"comma-separated loops (default: all): {', '.join(s[0] for s in LOOPS)}")
    p.add_argument("--episodes", type=int, default=None, help="episodes per loop and round (default 100)")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3)")
    p.add_argument("--turns", type=int, default=None, help="longest dialogue of the flatness section (default 64)")
    p.add_argument("--concurrent", type=int, default=None, help="episodes held open for the memory figure (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="also write the results as JSON to this file")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from coalm_env.bench import BenchConfig, LOOPS, format_report, run_bench

    loops = tuple(x.strip() for x in args.loops.split(",") if x.strip())
    known = [s[0] for s in LOOPS]
    for name in loops:
        if name not in known:
            raise ConfigError(f"unknown loop {name!r}: choose from {', '.join(known)}")
    cfg = BenchConfig.quick(loops or None) if args.quick else BenchConfig(**({"loops": loops} if loops else {}))
    for field, value in (("episodes", args.episodes), ("rounds", args.rounds), ("turns", args.turns),
                         ("concurrent", args.concurrent)):
        if value is not None:
            if value < 1:
                raise ConfigError(f"--{field} must be at least 1, got {value}")
            setattr(cfg, field, value)
    cfg.seed = args.seed
    out = Path(args.out) if args.out else None
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        raise ConfigError(f"--out {out}: not a file in an existing folder")
    progress = None if args.no_progress else (lambda line: print(line, file=sys.stderr, flush=True))
    result = run_bench(cfg, progress)
    print(format_report(result))
    if out is not None:
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {out}")
    return 0
