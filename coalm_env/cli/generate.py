"""``coalm-env generate ENV_ID --split train --n N --out FILE [--seed S] [--option KEY=VALUE]``: scenarios as JSON lines.

Works for any domain: the domain is built with the options (``--seed`` is the domain's ``seed`` option),
and scenario ``i`` of the split is ``domain.generate(split, i)`` where the domain offers it (procedural
domains: nothing else is generated), else ``domain.scenarios(split)[i]``. Each line is
``Scenario.to_dict()``; :meth:`coalm_env.types.Scenario.from_dict` reads it back. The file is written
to a temporary name and renamed, so a killed run leaves no half file (``--out -`` writes to stdout).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from coalm_env.cli.rollout import parse_options
from coalm_env.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="write a split's scenarios (generated or dataset) as JSON lines")
    p.add_argument("env_id", help="a registered id, e.g. coalm/MultiWOZ-Procedural-v0 (see `coalm-env list`)")
    p.add_argument("--split", default="train", help="scenario split (default: train)")
    p.add_argument("--n", type=int, default=None, metavar="N", help="number of scenarios (default: the whole split)")
    p.add_argument("--start", type=int, default=0, metavar="I", help="first scenario index (default: 0), for shards")
    p.add_argument("--out", required=True, metavar="FILE", help="output .jsonl file ('-' for stdout)")
    p.add_argument("--seed", type=int, default=None, help="the domain's seed option (domains that take one)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="domain option, value parsed as JSON when it parses (repeatable), e.g. max_domains=2")
    p.set_defaults(func=run)


def scenario_source(domain: Any, split: str, start: int, n: int | None):
    """``(count, iterator of scenarios)`` for indices ``start .. start+count-1`` of ``split``."""
    if split not in domain.splits:
        from coalm_env.errors import UnknownNameError

        raise UnknownNameError(f"split of {domain.name}", split, domain.splits)
    generate = getattr(domain, "generate", None)
    if generate is not None and n is not None:
        return n, (generate(split, start + i) for i in range(n))
    pool = domain.scenarios(split)
    size = len(pool)
    if start > size or (n is not None and start + n > size):
        raise ConfigError(f"split {split!r} of {domain.name} has {size} scenarios; asked for indices "
                          f"{start}..{start + (n or 0) - 1}", hint=f"use --n <= {max(size - start, 0)}")
    count = size - start if n is None else n
    return count, (pool[start + i] for i in range(count))


def run(args: argparse.Namespace) -> int:
    from coalm_env.domains import domain_option_names
    from coalm_env.resolve import domain_for, lookup
    from coalm_env.types import Scenario

    if args.n is not None and args.n < 0 or args.start < 0:
        raise ConfigError("--n and --start must be >= 0")
    options = parse_options(args.option, flag="--option", example="max_domains=2")
    if args.seed is not None:
        known = domain_option_names(lookup(args.env_id)[0])
        if known is not None and "seed" not in known:
            raise ConfigError(f"{args.env_id} takes no seed (its scenarios are fixed)", hint="drop --seed")
        options["seed"] = args.seed
    domain = domain_for(args.env_id, **options)
    t0 = time.perf_counter()  # the domain is built (databases loaded); the time is the scenarios' own
    count, scenarios = scenario_source(domain, args.split, args.start, args.n)
    if args.out == "-":
        written = _write(scenarios, sys.stdout, Scenario)
    else:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                written = _write(scenarios, fh, Scenario)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, path)
    elapsed = time.perf_counter() - t0
    if args.out != "-":
        per = 1000 * elapsed / written if written else 0.0
        print(f"wrote {written} {args.split} scenarios of {args.env_id} to {args.out} "
              f"({elapsed:.2f} s, {per:.2f} ms/scenario)")
    return 0


def _write(scenarios, fh, scenario_cls) -> int:
    written = 0
    for scenario in scenarios:
        if not isinstance(scenario, scenario_cls):
            raise ConfigError(f"the domain gave a {type(scenario).__name__}, not a Scenario")
        try:
            line = json.dumps(scenario.to_dict(), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"scenario {scenario.id} is not JSON-serialisable: {exc}") from exc
        fh.write(line + "\n")
        written += 1
    return written
