"""Vectorised coalm envs whose dead workers are reported clearly (issue 16).

A coalm env never raises out of ``step()``/``reset()`` (a malformed or hostile action is an error
observation), so a hostile action sent to one sub-env of a :class:`gymnasium.vector.AsyncVectorEnv`
leaves every worker running (tests/test_isolation.py). An exception that escapes a sub-env anyway is
re-raised by gymnasium in the parent with the worker's traceback. A worker *process* that dies (killed,
out of memory, ``os._exit``), however, surfaces in plain gymnasium as a bare ``EOFError`` or
``BrokenPipeError`` with no message, and a later ``close()`` raises again.

:class:`CoalmAsyncVectorEnv` is ``AsyncVectorEnv`` with that one difference: a dead worker becomes a
:class:`WorkerDied` (a :class:`~coalm_env.errors.CoalmError`) naming the sub-env index, its process id
and its exit code (``-9``: killed by SIGKILL, e.g. the OOM killer), and ``close()`` afterwards tears the
remaining workers down without raising. :func:`make_vec` builds one over a registered id::

    envs = make_vec("coalm/Travel-v0", 4, user="agenda")
    obs, infos = envs.reset(seed=[0, 1, 2, 3])

Observations are text spaces, so shared memory is off (gymnasium cannot share ``Text`` buffers).
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import gymnasium as gym
from gymnasium.vector.async_vector_env import AsyncState

from coalm_env.errors import CoalmError

__all__ = ["WorkerDied", "CoalmAsyncVectorEnv", "make_vec"]

_PIPE_ERRORS = (EOFError, BrokenPipeError, ConnectionResetError)


class WorkerDied(CoalmError):
    """A worker process of a vector env is gone; ``dead`` lists ``(index, pid, exitcode)``."""

    def __init__(self, dead: list[tuple[int, int | None, int | None]], during: str):
        where = ", ".join(f"sub-env {i} (pid {pid}, exit code {code})" for i, pid, code in dead) or "a worker"
        super().__init__(f"vector env worker died during {during}: {where}",
                         hint="a negative exit code is the signal that killed it (-9: SIGKILL, often the "
                              "OOM killer); the other sub-envs were shut down; build a new vector env")
        self.dead = dead


class CoalmAsyncVectorEnv(gym.vector.AsyncVectorEnv):
    """``gymnasium.vector.AsyncVectorEnv`` that raises :class:`WorkerDied` (index, pid, exit code of the
    dead worker) instead of a bare ``EOFError``/``BrokenPipeError``, and closes cleanly afterwards.
    Takes ``AsyncVectorEnv``'s arguments."""

    _worker_died = False

    def _dead(self) -> list[tuple[int, int | None, int | None]]:
        out = []
        for i, process in enumerate(self.processes):
            process.join(timeout=1.0)  # a worker that just died may not be reaped yet
            if not process.is_alive():
                out.append((i, process.pid, process.exitcode))
        return out

    def _guard(self, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(super(), name)(*args, **kwargs)
        except _PIPE_ERRORS as exc:
            self._state = AsyncState.DEFAULT  # nothing is pending any more: close() must not wait
            self._worker_died = True
            raise WorkerDied(self._dead(), name.removesuffix("_wait").removesuffix("_async")) from exc

    def reset_async(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("reset_async", *args, **kwargs)

    def reset_wait(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("reset_wait", *args, **kwargs)

    def step_async(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("step_async", *args, **kwargs)

    def step_wait(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("step_wait", *args, **kwargs)

    def call_async(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("call_async", *args, **kwargs)

    def call_wait(self, *args: Any, **kwargs: Any) -> Any:
        return self._guard("call_wait", *args, **kwargs)

    def close_extras(self, timeout: float | None = None, terminate: bool = False) -> None:
        if self._worker_died:
            terminate = True  # the dead worker's pipe cannot answer "close"
        try:
            super().close_extras(timeout, terminate)
        except (*_PIPE_ERRORS, multiprocessing.TimeoutError, OSError):
            for process in self.processes:
                if process.is_alive():
                    process.terminate()
                process.join(timeout=1.0)


def make_vec(env_id: str, num_envs: int, **kwargs: Any) -> Any:
    """``num_envs`` copies of ``gym.make(env_id, **kwargs)`` in worker processes (a
    :class:`CoalmAsyncVectorEnv`, shared memory off)."""
    import functools

    if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
        from coalm_env.errors import ConfigError

        raise ConfigError(f"num_envs must be a positive integer, got {num_envs!r}")
    return CoalmAsyncVectorEnv([functools.partial(gym.make, env_id, **kwargs)] * num_envs, shared_memory=False)
