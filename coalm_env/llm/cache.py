"""On-disk response cache: reruns with the same prompts, parameters and seeds cost nothing.

One sqlite file (``responses.sqlite`` under ``cache_dir``) in WAL mode, so several processes can read
and write it at once; a row is written in one transaction, so a reader never sees half a response.
The key is a SHA-256 of (backend, model, messages + tools as canonical JSON, sampling parameters,
seed); under greedy decoding the seed is left out, since it cannot change the completion.
Responses with ``error`` set are not stored (a retry should ask again).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

from coalm_env.llm.base import BaseGenerator, Generation, SamplingParams, request_seeds

__all__ = ["ResponseCache", "CachedGenerator", "cache_key"]


def cache_key(backend: str, model: str, messages: list[dict], tools: list[dict] | None,
              params: SamplingParams, seed: int | None) -> str:
    """The hex key of one request."""
    sampling = {**params.to_dict(), "seed": None if params.greedy else seed}
    payload = {"backend": backend, "model": model, "messages": messages, "tools": tools or [], "params": sampling}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    """A key -> :class:`Generation` table in ``cache_dir/responses.sqlite``."""

    def __init__(self, cache_dir: str | Path):
        self.path = Path(cache_dir) / "responses.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()  # one connection per thread (sqlite3 connections are not shared)
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._conn() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def get(self, key: str) -> Generation | None:
        row = self._conn().execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        gen = Generation.from_dict(json.loads(row[0]))
        gen.cached = True
        return gen

    def put(self, key: str, gen: Generation) -> None:
        value = json.dumps({**gen.to_dict(), "cached": False}, ensure_ascii=False)
        with self._conn() as conn:  # one transaction
            conn.execute("INSERT OR REPLACE INTO responses (key, value) VALUES (?, ?)", (key, value))

    def __len__(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        """Close every thread's connection; the cache reopens on next use."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


class CachedGenerator(BaseGenerator):
    """Wraps a generator: hits come from the cache (``cached=True``), misses go to it in one batch."""

    def __init__(self, inner, cache: ResponseCache):
        super().__init__(inner.model, getattr(inner, "params", None))
        self.inner = inner
        self.name = inner.name
        self.cache = cache
        self.hits = 0
        self.misses = 0

    def _keys(self, batch, tools, params, seeds) -> list[str]:
        return [cache_key(self.name, self.model, m, tools, params, s) for m, s in zip(batch, seeds)]

    def generate(self, batch, *, tools=None, params=None, seeds=None) -> list[Generation]:
        params = params or self.params
        seeds = request_seeds(len(batch), params, seeds)
        keys = self._keys(batch, tools, params, seeds)
        out: list[Generation | None] = [self.cache.get(k) for k in keys]
        todo = [i for i, g in enumerate(out) if g is None]
        self.hits += len(batch) - len(todo)
        self.misses += len(todo)
        if todo:
            fresh = self.inner.generate([batch[i] for i in todo], tools=tools, params=params,
                                        seeds=[seeds[i] for i in todo])
            for i, gen in zip(todo, fresh):
                out[i] = self._store(keys[i], gen)
        return out  # type: ignore[return-value]

    async def agenerate(self, messages, *, tools=None, params=None, seed=None) -> Generation:
        params = params or self.params
        seed = params.seed if seed is None else seed
        key = cache_key(self.name, self.model, messages, tools, params, seed)
        hit = self.cache.get(key)
        if hit is not None:
            self.hits += 1
            return hit
        self.misses += 1
        gen = await self.inner.agenerate(messages, tools=tools, params=params, seed=seed)
        return self._store(key, gen)

    def _store(self, key: str, gen: Generation) -> Generation:
        if gen.error is None:
            self.cache.put(key, gen)
        return gen

    def close(self) -> None:
        self.inner.close()
        self.cache.close()
