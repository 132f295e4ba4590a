"""Crash-safe experiment sweeps: a YAML grid run on a local process pool or Ray actors, resumable after
``kill -9``.

- :mod:`~coalm_env.sweep.config`: the YAML config (:class:`SweepConfig`), cells and the config hash.
- :mod:`~coalm_env.sweep.plan`: every episode's stable key and reset seed; cells without data skipped.
- :mod:`~coalm_env.sweep.store`: ``results.jsonl`` (fsync'd per episode, torn last line dropped).
- :mod:`~coalm_env.sweep.worker`: what a worker process runs (the env's public loop).
- :mod:`~coalm_env.sweep.runner`: :func:`run_sweep`, progress bars and ``summary.json``.
- :mod:`~coalm_env.sweep.ray_backend`: the same chunks on Ray actors, one per worker (``ray`` imported lazily).
"""

from __future__ import annotations

from coalm_env.sweep.config import CellSpec, SweepConfig, load_config
from coalm_env.sweep.plan import plan_sweep
from coalm_env.sweep.runner import SweepResult, run_sweep

__all__ = ["CellSpec", "SweepConfig", "load_config", "plan_sweep", "SweepResult", "run_sweep"]
