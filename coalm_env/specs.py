"""The one table of registered env ids: which domain each id builds, its defaults, the dataset it needs.

Everything that knows about ids reads :data:`ENV_SPECS`: Gymnasium registration
(:func:`coalm_env.register_envs`), the domain registry (:data:`coalm_env.registry.DOMAINS` takes its
built-in entries from here), :func:`coalm_env.resolve.make_env`, ``coalm-env list`` (data status and
``--details``), and the tests. This module imports nothing heavy: entry points are strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["EnvSpec", "ENV_SPECS", "spec"]


@dataclass(frozen=True)
class EnvSpec:
    """One registered env id.

    Attributes:
        id: the Gymnasium id (``coalm/Travel-v0``).
        domain: the domain registry name the id builds (``travel``).
        entry_point: ``"module:Class"`` of the domain; ``None`` for a domain registered elsewhere
            (a plug-in or a test fixture through :func:`coalm_env.registry.register`).
        defaults: default ``ConversationEnv`` keyword arguments of the id (env or domain options);
            readers copy it.
        dataset: the :data:`coalm_env.data.DATASETS` name the id reads, ``None`` when it needs no download.
    """

    id: str
    domain: str
    entry_point: str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    dataset: str | None = None


def _table(*specs: EnvSpec) -> dict[str, EnvSpec]:
    return {s.id: s for s in specs}


#: id -> :class:`EnvSpec` (tests add fixture ids with ``monkeypatch.setitem``)
ENV_SPECS: dict[str, EnvSpec] = _table(
    EnvSpec("coalm/Travel-v0", "travel", "coalm_env.domains.travel:TravelDomain"),
    # MultiWOZ 2.4 val/test dialogues; option oracle="script"|"gold_replay"
    EnvSpec("coalm/MultiWOZ-v0", "multiwoz", "coalm_env.domains.multiwoz:MultiWOZDomain", dataset="multiwoz24"),
    # procedural goals over the real DBs with the dataset's statistics; splits train/val/test generated on access
    EnvSpec("coalm/MultiWOZ-Procedural-v0", "multiwoz_procedural",
            "coalm_env.domains.multiwoz.procedural:MultiWOZProceduralDomain", dataset="multiwoz24"),
    # BFCL force-quits on a 21st tool step in a turn (count > 20); the env truncates on reaching the cap.
    # BFCL has no cap on calls per step (long_context ground truth has 34 in one turn).
    EnvSpec("coalm/BFCL-MultiTurn-v0", "bfcl", "coalm_env.domains.bfcl:BFCLDomain",
            {"max_steps_per_turn": 21, "max_calls_per_action": 64}, dataset="bfcl"),
    # generated BFCL multi-turn tasks over the official backends, train/val/test (coalm_env.domains.bfcl.procedural)
    EnvSpec("coalm/BFCL-Procedural-v0", "bfcl_procedural", "coalm_env.domains.bfcl.procedural:BFCLProceduralDomain",
            {"max_steps_per_turn": 21, "max_calls_per_action": 64}, dataset="bfcl"),
    # API-Bank: option level=1|2|3 (default 1); see coalm_env.domains.apibank
    EnvSpec("coalm/APIBank-v0", "apibank", "coalm_env.domains.apibank:APIBankDomain", dataset="apibank"),
    # generated API-Bank tasks (train/val/test by plan skeleton); options level, seed, knobs (see
    # coalm_env.domains.apibank.procedural); a level-2/3 plan of n calls takes 2n tool steps + a reply
    EnvSpec("coalm/APIBank-Procedural-v0", "apibank_procedural",
            "coalm_env.domains.apibank.procedural:APIBankProceduralDomain", {"max_steps_per_turn": 24},
            dataset="apibank"),
)


def spec(env_id: str) -> EnvSpec:
    """The spec of a registered id (did-you-mean on a typo)."""
    if env_id not in ENV_SPECS:
        from coalm_env.errors import UnknownNameError

        raise UnknownNameError("env id", env_id, ENV_SPECS)
    return ENV_SPECS[env_id]
