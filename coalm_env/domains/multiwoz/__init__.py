"""MultiWOZ 2.4 (``coalm/MultiWOZ-v0``): real goals, databases, gold dialogues and states.

``MultiWOZDomain`` is imported lazily so that the scorer can import the data modules of this package
without importing the domain (which imports the scorer).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MultiWOZDomain"]


def __getattr__(name: str) -> Any:
    if name == "MultiWOZDomain":
        from coalm_env.domains.multiwoz.domain import MultiWOZDomain

        return MultiWOZDomain
    raise AttributeError(name)
