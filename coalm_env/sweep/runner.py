"""Run a sweep: plan it, skip finished keys, farm the rest out in chunks, append results as they come.

``workers == 1`` runs the chunks in this process; more use a ``ProcessPoolExecutor`` started with
``spawn`` or ``forkserver`` (never ``fork``: a forked copy of a process holding threads or an LLM
backend is not safe). ``backend="ray"`` plays the same chunks on Ray actors, one per worker
(:mod:`coalm_env.sweep.ray_backend`). Results reach ``results.jsonl`` through the parent alone, one fsync'd line per
episode, so a sweep killed at any moment and rerun ends with every episode exactly once.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.sweep.config import SweepConfig
from coalm_env.sweep.plan import CellPlan, SweepPlan, plan_sweep
from coalm_env.sweep.store import ResultStore
from coalm_env.sweep.worker import clear_cache, run_chunk
from coalm_env.version import __version__

__all__ = ["SweepResult", "run_sweep", "summarize_sweep", "BACKENDS"]

BACKENDS = ("local", "ray")

Chunk = tuple[dict[str, Any], list[dict[str, Any]]]


@dataclass
class SweepResult:
    """What :func:`run_sweep` returns; ``summary`` equals ``summary.json``."""

    summary: dict[str, Any]
    plan: SweepPlan
    ran: int
    out_dir: Path


def _cell_payload(plan: CellPlan) -> dict[str, Any]:
    return {**plan.spec.identity(), "id": plan.spec.id, "label": plan.spec.label}


def _chunks(plan: SweepPlan, done: dict[str, Any], size: int) -> list[Chunk]:
    out = []
    for cell in plan.cells:
        todo = [e.to_dict() for e in cell.episodes if e.key not in done]
        payload = _cell_payload(cell)
        out += [(payload, todo[i: i + size]) for i in range(0, len(todo), size)]
    return out


def _inline(chunks: list[Chunk]) -> Iterator[list[dict[str, Any]]]:
    clear_cache()
    try:
        for cell, episodes in chunks:
            yield run_chunk(cell, episodes)
    finally:
        clear_cache()


def _pooled(chunks: list[Chunk], workers: int, start_method: str) -> Iterator[list[dict[str, Any]]]:
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: set[Future] = {pool.submit(run_chunk, cell, eps) for cell, eps in chunks}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()


class _Progress:
    """One tqdm bar per cell (ETA, running success of the episodes finished so far)."""

    def __init__(self, plan: SweepPlan, done: dict[str, Any], enabled: bool):
        from tqdm.auto import tqdm

        self.bars, self.wins = {}, {}
        for i, cell in enumerate(plan.cells):
            finished = [done[e.key] for e in cell.episodes if e.key in done]
            self.wins[cell.spec.id] = [sum(_success(r) for r in finished), len(finished)]
            self.bars[cell.spec.id] = tqdm(total=len(cell.episodes), initial=len(finished), position=i,
                                           desc=cell.spec.label[:60], unit="ep", disable=not enabled, leave=True)
            self._postfix(cell.spec.id)

    def update(self, line: dict[str, Any]) -> None:
        wins = self.wins[line["cell"]]
        wins[0] += _success(line)
        wins[1] += 1
        self._postfix(line["cell"])
        self.bars[line["cell"]].update(1)

    def _postfix(self, cell: str) -> None:
        wins, n = self.wins[cell]
        self.bars[cell].set_postfix_str(f"success {wins / n:.2f}" if n else "success -", refresh=False)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _success(line: dict[str, Any]) -> float:
    return float((line["trajectory"].get("metrics") or {}).get("success", 0.0) or 0.0)


def run_sweep(
    config: SweepConfig, out_dir: str | Path, *, workers: int | None = None, progress: bool = True,
    log: Callable[[str], None] = print, backend: str = "local", address: str | None = None,
) -> SweepResult:
    """Run every unfinished episode of ``config`` into ``out_dir`` and write ``summary.json``.

    Args:
        config: the parsed sweep config.
        out_dir: the sweep directory (``results.jsonl``, ``sweep.json``, ``summary.json``).
        workers: processes (default: ``config.execution.workers``); 1 runs in this process.
        progress: show a progress bar per cell.
        log: where notes go (skipped cells, a repaired torn line).
        backend: ``"local"`` (this process or a process pool) or ``"ray"`` (one Ray actor per worker).
        address: the Ray cluster to join (``ray.init(address=...)``); none: a local Ray instance with
            ``num_cpus=workers``. Only with ``backend="ray"``.

    Raises:
        ConfigError: ``out_dir`` holds results of another config; an unknown backend; ``address``
            without the Ray backend; the Ray backend without ray installed.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"unknown sweep backend {backend!r}", hint=f"one of {', '.join(BACKENDS)}")
    if address is not None and backend != "ray":
        raise ConfigError("an address is only for the ray backend", hint="add --backend ray, or drop --address")
    if backend == "ray":
        from coalm_env.sweep.ray_backend import import_ray

        import_ray()  # fail before anything is written
    start = time.perf_counter()
    plan = plan_sweep(config)
    for cell, reason in plan.skipped:
        log(f"skipping {cell.label}: {reason}")
    workers = workers or config.execution.workers
    manifest = {"config": config.to_dict(), "version": __version__,
                "cells": {c.spec.id: c.spec.label for c in plan.cells}}
    with ResultStore(out_dir, config.hash()).open(manifest) as store:
        if store.dropped_bytes:
            log(f"dropped a torn last line ({store.dropped_bytes} bytes) from {store.path}; it runs again")
        chunks = _chunks(plan, store.done, config.execution.chunk_size)
        bars = _Progress(plan, store.done, progress)
        ran = 0
        results: Iterator[list[dict[str, Any]]] | None = None
        try:
            if backend == "ray":
                from coalm_env.sweep.ray_backend import ray_results

                results = ray_results(chunks, workers, address)
            elif workers == 1:
                results = _inline(chunks)
            else:
                results = _pooled(chunks, workers, config.execution.start_method)
            for lines in results:
                for line in lines:
                    store.append(line)
                    bars.update(line)
                    ran += 1
        finally:
            bars.close()
            if results is not None:
                results.close()  # stops the pool or the Ray actors (and a Ray instance started here) now
    summary = summarize_sweep(out_dir, plan, config)
    summary["wall_s"] = time.perf_counter() - start
    (Path(out_dir) / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n",
                                                encoding="utf-8")
    return SweepResult(summary, plan, ran, Path(out_dir))


def summarize_sweep(out_dir: str | Path, plan: SweepPlan, config: SweepConfig) -> dict[str, Any]:
    """The statistics of a sweep directory, cells in config order, plus what was skipped."""
    from coalm_env.stats import analyze, load_records

    stats = analyze(load_records(out_dir))
    ordered = {c.spec.label: stats["cells"][c.spec.label] for c in plan.cells if c.spec.label in stats["cells"]}
    for c in plan.cells:
        if c.spec.label in ordered:
            ordered[c.spec.label].update(cell_id=c.spec.id, expected=len(c.episodes))
    return {
        "name": config.name,
        "config_hash": config.hash(),
        "cells": ordered,
        "breakdowns": stats["breakdowns"],
        "skipped": [{"cell": c.label, "reason": r} for c, r in plan.skipped],
        "episodes": sum(c["episodes"] for c in ordered.values()),
        "expected": len(plan.episodes),
        "version": __version__,
    }
