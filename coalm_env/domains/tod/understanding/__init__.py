"""Understanding what agents say in task-oriented domains: slot values in any form, and dialogue acts.

One component for the scorers, the agenda user and the rule policy::

    u = Understanding.from_data(multiwoz_folder)          # or Understanding.fallback(names) (Travel)
    u.gives_value("Their number is 01223-351-880.", "phone", "01223351880")   # True
    u.find_values("It's downtown, and pricey.", "area")  # [ValueMention('area', 'centre', 5, 13, 'downtown')]
    read_agent_turn("...including X and Y. I'd suggest Z.", understanding=u).offers   # {'restaurant': ['Z', ...]}

Imports only the standard library, rapidfuzz and this package; no loop code.
"""

from coalm_env.domains.tod.understanding.acts import AgentReading, read_agent_turn
from coalm_env.domains.tod.understanding.lexicon import Lexicon, fallback_lexicon, load_lexicon
from coalm_env.domains.tod.understanding.values import Understanding, ValueMention

__all__ = ["Understanding", "ValueMention", "AgentReading", "read_agent_turn", "Lexicon", "fallback_lexicon",
           "load_lexicon", "find_values", "gives_value"]


def find_values(text: str, slot: str, candidates=None) -> list[ValueMention]:
    """:meth:`Understanding.find_values` with the hand-written table (names: pass them as ``candidates``)."""
    return _fallback().find_values(text, slot, candidates)


def gives_value(text: str, slot: str, value: str) -> bool:
    """:meth:`Understanding.gives_value` with the hand-written table."""
    return _fallback().gives_value(text, slot, value)


_FALLBACK: list[Understanding] = []


def _fallback() -> Understanding:
    if not _FALLBACK:
        _FALLBACK.append(Understanding.fallback())
    return _FALLBACK[0]
