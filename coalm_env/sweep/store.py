"""The crash-safe results file of a sweep: one JSON line per finished episode, fsync'd as written.

Only the parent process writes. A line is complete when it ends with a newline: a process killed
mid-write leaves at most one torn line at the end, which loading drops (and :meth:`ResultStore.open`
cuts off before appending, :mod:`coalm_env.jsonl`), so the episode simply runs again. ``sweep.json``
beside it records the config and its hash; a store refuses results and configs of another hash.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.jsonl import read_lines, repair
from coalm_env.types import to_json

__all__ = ["ResultStore", "RESULTS", "MANIFEST"]

RESULTS = "results.jsonl"
MANIFEST = "sweep.json"


def _fsync_dir(path: Path) -> None:
    if sys.platform.startswith("win"):  # pragma: no cover - directories cannot be opened there
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class ResultStore:
    """``DIR/results.jsonl`` and ``DIR/sweep.json`` of one config hash.

    Use :meth:`open` (checks the manifest, repairs, loads finished keys), then :meth:`append` per
    episode, then :meth:`close`. ``done`` maps each finished key to its line.
    """

    def __init__(self, out_dir: str | Path, config_hash: str):
        self.dir = Path(out_dir)
        self.config_hash = config_hash
        self.path = self.dir / RESULTS
        self.done: dict[str, dict[str, Any]] = {}
        self.dropped_bytes = 0
        self._fh = None

    def open(self, manifest: dict[str, Any]) -> ResultStore:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._check_manifest()
        self.done = self._load()  # before anything is written: a mismatch leaves the directory as it was
        self.dropped_bytes = repair(self.path)
        _write_atomic(self.dir / MANIFEST, json.dumps({**manifest, "config_hash": self.config_hash},
                                                      indent=2, sort_keys=True) + "\n")
        created = not self.path.exists()
        self._fh = open(self.path, "ab")
        if created:
            _fsync_dir(self.dir)
        return self

    def _check_manifest(self) -> None:
        path = self.dir / MANIFEST
        if not path.exists():
            return
        try:
            old = json.loads(path.read_text(encoding="utf-8")).get("config_hash")
        except json.JSONDecodeError:
            old = None  # a manifest is written atomically; an unreadable one is rebuilt from the lines
        if old is not None and old != self.config_hash:
            raise ConfigError(
                f"{self.dir} holds results of config {old}, not of this config ({self.config_hash})",
                hint="use another --out directory, or move that one away to start over",
            )

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        done: dict[str, dict[str, Any]] = {}
        for line in read_lines(self.path):
            if line.get("config_hash") != self.config_hash:
                raise ConfigError(
                    f"{self.path} has a result of config {line.get('config_hash')} (key {line.get('key')}), "
                    f"not of this config ({self.config_hash})",
                    hint="results of different configs are never mixed: use another --out directory",
                )
            done.setdefault(line["key"], line)
        return done

    def append(self, line: dict[str, Any]) -> None:
        """Write one finished episode durably (flush + fsync) before anything else happens."""
        if line["key"] in self.done:
            return
        line = {**line, "config_hash": self.config_hash}
        self._fh.write((to_json(line) + "\n").encode("utf-8"))
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.done[line["key"]] = line

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
