"""JSON-lines files that survive a crash: a line counts only once its newline is written.

A process killed mid-write leaves at most one torn line at the end of a file it appends to;
:func:`read_lines` skips it and :func:`repair` cuts it off before the file is appended to again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from coalm_env.errors import DataCorruptError

__all__ = ["read_lines", "repair"]


def _complete_part(data: bytes) -> bytes:
    """The bytes up to and including the last newline (everything after it is a torn line)."""
    end = data.rfind(b"\n")
    return data[: end + 1] if end >= 0 else b""


def read_lines(path: str | Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file, without a torn last line. A bad line before the end is
    not a crash artefact: it raises :class:`DataCorruptError` naming the line."""
    path = Path(path)
    rows = []
    for lineno, line in enumerate(_complete_part(path.read_bytes()).splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataCorruptError(f"{path}:{lineno}", f"not valid JSON ({exc})",
                                   "remove that line (or the file) and rerun; finished episodes are kept") from exc
    return rows


def repair(path: str | Path) -> int:
    """Cut a torn last line off ``path`` in place (fsync'd); returns how many bytes were dropped."""
    path = Path(path)
    if not path.exists():
        return 0
    data = path.read_bytes()
    keep = len(_complete_part(data))
    if keep == len(data):
        return 0
    with open(path, "r+b") as fh:
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
    return len(data) - keep
