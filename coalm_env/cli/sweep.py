"""``coalm-env sweep CONFIG --out DIR --workers K [--backend ray [--address ADDR]]``: run a YAML grid,
resumably (on a local process pool or Ray actors); print per-cell statistics."""

from __future__ import annotations

import argparse
import sys

from coalm_env.errors import ConfigError
from coalm_env.stats.tables import cells_table
from coalm_env.sweep import load_config, run_sweep
from coalm_env.sweep.runner import BACKENDS


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="run a sweep config (YAML grid); resumable: a rerun skips finished episodes")
    p.add_argument("config", help="a sweep YAML file, e.g. experiments/sweeps/example.yaml")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="sweep directory: results.jsonl (one fsync'd line per episode), sweep.json, summary.json")
    p.add_argument("--workers", type=int, default=None, metavar="K",
                   help="worker processes (default: the config's execution.workers; 1 runs in this process)")
    p.add_argument("--backend", choices=BACKENDS, default="local",
                   help="where episodes run: local (this process or a process pool; default) or ray (one Ray "
                        "actor per worker; the [ray] extra)")
    p.add_argument("--address", default=None, metavar="ADDR",
                   help="with --backend ray: the Ray cluster to join (ray.init(address=ADDR), e.g. auto or "
                        "HEAD:6379); default: RAY_ADDRESS, else a local Ray instance with --workers CPUs")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    config = load_config(args.config)
    result = run_sweep(config, args.out, workers=args.workers, progress=not args.no_progress,
                       log=lambda msg: print(msg, file=sys.stderr), backend=args.backend, address=args.address)
    s = result.summary
    print(cells_table(s["cells"]))
    print(f"\n{s['episodes']}/{s['expected']} episodes ({result.ran} run now, {len(s['skipped'])} cells skipped), "
          f"config {s['config_hash']}; wrote {args.out}/summary.json")
    return 0
