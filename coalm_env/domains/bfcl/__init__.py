"""BFCL V3 multi-turn as an interactive domain: the official backends (from the ``bfcl_eval`` wheel)
behind an :class:`~coalm_env.backend.graph.ApiGraph`, replayed user turns, and the official checker's
verdicts over safe (parse-and-dispatch, never ``eval``) execution.

Modules: ``entries`` (data), ``calls`` (call strings), ``apis`` (graph nodes and edges), ``runtime``
(instances, sessions, execution), ``checker`` (the verdict), ``scenarios``, ``domain``.
"""

from coalm_env.domains.bfcl.domain import BFCLDomain

__all__ = ["BFCLDomain"]
