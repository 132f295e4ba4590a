"""The env-id table and the domain cache.

Each registered id maps to ``ConversationEnv`` with a domain name and default options. Domains are
built once per (name, options) and shared by every env of the process, so a vector of 64 envs does
not generate or load a database 64 times.
"""

from __future__ import annotations

import json
from typing import Any

from coalm_env.registry import DOMAINS

__all__ = ["ENV_IDS", "get_domain", "clear_cache"]

#: id -> (domain name, default kwargs for ConversationEnv)
ENV_IDS: dict[str, tuple[str, dict[str, Any]]] = {
    "coalm/Travel-v0": ("travel", {}),
    # MultiWOZ 2.4 val/test dialogues; option oracle="script"|"gold_replay"
    "coalm/MultiWOZ-v0": ("multiwoz", {}),
    # BFCL force-quits on a 21st tool step in a turn (count > 20); the env truncates on reaching the cap.
    # BFCL has no cap on calls per step (long_context ground truth has 34 in one turn).
    "coalm/BFCL-MultiTurn-v0": ("bfcl", {"max_steps_per_turn": 21, "max_calls_per_action": 64}),
    # API-Bank: option level=1|2|3 (default 1); see coalm_env.domains.apibank
    "coalm/APIBank-v0": ("apibank", {}),
}

_CACHE: dict[tuple[str, str], Any] = {}


def get_domain(name: str, **options: Any) -> Any:
    """The domain object for ``name`` built with ``options`` (cached)."""
    key = (name, json.dumps(options, sort_keys=True, default=str))
    if key not in _CACHE:
        _CACHE[key] = DOMAINS.make(name, **options)
    return _CACHE[key]


def clear_cache() -> None:
    _CACHE.clear()
