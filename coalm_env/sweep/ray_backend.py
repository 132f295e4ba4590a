"""The Ray backend of a sweep: the same chunks as the local pool, played by Ray actors, one per worker.

Each actor is a long-lived worker process holding :mod:`coalm_env.sweep.worker`'s per-process cache, so an
LLM policy or user loads its backend once per worker, exactly as in the local pool. An actor that frees up
takes the next chunk of the cell it played last when there is one (no rebuilding), else the next chunk in
plan order. Actors return result lines; the parent alone writes them (through the same
:class:`~coalm_env.sweep.store.ResultStore`), so resume after ``kill -9`` is unchanged.

``ray`` (the ``[ray]`` extra) is imported only when this backend runs. Without an address (and without
``RAY_ADDRESS`` in the environment) a local Ray instance with ``num_cpus=workers`` is started and shut
down afterwards; with one, ``ray.init(address=...)`` joins that cluster, whose workers must be able to
import ``coalm_env`` (install it on every node, the same version).
A Ray session already initialized by the caller is used as it is and left running.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from coalm_env.errors import ConfigError

__all__ = ["ray_results", "import_ray"]

Chunk = tuple[dict[str, Any], list[dict[str, Any]]]


def import_ray() -> Any:
    """``ray``, or a :class:`ConfigError` saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--backend ray needs the ray package, which is not installed",
                          hint='pip install -e ".[ray]" (or use --backend local)') from exc
    return ray


class ChunkWorker:
    """The body of one Ray actor: plays chunks with the worker cache of its own process."""

    def __init__(self) -> None:
        from coalm_env.sweep.worker import clear_cache

        clear_cache()

    def run(self, cell: dict[str, Any], episodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from coalm_env.sweep.worker import run_chunk

        return run_chunk(cell, episodes)


def _take(queue: list[Chunk], last_cell: str | None) -> Chunk:
    for i, (cell, _) in enumerate(queue):
        if cell["id"] == last_cell:
            return queue.pop(i)
    return queue.pop(0)


def ray_results(chunks: list[Chunk], workers: int, address: str | None = None) -> Iterator[list[dict[str, Any]]]:
    """Play ``chunks`` on ``workers`` Ray actors; yield each chunk's result lines as it finishes."""
    if not chunks:
        return
    ray = import_ray()
    address = address or os.environ.get("RAY_ADDRESS") or None
    started = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        started = True
    actor_cls = ray.remote(num_cpus=1)(ChunkWorker)
    actors: list[Any] = []
    try:
        queue = list(chunks)
        actors = [actor_cls.remote() for _ in range(min(workers, len(queue)))]
        last: dict[int, str | None] = {i: None for i in range(len(actors))}
        running: dict[Any, int] = {}

        def submit(i: int) -> None:
            cell, episodes = _take(queue, last[i])
            last[i] = cell["id"]
            running[actors[i].run.remote(cell, episodes)] = i

        for i in range(len(actors)):
            submit(i)
        while running:
            finished, _ = ray.wait(list(running), num_returns=1)
            for ref in finished:
                i = running.pop(ref)
                lines = ray.get(ref)  # a chunk that raised raises here, as future.result() does locally
                if queue:
                    submit(i)
                yield lines
    finally:
        for actor in actors:
            try:
                ray.kill(actor)
            except Exception:  # pragma: no cover - a dead actor or a gone cluster
                pass
        if started:
            ray.shutdown()
