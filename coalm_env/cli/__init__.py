"""The ``coalm-env`` command. One module per subcommand, each with ``add_parser(subparsers)`` and
``run(args) -> int``. Only this module catches :class:`~coalm_env.errors.CoalmError`: it prints one
``error:`` line with the hint (the traceback with ``--debug``)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from coalm_env.errors import CoalmError
from coalm_env.version import __version__

__all__ = ["main", "build_parser", "COMMANDS"]

#: subcommand modules under ``coalm_env.cli``, in the order ``--help`` lists them
COMMANDS = ("list", "rollout", "score", "graph", "data", "score_bfcl", "score_apibank", "score_multiwoz", "sweep", "stats", "export",
            "train", "report", "play", "generate", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coalm-env", description="Conversational agents vs simulated users.")
    parser.add_argument("--version", action="version", version=f"coalm-env {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"coalm_env.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"coalm_env.cli.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CoalmError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`coalm-env list --details ID | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's documented recipe
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
