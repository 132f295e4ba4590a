"""From a registered env id to an env or a domain, with options checked before anything is built.

``ENV_IDS`` maps an id to a domain name and default ``ConversationEnv`` keyword arguments; options
the env does not take go to the domain constructor. An option neither accepts is reported with a
did-you-mean instead of a ``TypeError`` deep inside a constructor.
"""

from __future__ import annotations

import inspect
from typing import Any

from coalm_env.domains import ENV_IDS, get_domain
from coalm_env.env import ConversationEnv
from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.registry import DOMAINS

__all__ = ["lookup", "make_env", "domain_for", "split_options", "ENV_PARAMS"]

#: keyword arguments ConversationEnv takes itself; every other option is a domain option
ENV_PARAMS = frozenset(
    name
    for name, p in inspect.signature(ConversationEnv.__init__).parameters.items()
    if name not in ("self", "domain") and p.kind is not inspect.Parameter.VAR_KEYWORD
)


def lookup(env_id: str) -> tuple[str, dict[str, Any]]:
    """``(domain name, default env kwargs)`` of a registered id."""
    if env_id not in ENV_IDS:
        raise UnknownNameError("env id", env_id, ENV_IDS)
    name, defaults = ENV_IDS[env_id]
    return name, dict(defaults)


def split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(env kwargs, domain options)``."""
    env = {k: v for k, v in options.items() if k in ENV_PARAMS}
    return env, {k: v for k, v in options.items() if k not in ENV_PARAMS}


def _check_domain_options(env_id: str, name: str, options: dict[str, Any]) -> None:
    if not options:
        return
    params = inspect.signature(DOMAINS.resolve(name)).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return
    known = {p.name for p in params} | ENV_PARAMS
    for key in options:
        if key not in known:
            raise UnknownNameError(f"option of {env_id}", key, known)


def make_env(env_id: str, **options: Any) -> ConversationEnv:
    """A :class:`ConversationEnv` for ``env_id``; ``options`` override the id's defaults."""
    name, defaults = lookup(env_id)
    if "domain" in options or "env_id" in options:
        raise ConfigError("'domain' and 'env_id' come from the env id; they cannot be options")
    kwargs = {**defaults, **options}
    _check_domain_options(env_id, name, split_options(kwargs)[1])
    return ConversationEnv(name, env_id=env_id, **kwargs)


def domain_for(env_id: str, **options: Any) -> Any:
    """The (cached) domain object behind ``env_id`` with ``options`` applied; env-only options are ignored."""
    name, defaults = lookup(env_id)
    domain_options = split_options({**defaults, **options})[1]
    _check_domain_options(env_id, name, domain_options)
    return get_domain(name, **domain_options)
