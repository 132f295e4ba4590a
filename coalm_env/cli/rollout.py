"""``coalm-env rollout ENV_ID --policy P --user U ...``: run episodes, write trajectories and a summary."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tabulate import tabulate

from coalm_env.errors import ConfigError
from coalm_env.rollout import RolloutConfig, run_rollouts


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rollout", help="run a policy against a simulated user; write trajectories and a summary")
    p.add_argument("env_id", help="a registered id, e.g. coalm/Travel-v0 (see `coalm-env list`)")
    d = RolloutConfig.default  # the run defaults live in RolloutConfig alone
    p.add_argument("--policy", default=d("policy"), help=f"policy spec, e.g. oracle, rule, random (default: {d('policy')})")
    p.add_argument("--user", default=d("user"), help="user spec, e.g. agenda or agenda:patience=3 (default: the domain's)")
    p.add_argument("--episodes", type=int, default=d("episodes"), help=f"number of episodes (default: {d('episodes')})")
    p.add_argument("--seed", type=int, default=d("seed"),
                   help=f"run seed; episode i is seeded from (seed, i) (default: {d('seed')})")
    p.add_argument("--split", default=d("split"), help=f"scenario split (default: {d('split')})")
    p.add_argument("--scenario", action="append", dest="scenarios", metavar="ID",
                   help="play this scenario id (repeatable; the episodes cycle through them)")
    p.add_argument("--out", default=None, metavar="DIR", help="output directory (default: runs/ENV-POLICY-sSEED)")
    p.add_argument("--batch-size", type=int, default=d("batch_size"),
                   help=f"live episodes per tick (default: {d('batch_size')})")
    p.add_argument("--env-option", action="append", default=[], metavar="KEY=VALUE",
                   help="env/domain option, value parsed as JSON when it parses (repeatable), e.g. level=2")
    p.add_argument("--faults", default=d("faults"), metavar="KIND=RATE,...",
                   help="backend faults at seeded rates, e.g. transient=0.05,timeout=0.02,rate_limit=0.01")
    p.add_argument("--runner", choices=["lockstep", "async"], default="lockstep",
                   help="lockstep: batched ticks (in-process models); async: one coroutine per episode, "
                        "for generation servers (coalm_env.rollout_async)")
    p.add_argument("--concurrency", type=int, default=None,
                   help="async runner: episodes at once (default: --batch-size)")
    p.add_argument("--resume", action="store_true",
                   help="keep the finished episodes in --out (a killed run of the same arguments) and play "
                        "only the missing ones, instead of truncating (lockstep runner)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def parse_options(items: list[str], flag: str = "--env-option", example: str = "level=2") -> dict[str, Any]:
    """``["level=2", "category=miss_func"]`` -> ``{"level": 2, "category": "miss_func"}`` (values parsed as
    JSON when they parse); ``flag`` and ``example`` word the error for the command's own option name."""
    out: dict[str, Any] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"bad {flag} {item!r}", hint=f"write KEY=VALUE, e.g. {flag} {example}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def check_out_dir(out: str) -> None:
    """Refuse, before any episode runs, an ``--out`` that is a file or a place that cannot be written."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {out} is a file, not a directory", hint="pass a directory (it is created if needed)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".coalm-write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot write there ({exc.strerror or exc})",
                          hint="pass --out DIR in a writable place") from exc


def default_out(env_id: str, policy: str, seed: int) -> str:
    slug = "".join(c if c.isalnum() or c in "-." else "_" for c in f"{env_id}-{policy}")
    return f"runs/{slug}-s{seed}"


def run(args: argparse.Namespace) -> int:
    out = args.out or default_out(args.env_id, args.policy, args.seed)
    config = RolloutConfig(
        env_id=args.env_id,
        policy=args.policy,
        user=args.user,
        episodes=args.episodes,
        seed=args.seed,
        split=args.split,
        scenario_ids=args.scenarios,
        batch_size=args.batch_size,
        env_options=parse_options(args.env_option),
        out_dir=out,
        faults=args.faults,
    )
    check_out_dir(out)
    if args.runner == "async":
        from coalm_env.rollout_async import run_rollouts_async

        if args.resume:
            raise ConfigError("--resume works with the lockstep runner", hint="drop --runner async")
        result = run_rollouts_async(config, concurrency=args.concurrency)
    else:
        result = run_rollouts(config, progress=not args.no_progress, resume=args.resume)
    print(summary_table(result.summary))
    t = result.timing
    print(f"\n{t['episodes_per_s']:.1f} episodes/s, {t['steps_per_s']:.1f} steps/s; wrote {out}/")
    return 0


def summary_table(summary: dict[str, Any]) -> str:
    """The run summary as a two-column table: header fields, every metric mean, stop reasons."""
    rows: list[list[Any]] = [[k, summary.get(k)] for k in ("env_id", "policy", "user", "split", "seed", "episodes")]
    rows.append(["success_rate", f"{summary['success_rate']:.3f}"])
    rows += [[f"  {k}", f"{v:.3f}"] for k, v in summary["metrics"].items() if k != "success"]
    rows += [[f"stop: {k}", v] for k, v in summary["stop_reasons"].items()]
    return tabulate(rows, tablefmt="simple", disable_numparse=True)
