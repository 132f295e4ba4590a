"""``coalm-env list``: every registered env id, its domain, dataset, scenario counts per split and data
status; ``coalm-env list --details ID`` prints the id's manual."""

from __future__ import annotations

import argparse
from typing import Any

from tabulate import tabulate

from coalm_env import data
from coalm_env.errors import CoalmError, DataCorruptError, DataNotFoundError
from coalm_env.manual import manual
from coalm_env.registry import POLICIES, USERS
from coalm_env.resolve import domain_for
from coalm_env.specs import ENV_SPECS, EnvSpec, spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="registered env ids, scenario counts and data status")
    p.add_argument("--details", metavar="ID", help="print the manual of one env id")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "details", None):
        print(manual(spec(args.details).id))
        return 0
    rows = [_row(ENV_SPECS[env_id]) for env_id in sorted(ENV_SPECS)]
    print(tabulate(rows, headers=["env id", "domain", "data", "scenarios", "status"]))
    print(f"\nusers: {', '.join(USERS.names())}\npolicies: {', '.join(POLICIES.names())}")
    print("details: coalm-env list --details ID")
    return 0


def _row(entry: EnvSpec) -> list[str]:
    head = [entry.id, entry.domain, entry.dataset or "-"]
    if entry.dataset and (state := data.status(entry.dataset)) != "ready":  # no need to build the domain
        return [*head, "-", f"{state}: run `coalm-env data fetch {entry.dataset}`"]
    try:
        domain = domain_for(entry.id)
        counts = " ".join(f"{split}={_count(domain, split)}" for split in domain.splits)
    except (DataCorruptError, DataNotFoundError) as exc:  # a damaged or partial dataset: the file and the fix
        return [*head, "-", str(exc)]
    except CoalmError as exc:  # e.g. a plug-in's dataset not fetched yet: show how to get it
        return [*head, "-", exc.hint or str(exc)]
    except Exception as exc:  # one broken plug-in must not hide the other ids
        return [*head, "-", f"cannot load: {type(exc).__name__}: {exc}"]
    return [*head, counts, "ready"]


def _count(domain: Any, split: str) -> int:
    # optional hook: a domain that generates scenarios lazily can say how many without generating them
    hook = getattr(domain, "num_scenarios", None)
    return int(hook(split)) if hook is not None else len(domain.scenarios(split))
