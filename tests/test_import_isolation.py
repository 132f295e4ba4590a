"""No module of ``coalm_env`` pulls in a heavy or plug-in package at import time."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ["torch", "transformers", "trl", "vllm", "ray", "simulators", "policies", "experiments", "matplotlib"]
CORE = ["coalm_env", "coalm_env.env", "coalm_env.rollout", "coalm_env.rescore", "coalm_env.cli", "coalm_env.scoring"]


def _forbidden_after(code: str) -> list[str]:
    probe = code + f"\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r}))))"
    out = subprocess.run([sys.executable, "-c", "import json, sys\n" + probe], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def test_core_imports_stay_light() -> None:
    assert _forbidden_after("".join(f"import {m}\n" for m in CORE)) == []


def test_every_coalm_env_module_stays_light() -> None:
    walk = (
        "import importlib, pkgutil, coalm_env\n"
        "for m in pkgutil.walk_packages(coalm_env.__path__, 'coalm_env.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
    )
    assert _forbidden_after(walk) == []
