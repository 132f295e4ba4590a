"""CoALM-IT in its released form, and TRL's dataset formats.

The release is one ``train`` split with three string columns ``instruction``, ``input``, ``output``
(Alpaca style). :func:`load_coalm_it` reads it from a local JSON / JSONL / Parquet file (or a folder of
them) or a hub id through ``datasets.load_dataset``; :func:`to_prompt_completion` and
:func:`to_conversational` turn rows into TRL's standard and conversational prompt-completion formats
(``{"prompt": str, "completion": str}`` and ``{"prompt": [messages], "completion": [messages]}``).
The prompt is :func:`coalm_env.render_coalm.join_prompt` of instruction and input: the text the
``react`` policy prompts with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError, DataCorruptError, DataNotFoundError, DependencyNotInstalled
from coalm_env.render_coalm import join_prompt

__all__ = ["COLUMNS", "load_coalm_it", "to_prompt_completion", "to_conversational", "convert", "to_dataset",
           "FORMATS"]

#: the released columns
COLUMNS = ("instruction", "input", "output")
#: TRL dataset formats this module writes
FORMATS = ("prompt_completion", "conversational")
_BUILDERS = {".json": "json", ".jsonl": "json", ".parquet": "parquet"}


def _datasets():
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - the [train] extra
        raise DependencyNotInstalled("datasets", "train") from exc
    return datasets


def _local_files(path: Path) -> tuple[str, list[str]]:
    files = sorted(p for p in path.rglob("*") if p.suffix in _BUILDERS) if path.is_dir() else [path]
    kinds = {_BUILDERS.get(p.suffix) for p in files}
    if not files or None in kinds or len(kinds) != 1:
        raise DataCorruptError(str(path), "expected .json/.jsonl/.parquet files of one kind",
                               "point at a CoALM-IT JSON, JSONL or Parquet file")
    return kinds.pop(), [str(p) for p in files]


def _check_columns(ds: Any, source: str) -> None:
    missing = [c for c in COLUMNS if c not in ds.column_names]
    if missing:
        raise DataCorruptError(source, f"missing columns {missing} (have {ds.column_names})",
                               "CoALM-IT rows have string columns instruction, input, output")


def load_coalm_it(source: str | Path, *, split: str = "train", limit: int | None = None) -> Any:
    """CoALM-IT as a ``datasets.Dataset`` with exactly the columns ``instruction``, ``input``, ``output``.

    Args:
        source: a local file or folder (JSON, JSONL, Parquet) or a hub id (``org/name``).
        split: the split to read (the release has only ``train``).
        limit: keep the first ``limit`` rows.
    """
    datasets = _datasets()
    path = Path(source)
    if path.exists():
        builder, files = _local_files(path)
        ds = datasets.load_dataset(builder, data_files={split: files}, split=split)
    elif str(source).startswith((".", "/")) or Path(str(source)).suffix in _BUILDERS:
        raise DataNotFoundError(str(source), "pass an existing CoALM-IT file or a hub id")
    else:
        ds = datasets.load_dataset(str(source), split=split)
    _check_columns(ds, str(source))
    ds = ds.select_columns(list(COLUMNS))
    if limit is not None:
        ds = ds.select(range(min(limit, len(ds))))
    return ds.map(lambda r: {c: "" if r[c] is None else str(r[c]) for c in COLUMNS})


def to_prompt_completion(row: Mapping[str, Any]) -> dict[str, str]:
    """One CoALM-IT row in TRL's standard prompt-completion format."""
    return {"prompt": join_prompt(row["instruction"], row.get("input") or ""), "completion": row["output"]}


def to_conversational(row: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    """One CoALM-IT row in TRL's conversational prompt-completion format (the react policy's one user turn)."""
    pc = to_prompt_completion(row)
    return {"prompt": [{"role": "user", "content": pc["prompt"]}],
            "completion": [{"role": "assistant", "content": pc["completion"]}]}


def convert(rows: Iterable[Mapping[str, Any]], fmt: str = "conversational") -> list[dict[str, Any]]:
    """Rows (``instruction``/``input``/``output``) in TRL format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown dataset format {fmt!r}", hint=f"one of {', '.join(FORMATS)}")
    fn = to_conversational if fmt == "conversational" else to_prompt_completion
    return [fn(r) for r in rows]


def to_dataset(source: str | Path | Any, fmt: str = "conversational", *, limit: int | None = None) -> Any:
    """A TRL-ready ``datasets.Dataset`` from a CoALM-IT source (path, hub id or Dataset)."""
    ds = source if hasattr(source, "column_names") else load_coalm_it(source, limit=limit)
    _check_columns(ds, "dataset")
    fn = to_conversational if fmt == "conversational" else to_prompt_completion
    if fmt not in FORMATS:
        raise ConfigError(f"unknown dataset format {fmt!r}", hint=f"one of {', '.join(FORMATS)}")
    return ds.map(fn, remove_columns=ds.column_names)
