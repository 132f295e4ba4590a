"""Every dataset file is checked when it is loaded (issue 16, "Damaged data and files").

:mod:`coalm_env.data_manifest` records, for each dataset version the project knows (the mirrors'
provenance is in each dataset's README), every file: its size and SHA-256, and its structure: how it
is read (``json``, ``jsonl`` or ``text``), its top-level type, its count (items of a list or a dict,
lines of a JSON-lines or text file) and the keys every item holds. :func:`coalm_env.data.require`
calls :func:`verify` on each path it hands out:

- a file of the manifest is compared with its record; what differs is a
  :class:`~coalm_env.errors.DataCorruptError` naming the file, what is wrong (empty, a byte-order mark,
  truncated, not UTF-8, replaced...) and the fix;
- a folder the loaders list (``*.jsonl`` sample folders) must hold exactly the manifest's files (one
  missing or one more would silently change the test set);
- the first time a dataset is touched in a process, every manifest file it holds is checked, and a
  folder of the dataset must be either absent (a partial download: its loaders fall back or say
  what is missing) or complete.

Two modes, chosen with ``COALM_ENV_DATA_CHECK``:

``checksum`` (default)
    size and SHA-256 must match the known version: any change of any byte is an error.
``schema``
    for another version of a dataset (a newer release, a re-download that is not byte-identical):
    each file must parse as it is read, with the recorded top-level type, count and item keys; the
    damages the harness tries (experiments/damaged_data.py) are still refused, a file edited in place
    with its structure intact is accepted.

Results are cached per path and ``(size, mtime)``, so a file is hashed once per process. Regenerate
the manifest from a checked mirror with ``python -m coalm_env.data_check --write DIR``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError, DataCorruptError, DataNotFoundError

__all__ = ["MODES", "ENV_VAR", "mode", "verify", "describe", "scan"]

ENV_VAR = "COALM_ENV_DATA_CHECK"
MODES = ("checksum", "schema")
#: folders whose files the loaders find by listing them (their listing must equal the manifest's)
LISTED = {"apibank": ("lv1-lv2-samples/level-1-given-desc", "lv1-lv2-samples/level-2-toolsearcher")}
#: files a copy may lack although their folder is there (the mirror's additions to the official files)
OPTIONAL = {"bfcl": ("version_diffs.json",)}
#: files read as plain text although named ``.json`` (MultiWOZ's list files: one dialogue id a line)
TEXT_FILES = {"multiwoz24": ("testListFile.json", "valListFile.json")}
#: files whose set of lines is the same in every version (the MultiWOZ splits are fixed since 2.0): the
#: schema mode compares it too, so that the val list in place of the test list is refused
FIXED_LINES = {"multiwoz24": ("testListFile.json", "valListFile.json")}

_cache: dict[tuple[str, int, int, str], None] = {}
_checked_roots: set[tuple[str, str]] = set()


def mode() -> str:
    value = os.environ.get(ENV_VAR, "checksum").strip().lower() or "checksum"
    if value not in MODES:
        raise ConfigError(f"{ENV_VAR}={value!r} is not a check mode", hint=f"use one of: {', '.join(MODES)}")
    return value


def _manifest() -> dict[str, Any]:
    from coalm_env.data_manifest import MANIFEST

    return MANIFEST


def _fix(name: str) -> str:
    from coalm_env import data

    return (f"re-fetch it: `coalm-env data fetch {name} --force` (or `--from MIRROR_DIR`), or point "
            f"{data.ENV_VAR} at an intact copy; for another version of the dataset set {ENV_VAR}=schema")


# -- reading a file's structure ------------------------------------------------------------------------
def _kind(name: str, rel: str) -> str:
    if rel in TEXT_FILES.get(name, ()):
        return "text"
    if rel.endswith(".jsonl") or (name == "bfcl" and rel.endswith(".json") and "version_diffs" not in rel):
        return "jsonl"  # BFCL's .json files are JSON lines
    return "json" if rel.endswith(".json") else "text"


def _keys(items: list[Any]) -> list[str] | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    common = set(items[0])
    for item in items[1:]:
        common &= set(item)
    return sorted(common)


def _structure(kind: str, raw: bytes) -> dict[str, Any]:
    """``{"kind", "top", "count", "keys"}`` of a file's bytes; raises ValueError saying what is wrong."""
    if not raw:
        if kind == "json":
            raise ValueError("the file is empty")
        return {"kind": kind, "top": "lines", "count": 0, "keys": None}
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ValueError("the file starts with a UTF-8 byte-order mark (BOM)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if kind == "text":
        return {"kind": kind, "top": "lines", "count": sum(1 for line in text.splitlines() if line.strip())}
    if kind == "jsonl":
        rows = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"line {lineno} is not valid JSON ({exc.msg}): torn or truncated?") from None
        return {"kind": kind, "top": "lines", "count": len(rows), "keys": _keys(rows)}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno}): truncated or damaged?") from None
    top = type(value).__name__
    items = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
    count = len(value) if isinstance(value, (dict, list)) else 1
    return {"kind": kind, "top": top, "count": count, "keys": _keys(items)}


def describe(name: str, rel: str, raw: bytes) -> dict[str, Any]:
    """A file's manifest record: size, SHA-256 and structure (what ``--write`` stores)."""
    out = {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    try:
        out.update(_structure(_kind(name, rel), raw))
    except ValueError as exc:
        raise ValueError(f"{rel}: {exc}") from None
    if rel in FIXED_LINES.get(name, ()):
        out["lines_sha256"] = _lines_digest(raw)
    return out


def _schema_problem(name: str, rel: str, raw: bytes, record: dict[str, Any]) -> str | None:
    try:
        got = _structure(record.get("kind") or _kind(name, rel), raw)
    except ValueError as exc:
        return str(exc)
    if got["top"] != record.get("top"):
        return f"holds a JSON {got['top']} where the dataset has a {record.get('top')}: replaced by another file?"
    if got["count"] != record.get("count"):
        what = "lines" if got["top"] == "lines" else "entries"
        return f"holds {got['count']} {what}, the dataset has {record['count']}: truncated, emptied or replaced?"
    missing = sorted(set(record.get("keys") or ()) - set(got.get("keys") or ()))
    if missing:
        return f"its entries lack the keys {missing[:5]} every entry of the dataset has: replaced by another file?"
    if "lines_sha256" in record and _lines_digest(raw) != record["lines_sha256"]:
        return "its lines are not the dataset's (these ids are the same in every version): replaced by another file?"
    return None


def _lines_digest(raw: bytes) -> str:
    lines = sorted({line.strip() for line in raw.decode("utf-8", "replace").splitlines() if line.strip()})
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _checksum_problem(name: str, rel: str, raw: bytes, record: dict[str, Any]) -> str | None:
    if len(raw) == record["size"] and hashlib.sha256(raw).hexdigest() == record["sha256"]:
        return None
    if not raw:
        return f"the file is empty (the known version has {record['size']:,} bytes)"
    try:  # say what is wrong where the structure shows it
        _structure(record.get("kind") or _kind(name, rel), raw)
        structural = _schema_problem(name, rel, raw, record)
    except ValueError as exc:
        structural = str(exc)
    size = f"{len(raw):,} bytes, the known version has {record['size']:,}"
    if structural is None:
        structural = "its content differs from the known version (same structure, other bytes)"
    return f"{structural} ({size}; SHA-256 differs)"


# -- the checks ----------------------------------------------------------------------------------------
def _version(name: str) -> dict[str, Any] | None:
    return _manifest().get(name)


def _check_file(name: str, rel: str, path: Path, how: str) -> None:
    record = (_version(name) or {}).get("files", {}).get(rel)
    if record is None:
        return  # not a file of the dataset (a user's extra file): read as is
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, how)
    if key in _cache:
        return
    raw = path.read_bytes()
    problem = (_checksum_problem if how == "checksum" else _schema_problem)(name, rel, raw, record)
    if problem:
        version = _version(name)["version"]
        raise DataCorruptError(str(path), f"{problem} [{name} {version}]", _fix(name))
    _cache[key] = None


def _check_listing(name: str, rel: str, path: Path, how: str) -> None:
    files = (_version(name) or {}).get("files", {})
    root = _root_of(path, rel)
    expected = {r for r in files if r.rsplit("/", 1)[0] == rel}
    present = {f"{rel}/{p.name}" for p in path.iterdir() if p.is_file() and p.suffix in (".json", ".jsonl")}
    missing = sorted(expected - present)
    if missing:
        raise DataNotFoundError(str(root / missing[0]), f"{len(missing)} file(s) of {name} are missing from {path} "
                                                        f"(the test set would shrink); {_fix(name)}")
    extra = sorted(present - expected)
    if extra:
        raise DataCorruptError(str(root / extra[0]), f"not a file of {name} {_version(name)['version']}: it would "
                               f"be loaded as part of the dataset", f"remove it (or move it out of {path}); {_fix(name)}")
    for r in sorted(expected):
        _check_file(name, r, root / r, how)


def _root_of(path: Path, rel: str) -> Path:
    out = path
    for _ in rel.split("/"):
        out = out.parent
    return out


def verify(name: str, root: Path, path: Path) -> None:
    """Check ``path`` (a file or a folder of dataset ``name`` under its folder ``root``) against the
    manifest; raises :class:`DataCorruptError` / :class:`DataNotFoundError` naming the file and the fix."""
    if _version(name) is None:
        return
    how = mode()
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return
    if (str(root), how) not in _checked_roots:  # first touch: the whole dataset, whatever is read first
        _check_root(name, root, how)
        _checked_roots.add((str(root), how))
    if path.is_file():
        _check_file(name, rel, path, how)
    elif rel in _version(name)["files"]:
        raise DataCorruptError(str(path), "is a folder (or a special file), not a file", _fix(name))
    elif rel in LISTED.get(name, ()):
        _check_listing(name, rel, path, how)


def _check_root(name: str, root: Path, how: str) -> None:
    for r in _version(name)["files"]:
        path = root / r
        if path.is_file():
            _check_file(name, r, path, how)
        elif path.exists():
            raise DataCorruptError(str(path), "is a folder (or a special file), not a file", _fix(name))
        elif path.parent.is_dir() and r not in OPTIONAL.get(name, ()):
            # a folder of the dataset is absent (a partial download) or complete: one missing file
            # would silently change what the loaders fall back on
            raise DataNotFoundError(str(path), f"its folder holds the other files of {name}; {_fix(name)}")
    for r in LISTED.get(name, ()):
        if (root / r).is_dir():
            _check_listing(name, r, root / r, how)


# -- building the manifest -------------------------------------------------------------------------------
VERSIONS = {  # short labels; each dataset's README in the mirror has the provenance
    "multiwoz24": "2.4 (ConvLab-3 val/test, budzianowski db)",
    "apibank": "DAMO-ConvAI 483554e, test-data 1d76900",
    "bfcl": "bfcl-eval==2025.8.6.2",
}


def scan(name: str, folder: Path) -> dict[str, Any]:
    """The manifest entry of dataset ``name`` from an intact copy in ``folder``."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if path.name in ("README.md", "LICENSE") or path.name.startswith("LICENSE"):
            continue
        files[rel] = describe(name, rel, path.read_bytes())
    return {"version": VERSIONS[name], "files": files}


def _write(mirror: Path) -> None:
    from coalm_env import data

    out = {name: scan(name, mirror / data.DATASETS[name].subdir) for name in data.DATASETS}
    target = Path(__file__).with_name("data_manifest.py")
    lines = ['"""Known dataset versions: size, SHA-256 and structure of every file (see :mod:`coalm_env.data_check`).',
             "", "Generated by ``python -m coalm_env.data_check --write MIRROR``; do not edit by hand.", '"""', "",
             "MANIFEST = " + json.dumps(out, indent=1, sort_keys=True).replace(": null", ": None"), ""]
    target.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {target}: " + ", ".join(f"{n} {len(v['files'])} files" for n, v in out.items()))


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 3 or sys.argv[1] != "--write":
        sys.exit("usage: python -m coalm_env.data_check --write MIRROR_DIR")
    _write(Path(sys.argv[2]))
