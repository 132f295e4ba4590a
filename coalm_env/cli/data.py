"""``coalm-env data {status,fetch,path}``: locate and install datasets."""

from __future__ import annotations

import argparse

from coalm_env import data


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="dataset status, location and download")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    s = dsub.add_parser("status", help="which datasets are ready, and where")
    s.set_defaults(func=_status)
    f = dsub.add_parser("fetch", help="download a dataset (or copy it from a local mirror)")
    f.add_argument("name", choices=sorted(data.DATASETS))
    f.add_argument("--from", dest="source", metavar="DIR", help="a local mirror: the dataset folder or its parent")
    f.add_argument("--force", action="store_true", help="replace an existing copy")
    f.set_defaults(func=_fetch)
    w = dsub.add_parser("path", help="print the data root")
    w.set_defaults(func=lambda args: print(data.data_root()) or 0)


def _status(args: argparse.Namespace) -> int:
    print(f"data root: {data.data_root()}  (set {data.ENV_VAR} to change)")
    for name, ds in data.DATASETS.items():
        print(f"  {name:<11} {ds.description}\n              {data.status(name)}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    dest = data.fetch(args.name, args.source, force=args.force)
    print(f"{args.name}: ready in {dest}")
    return 0
