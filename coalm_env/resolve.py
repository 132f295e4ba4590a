"""From a registered env id to an env or a domain.

:data:`coalm_env.specs.ENV_SPECS` maps an id to a domain name and default ``ConversationEnv`` keyword
arguments; options the env does not take go to the domain constructor. The option check (an option
neither accepts is reported with a did-you-mean) lives in the construction itself
(:func:`coalm_env.domains.check_options`, called by ``ConversationEnv`` and ``get_domain``), so
``gym.make`` and :func:`make_env` raise the same error.
"""

from __future__ import annotations

from typing import Any

from coalm_env.domains import check_options, get_domain
from coalm_env.env import ENV_PARAMS, ConversationEnv
from coalm_env.errors import ConfigError
from coalm_env.specs import spec

__all__ = ["lookup", "make_env", "domain_for", "split_options", "ENV_PARAMS"]


def lookup(env_id: str) -> tuple[str, dict[str, Any]]:
    """``(domain name, default env kwargs)`` of a registered id."""
    entry = spec(env_id)
    return entry.domain, dict(entry.defaults)


def split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(env kwargs, domain options)``."""
    env = {k: v for k, v in options.items() if k in ENV_PARAMS}
    return env, {k: v for k, v in options.items() if k not in ENV_PARAMS}


def make_env(env_id: str, **options: Any) -> ConversationEnv:
    """A :class:`ConversationEnv` for ``env_id``; ``options`` override the id's defaults. Option names
    are checked by the env itself (the same error as ``gym.make``)."""
    name, defaults = lookup(env_id)
    if "domain" in options or "env_id" in options:
        raise ConfigError("'domain' and 'env_id' come from the env id; they cannot be options")
    return ConversationEnv(name, env_id=env_id, **{**defaults, **options})


def domain_for(env_id: str, **options: Any) -> Any:
    """The (cached) domain object behind ``env_id`` with ``options`` applied; env-only options are ignored."""
    name, defaults = lookup(env_id)
    domain_options = split_options({**defaults, **options})[1]
    check_options(name, domain_options, also=ENV_PARAMS, where=env_id)
    return get_domain(name, **domain_options)
