"""``coalm-env list``: every registered env id, its domain, scenario counts per split and data status."""

from __future__ import annotations

import argparse
from typing import Any

from tabulate import tabulate

from coalm_env.domains import ENV_IDS
from coalm_env.errors import CoalmError
from coalm_env.registry import POLICIES, USERS
from coalm_env.resolve import domain_for, lookup


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="registered env ids, scenario counts and data status")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows = [_row(env_id) for env_id in sorted(ENV_IDS)]
    print(tabulate(rows, headers=["env id", "domain", "scenarios", "status"]))
    print(f"\nusers: {', '.join(USERS.names())}\npolicies: {', '.join(POLICIES.names())}")
    return 0


def _row(env_id: str) -> list[str]:
    name, _ = lookup(env_id)
    try:
        domain = domain_for(env_id)
        counts = " ".join(f"{split}={_count(domain, split)}" for split in domain.splits)
    except CoalmError as exc:  # typically a dataset not fetched yet: show how to get it
        return [env_id, name, "-", exc.hint or str(exc)]
    except Exception as exc:  # one broken plug-in must not hide the other ids
        return [env_id, name, "-", f"cannot load: {type(exc).__name__}: {exc}"]
    return [env_id, name, counts, "ready"]


def _count(domain: Any, split: str) -> int:
    # optional hook: a domain that generates scenarios lazily can say how many without generating them
    hook = getattr(domain, "num_scenarios", None)
    return int(hook(split)) if hook is not None else len(domain.scenarios(split))
