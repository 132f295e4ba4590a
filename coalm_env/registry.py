"""Name -> ``"module:attr"`` registries, so the core never imports plug-ins at module level.

Users (``--user agenda``), policies (``--policy oracle``) and domains resolve through here. A spec
is ``NAME`` or ``NAME:key=value,key=value`` (values parsed as JSON where they parse, else strings).
Third-party packages can add names with :func:`register`.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from typing import Any

from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.specs import ENV_SPECS

__all__ = ["Registry", "UserRegistry", "USERS", "PERSONAS", "split_personas", "POLICIES", "DOMAINS", "parse_spec", "load_entry_point"]


def load_entry_point(target: str) -> Any:
    """Import ``"package.module:attr"`` and return the attribute."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    obj = module
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _top_level(text: str, sep: str):
    """Offsets of ``sep`` outside brackets and quotes (``flags=[1,2],name="a,b"`` has one top-level comma)."""
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == sep and depth == 0:
            yield i


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and quotes, so ``flags=[1,2],name="a,b"`` stays two items."""
    bounds = [-1, *_top_level(text, ","), len(text)]
    return [text[a + 1:b] for a, b in zip(bounds, bounds[1:])]


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"agenda:patience=3,typo_rate=0.1"`` -> ``("agenda", {"patience": 3, "typo_rate": 0.1})``."""
    name, _, rest = spec.partition(":")
    kwargs: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in _split_top_level(rest))):
        key, eq, value = item.partition("=")
        if not eq:
            raise ConfigError(f"bad option {item!r} in spec {spec!r}", hint="write key=value")
        kwargs[key.strip()] = _parse_value(value.strip())
    return name.strip(), kwargs


@dataclass
class Registry:
    """A table of named factories given as import strings."""

    kind: str
    entries: dict[str, str] = field(default_factory=dict)

    def register(self, name: str, target: str, *, overwrite: bool = False) -> None:
        if name in self.entries and not overwrite and self.entries[name] != target:
            raise ConfigError(f"{self.kind} {name!r} is already registered as {self.entries[name]}")
        self.entries[name] = target

    def names(self) -> list[str]:
        return sorted(self.entries)

    def resolve(self, name: str) -> Any:
        if name not in self.entries:
            raise UnknownNameError(self.kind, name, self.entries)
        target = self.entries[name]
        try:
            return load_entry_point(target)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{self.kind} {name!r} is registered as {target}, which cannot be loaded: {exc}",
                              hint="install the package that provides it, or fix the registration") from exc

    def make(self, spec: str | Any, **extra: Any) -> Any:
        """Build from a spec string; an object that is not a string is returned as it is.

        A factory with ``takes_generator_spec = True`` gets everything after ``NAME:`` unparsed as its
        ``generator`` keyword (a generator spec, :func:`coalm_env.llm.split_generator_spec`).
        """
        if not isinstance(spec, str):
            return spec
        name, _, rest = spec.partition(":")
        name = name.strip()
        factory = self.resolve(name)
        if getattr(factory, "takes_generator_spec", False):
            # LLM plug-ins (``react:hf:PATH,temperature=0.7``): the raw remainder is a generator spec
            kwargs = {"generator": rest.strip()}
        else:
            name, kwargs = parse_spec(spec)
        try:
            return factory(**{**kwargs, **extra})
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"cannot build {self.kind} {spec!r}: {exc}",
                              hint=f"check the options of {self.entries[name]}") from exc


PERSONAS = Registry("persona", {
    "typos": "simulators.personas:Typos",
    "terse": "simulators.personas:Terse",
    "verbose": "simulators.personas:Verbose",
    "impatient": "simulators.personas:Impatient",
    "adversarial": "simulators.personas:Adversarial",
    "goal_change": "simulators.personas_goal:GoalChange",
    "multi_intent": "simulators.personas_goal:MultiIntent",
    "non_cooperative": "simulators.personas_goal:NonCooperative",
})


def split_personas(spec: str, personas: Registry = PERSONAS) -> tuple[str, list[str]]:
    """``"agenda+typos:rate=0.05+impatient"`` -> ``("agenda", ["typos:rate=0.05", "impatient"])``: a ``+``
    outside brackets and quotes followed by a registered persona name starts a wrapper."""
    cuts = [i for i in _top_level(spec, "+")
            if spec[i + 1:].split(":", 1)[0].split("+", 1)[0].strip() in personas.entries]
    bounds = [*cuts, len(spec)]
    return spec[: bounds[0]], [spec[a + 1: b] for a, b in zip(bounds, bounds[1:])]


@dataclass
class UserRegistry(Registry):
    """User simulators, plus persona composition: ``agenda+typos:rate=0.05+impatient:patience=2`` builds
    the base user (``agenda``), then wraps it in each persona in turn (``persona(inner, **options)``)."""

    personas: Registry = field(default_factory=lambda: PERSONAS)

    def make(self, spec: str | Any, **extra: Any) -> Any:
        if not isinstance(spec, str):
            return spec
        base, wrappers = split_personas(spec, self.personas)
        user = super().make(base, **extra)
        for item in wrappers:
            name, kwargs = parse_spec(item)
            factory = self.personas.resolve(name)
            try:
                user = factory(user, **kwargs)
            except (TypeError, ValueError) as exc:
                if isinstance(exc, ConfigError):
                    raise
                raise ConfigError(f"cannot build persona {item!r}: {exc}",
                                  hint=f"check the options of {self.personas.entries[name]}") from exc
        return user


USERS = UserRegistry("user simulator", {
    "agenda": "simulators.agenda:AgendaUser",
    "replay": "simulators.replay:ReplayUser",
    "apibank_replay": "simulators.apibank:APIBankReplayUser",
    "apibank_goal": "simulators.apibank:APIBankGoalUser",
    "llm": "simulators.llm:LLMUser",
})
POLICIES = Registry("policy", {
    "oracle": "policies.oracle:OraclePolicy",
    "gold_replay": "policies.gold_replay:GoldReplayPolicy",
    "rule": "policies.rule:RulePolicy",
    "rule_acts": "policies.rule_acts:RuleActsPolicy",  # the act-level mode (interface="acts")
    "random": "policies.random:RandomPolicy",
    "react": "policies.react:ReactPolicy",
    "chat": "policies.chat:ChatPolicy",
})
#: built-in domains come from the id table (:data:`coalm_env.specs.ENV_SPECS`)
DOMAINS = Registry("domain", {s.domain: s.entry_point for s in ENV_SPECS.values() if s.entry_point})


def register(kind: str, name: str, target: str) -> None:
    """Add a plug-in: ``register("user", "my_llm_user", "mypkg.users:MyUser")``."""
    tables = {"user": USERS, "policy": POLICIES, "domain": DOMAINS, "persona": PERSONAS}
    if kind not in tables:
        raise UnknownNameError("registry", kind, tables)
    tables[kind].register(name, target)
