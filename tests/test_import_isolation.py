"""``import coalm_env`` (and its core modules) pulls in no heavy or plug-in package."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ["torch", "transformers", "trl", "vllm", "ray", "simulators", "policies", "experiments", "matplotlib"]
CORE = ["coalm_env", "coalm_env.env", "coalm_env.rollout", "coalm_env.rescore", "coalm_env.cli", "coalm_env.scoring"]


def test_core_imports_stay_light() -> None:
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
