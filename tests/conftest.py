"""Shared fixtures. Data-backed tests read ``../shared/data`` when it exists (via ``COALM_ENV_DATA``),
else try ``coalm-env data fetch``, else skip with the command that gets the data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if not os.environ.get("COALM_ENV_DATA") and _MIRROR.is_dir():  # unset or empty
    os.environ["COALM_ENV_DATA"] = str(_MIRROR)


def need_data(name: str) -> Path:
    """The dataset folder, fetched if possible; skips the test with instructions otherwise."""
    from coalm_env import data
    from coalm_env.errors import CoalmError

    if data.status(name) != "ready":
        try:
            data.fetch(name)
        except CoalmError as exc:
            pytest.skip(f"dataset {name!r} unavailable: {exc} -- run `coalm-env data fetch {name} --from DIR` "
                        f"or set COALM_ENV_DATA")
    return data.dataset_dir(name)
