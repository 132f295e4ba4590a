"""``coalm-env score DIR``: re-score a run's trajectories with the domain scorer (replaying tool calls).

Damaged input is never a traceback: a torn, garbage or non-UTF-8 line of ``trajectories.jsonl``, or a
line that is JSON but not a trajectory, is skipped with a warning that counts and names the lines (no
line left: an error); a leading byte-order mark is ignored with a note; an unreadable ``summary.json``
is ignored with a warning (its policy/user/seed fields are then not carried over); trajectories of
several envs are refused (a summary over them would mix scorers); ``--out`` on an existing file (without
``--force``), on a folder or in a place that cannot be written is one error line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tabulate import tabulate

from coalm_env.errors import ConfigError
from coalm_env.rescore import rescore_all
from coalm_env.rollout import summarize
from coalm_env.types import Trajectory


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="re-score saved trajectories (trajectories.jsonl) and summarize them")
    p.add_argument("run_dir", help="a directory written by `coalm-env rollout` (or a trajectories.jsonl file)")
    p.add_argument("--out", default=None, metavar="FILE", help="where to write the summary (default: DIR/rescore.json)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    source = Path(args.run_dir)
    run_dir = source if source.is_dir() else source.parent
    path = source / "trajectories.jsonl" if source.is_dir() else source
    if not path.is_file():
        raise ConfigError(f"no trajectories at {path}", hint="pass a run directory written by `coalm-env rollout`")
    out = Path(args.out) if args.out else run_dir / "rescore.json"
    _check_out(out, explicit=args.out is not None, force=getattr(args, "force", False))
    recorded = read_tolerant(source)
    _one_env(recorded, source)
    rescored, report = rescore_all(recorded)
    before = _recorded_summary(run_dir)
    fields = {k: before[k] for k in ("policy", "user", "seed", "split", "options") if k in before}
    summary = summarize(rescored, **fields, rescore=report.to_dict())
    try:
        out.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror or exc}", hint="pass --out FILE in a writable place") from exc
    print(_table(summarize(recorded)["metrics"], summary["metrics"]))
    print(f"\n{report.rescored} re-scored, {report.kept} kept as recorded, {report.changed} changed, "
          f"{report.replay_mismatches} replay mismatches ({report.write_mismatches} of state-changing calls, "
          f"{report.state_mismatches} end states differ); wrote {out}")
    for problem in report.problems:
        print(f"note: {problem}", file=sys.stderr)
    return 0


def _check_out(out: Path, *, explicit: bool, force: bool) -> None:
    """Refuse, before any work, an ``--out`` that is a folder, an existing file (explicit ``--out`` without
    ``--force``; the default ``DIR/rescore.json`` is this command's own output and is replaced), or a
    place that cannot be written."""
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder", hint="pass a file path, e.g. --out DIR/rescore.json")
    if explicit and out.exists() and not force:
        raise ConfigError(f"--out {out} exists", hint="choose another path, or add --force to overwrite it")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {parent} does not exist", hint="create it, or pass another path")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ConfigError(f"--out {out}: cannot write there (permission denied)", hint="pass --out FILE in a "
                                                                                     "writable place")


def read_tolerant(source: Path) -> list[Trajectory]:
    """The trajectories of ``source`` (a run folder or a ``.jsonl`` file); lines that cannot be read are
    skipped with one warning on stderr naming them; none readable is a :class:`ConfigError`."""
    path = source / "trajectories.jsonl" if source.is_dir() else source
    if not path.is_file():
        raise ConfigError(f"no trajectories at {path}", hint="pass a run directory written by `coalm-env rollout`")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        print(f"note: {path} starts with a UTF-8 byte-order mark; ignored", file=sys.stderr)
        raw = raw[3:]
    out: list[Trajectory] = []
    skipped: dict[str, list[int]] = {}
    lines = raw.split(b"\n")
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        reason = None
        try:
            row = json.loads(line.decode("utf-8"))
            if not isinstance(row, dict):
                reason = "not a JSON object"
            else:
                out.append(Trajectory.from_dict(row))
        except UnicodeDecodeError:
            reason = "not UTF-8"
        except json.JSONDecodeError:
            reason = "torn last line" if lineno == len(lines) else "not valid JSON"
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = f"not a trajectory ({type(exc).__name__}: {str(exc)[:60]})"
        if reason:
            skipped.setdefault(reason, []).append(lineno)
    total = len(out) + sum(len(v) for v in skipped.values())
    if skipped:
        detail = "; ".join(f"{reason}: line{'s' if len(nums) > 1 else ''} {_numbers(nums)}"
                           for reason, nums in skipped.items())
        count = total - len(out)
        if not out:
            raise ConfigError(f"no trajectory of {path} can be read ({count} line{'s' if count > 1 else ''}: {detail})",
                              hint="pass the trajectories.jsonl of a `coalm-env rollout` run")
        print(f"warning: skipped {count} of {total} lines of {path} ({detail}); scoring the other {len(out)}",
              file=sys.stderr)
    if not out:
        raise ConfigError(f"{path} holds no trajectory", hint="pass the trajectories.jsonl of a `coalm-env rollout` run")
    return out


def _numbers(nums: list[int], shown: int = 8) -> str:
    text = ", ".join(map(str, nums[:shown]))
    return text + (f" and {len(nums) - shown} more" if len(nums) > shown else "")


def _one_env(trajectories: list[Trajectory], source: Path) -> None:
    counts = Counter(t.env_id for t in trajectories)
    if len(counts) > 1:
        listing = ", ".join(f"{env} ({n})" for env, n in counts.most_common())
        raise ConfigError(f"{source} holds trajectories of {len(counts)} envs: {listing}",
                          hint="score each env's trajectories on their own (one run directory per env)")


def _recorded_summary(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "summary.json"
    if not path.exists():
        return {}
    try:
        summary = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"warning: ignoring {path} ({type(exc).__name__}: {str(exc)[:80]}); its policy, user, seed and "
              f"options are not carried into the re-scored summary", file=sys.stderr)
        return {}
    if not isinstance(summary, dict):
        print(f"warning: ignoring {path} (a JSON {type(summary).__name__}, not an object)", file=sys.stderr)
        return {}
    return summary


def _table(recorded: dict[str, float], rescored: dict[str, float]) -> str:
    keys = sorted(set(recorded) | set(rescored), key=lambda k: (k != "success", k))
    rows = [[k, _fmt(recorded.get(k)), _fmt(rescored.get(k))] for k in keys]
    return tabulate(rows, headers=["metric", "recorded", "re-scored"], disable_numparse=True)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
