"""Where datasets live, and how to get them: the one module every data-backed domain reads through.

Lookup order for the data root:

1. ``COALM_ENV_DATA`` (a directory holding ``multiwoz24/``, ``api-bank/``, ``bfcl/v3/``);
2. the user cache dir: ``$XDG_CACHE_HOME/coalm-env/data`` (default ``~/.cache/coalm-env/data``).

``coalm-env data fetch NAME`` fills the cache from the official source where the network allows,
or from a local mirror with ``--from DIR``. A missing file raises :class:`DataNotFoundError` naming
the file and the command that fixes it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coalm_env.errors import DataCorruptError, DataNotFoundError, UnknownNameError

__all__ = ["DATASETS", "REMOTES", "Remote", "Dataset", "data_root", "dataset_dir", "require", "read_json", "read_jsonl", "status", "fetch"]

ENV_VAR = "COALM_ENV_DATA"


@dataclass(frozen=True)
class Remote:
    """One file of an official source: ``url`` saved as ``dest`` (relative to the dataset folder), or,
    for a zip, its member ``member`` saved as ``dest``."""

    url: str
    dest: str
    member: str | None = None


_MWZ_DB = "https://raw.githubusercontent.com/budzianowski/multiwoz/master/db/{}_db.json"
_MWZ_24 = "https://raw.githubusercontent.com/hoadm-net/dst_base/9a9ae58/data/multiwoz24/{}"
_CONVLAB = "https://github.com/ConvLab/ConvLab-3/raw/master/data/multiwoz/{}.json.zip"

#: official sources per dataset (see each dataset's README in the mirror for provenance)
REMOTES: dict[str, tuple[Remote, ...]] = {
    "multiwoz24": (
        *(Remote(_MWZ_DB.format(d), f"db/{d}_db.json")
          for d in ("restaurant", "hotel", "attraction", "train", "hospital", "police", "taxi")),
        *(Remote(_MWZ_24.format(f), f) for f in ("ontology.json", "valListFile.json", "testListFile.json")),
        *(Remote(_CONVLAB.format(s), f"convlab_mwz21_valtest/{s}.json", member=f"{s}.json") for s in ("val", "test")),
    ),
}


@dataclass(frozen=True)
class Dataset:
    """A dataset the project can use: its folder under the data root and the files it must hold."""

    name: str
    subdir: str
    required: tuple[str, ...]
    source: str
    description: str


DATASETS: dict[str, Dataset] = {
    "multiwoz24": Dataset(
        "multiwoz24",
        "multiwoz24",
        ("ontology.json", "testListFile.json", "valListFile.json", "db/restaurant_db.json",
         "convlab_mwz21_valtest/test.json", "convlab_mwz21_valtest/val.json"),
        "https://github.com/smartyfh/MultiWOZ2.4 (data/MULTIWOZ2.4.zip)",
        "MultiWOZ 2.4: goals, dialogues, belief states and the 7 domain databases",
    ),
    "apibank": Dataset(
        "apibank",
        "api-bank",
        ("api_descriptions.json", "lv3_api_descriptions.json"),
        "https://github.com/AlibabaResearch/DAMO-ConvAI (api-bank/)",
        "API-Bank level-1/2/3 dialogues, initial databases and API descriptions",
    ),
    "bfcl": Dataset(
        "bfcl",
        "bfcl/v3",
        ("BFCL_v3_multi_turn_base.json", "possible_answer/BFCL_v3_multi_turn_base.json", "multi_turn_func_doc"),
        "PyPI wheel bfcl-eval==2025.8.6.2 (bfcl_eval/data/)",
        "BFCL V3 multi-turn questions, ground truth and function docs",
    ),
}

BFCL_WHEEL = "bfcl-eval==2025.8.6.2"


def _dataset(name: str) -> Dataset:
    if name not in DATASETS:
        raise UnknownNameError("dataset", name, DATASETS)
    return DATASETS[name]


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coalm-env" / "data"


def data_root() -> Path:
    """The directory datasets are read from (``COALM_ENV_DATA`` or the user cache)."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else cache_root()


def dataset_dir(name: str) -> Path:
    """The folder of dataset ``name`` under the data root (it may not exist)."""
    return data_root() / _dataset(name).subdir


def _fix(name: str) -> str:
    return (
        f"run `coalm-env data fetch {name}` (or `coalm-env data fetch {name} --from MIRROR_DIR`), "
        f"or point {ENV_VAR} at a directory holding {_dataset(name).subdir}/"
    )


def require(name: str, *parts: str) -> Path:
    """The path of a file (or folder) of dataset ``name``, checked against the known version
    (:mod:`coalm_env.data_check`: size and SHA-256, or the structure with ``COALM_ENV_DATA_CHECK=schema``);
    raises :class:`DataNotFoundError` if it is absent, :class:`DataCorruptError` if it is damaged, each
    naming the file and the fix."""
    root = dataset_dir(name)
    path = root.joinpath(*parts)
    if not path.exists():
        raise DataNotFoundError(str(path), _fix(name))
    from coalm_env import data_check

    data_check.verify(name, root, path)
    return path


def read_json(name: str, *parts: str) -> Any:
    """Load a JSON file of a dataset, with errors that name the file and the fix."""
    path = require(name, *parts)
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataCorruptError(str(path), f"not valid JSON ({exc})", _fix(name)) from exc
    except OSError as exc:  # a folder where a file should be, no permission...
        raise DataCorruptError(str(path), f"cannot be read ({exc.strerror or exc})", _fix(name)) from exc


def read_jsonl(name: str, *parts: str) -> list[Any]:
    """Load a JSON-lines file of a dataset (BFCL's ``.json`` files are JSON lines)."""
    path = require(name, *parts)
    rows = []
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise DataCorruptError(f"{path}:{lineno}", f"not valid JSON ({exc})", _fix(name)) from exc
    except UnicodeDecodeError as exc:
        raise DataCorruptError(str(path), f"not UTF-8 text ({exc})", _fix(name)) from exc
    except OSError as exc:
        raise DataCorruptError(str(path), f"cannot be read ({exc.strerror or exc})", _fix(name)) from exc
    return rows


def status(name: str) -> str:
    """``"ready"`` when every required file is present, else ``"missing: FILE"``."""
    root = dataset_dir(name)
    for rel in _dataset(name).required:
        if not (root / rel).exists():
            return f"missing: {root / rel}"
    return "ready"


def fetch(name: str, source: str | os.PathLike[str] | None = None, *, force: bool = False) -> Path:
    """Install dataset ``name`` into the data root, from ``source`` (a local mirror: either the
    dataset folder itself or a directory holding it) or from the official source."""
    ds = _dataset(name)
    dest = dataset_dir(name)
    if dest.exists() and status(name) == "ready" and not force:
        return dest
    if source is not None:
        src = _locate_in_mirror(ds, Path(source).expanduser())
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest)
    else:
        _download(ds, dest)
    state = status(name)
    if state != "ready":
        raise DataCorruptError(str(dest), f"fetched {name} but it is incomplete ({state})", _fix(name))
    return dest


def _locate_in_mirror(ds: Dataset, source: Path) -> Path:
    for cand in (source / ds.subdir, source / ds.name, source):
        if all((cand / rel).exists() for rel in ds.required):
            return cand
    raise DataNotFoundError(
        str(source / ds.subdir), f"--from must be a directory holding {ds.subdir}/ (or the dataset folder itself)"
    )


def _download(ds: Dataset, dest: Path) -> None:
    if ds.name == "bfcl":
        _download_bfcl(dest)
        return
    if ds.name in REMOTES:
        _download_remotes(REMOTES[ds.name], dest)
        return
    raise DataNotFoundError(
        str(dest),
        f"{ds.name} has no automatic download: its API descriptions are extracted from the Python classes of "
        f"{ds.source} (see the mirror's README); get a mirror and run `coalm-env data fetch {ds.name} --from DIR`",
    )


def _download_bfcl(dest: Path) -> None:
    """``pip download --no-deps bfcl-eval==2025.8.6.2`` and copy its ``bfcl_eval/data`` multi-turn files."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, BFCL_WHEEL]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise DataNotFoundError(
                str(dest), f"`{' '.join(cmd)}` failed ({proc.stderr.strip()[-300:]}); use --from DIR with a mirror"
            )
        dest.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as zf:
            for member in zf.namelist():
                rel = member.removeprefix("bfcl_eval/data/")
                if rel == member or "multi_turn" not in rel:
                    continue
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(member))


def _download_remotes(remotes: tuple[Remote, ...], dest: Path, timeout: float = 60.0) -> None:
    """Fetch every remote file into a staging folder, then move it into place (all or nothing)."""
    import urllib.error
    import urllib.request

    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "stage"
        for remote in remotes:
            try:
                with urllib.request.urlopen(remote.url, timeout=timeout) as resp:  # noqa: S310 - fixed URLs
                    payload = resp.read()
            except (urllib.error.URLError, OSError) as exc:
                raise DataNotFoundError(
                    str(dest / remote.dest),
                    f"could not download {remote.url} ({exc}); download the dataset yourself and run "
                    f"`coalm-env data fetch NAME --from DIR`",
                ) from exc
            target = stage / remote.dest
            target.parent.mkdir(parents=True, exist_ok=True)
            if remote.member is None:
                target.write_bytes(payload)
                continue
            with zipfile.ZipFile(io.BytesIO(payload)) as zf:
                target.write_bytes(zf.read(remote.member))
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(stage, dest)
