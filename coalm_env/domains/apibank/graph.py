"""The API graph of a level: every API as a node, and the edges between them.

Edges: a token producer (``GetUserToken``, ``RegisterUser``) feeds every ``token`` parameter; an
appointment id from ``AppointmentRegistration`` feeds its cancel/modify APIs; ``ForgotPassword``'s code
feeds its second step; ``ToolSearcher`` reveals every API (an edge with ``kind="reveal"`` and no
fields); and every data flow the gold plans show (a later argument equal to an earlier output).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from coalm_env.backend.graph import ApiGraph, ApiSpec, Dependency
from coalm_env.domains.apibank import apis_account, apis_calendar, apis_health, apis_home, apis_lv3, apis_web
from coalm_env.domains.apibank.resources import descriptions, recordings
from coalm_env.domains.apibank.retriever import ToolSearcher, retrieved_names
from coalm_env.domains.apibank.samples import gold_sources, load_scenarios
from coalm_env.domains.apibank.schema import make_spec

__all__ = ["build_graph", "tool_searcher", "ALWAYS_OPTIONAL"]

#: parameters the APIs accept beyond their descriptions: the dataset's TimedSwitch gold uses device_id
_EXTRA = {name: {"device_id": {"type": "string", "description": "Alias of name: the device's id."}}
          for name in ("TimedSwitch", "CancelTimedSwitch")}
#: parameters that are optional although described (the API works without them)
ALWAYS_OPTIONAL = {
    "TimedSwitch": ("name",), "CancelTimedSwitch": ("name",), "Translate": ("src_lang",),
    "ForgotPassword": ("username", "email", "verification_code", "new_password"),
}
_PRODUCED = {"GetUserToken": ("token", "token"), "RegisterUser": ("token", "token")}


def _wildcard(path: str) -> str:
    """``meetings.0.meeting_time`` -> ``meetings[].meeting_time`` (any list item)."""
    return re.sub(r"\.?(\d+)(?=\.|$)", "[]", path)


def _group(level: int) -> str:
    return "lv3" if level == 3 else "lv12"


@functools.cache
def tool_searcher(level: int) -> ToolSearcher:
    """The retriever over the descriptions of ``level``'s APIs (cached per process)."""
    return ToolSearcher(descriptions(level))


def _tool_searcher_handler(level: int):
    searcher = tool_searcher(level)
    recorded = recordings(_group(level))

    def handler(state: Any, keywords: str) -> Any:
        found, output = recorded.get("ToolSearcher", {"keywords": keywords})
        names = [n for n in retrieved_names(output) if n in searcher.descriptions] if found else []
        return searcher.best_matches(names) if names else searcher.search(keywords)

    return handler


def _handlers(level: int) -> dict[str, tuple[Any, bool]]:
    if level == 3:
        table = apis_lv3.handlers(recordings("lv3"))
    else:
        table = {**apis_account.HANDLERS, **apis_calendar.HANDLERS, **apis_health.HANDLERS, **apis_home.HANDLERS,
                 **apis_web.handlers(recordings("lv12"))}
    table["ToolSearcher"] = (_tool_searcher_handler(level), False)
    return table


def _required(name: str, description: dict[str, Any], gold_inputs: list[dict[str, Any]]) -> list[str]:
    """Described parameters that every gold call of the API passes (all of them when none is recorded)."""
    params = [p for p in description.get("input_parameters", {}) if p not in ALWAYS_OPTIONAL.get(name, ())]
    if not gold_inputs:
        return params
    return [p for p in params if all(p in i for i in gold_inputs)]


@functools.cache
def _gold_steps(level: int) -> tuple[list[dict[str, Any]], ...]:
    levels = (3,) if level == 3 else (1, 2)
    return tuple(s.meta["steps"] for lv in levels for s in load_scenarios(lv))


def _specs(level: int) -> list[ApiSpec]:
    handlers = _handlers(level)
    inputs: dict[str, list[dict[str, Any]]] = {}
    for steps in _gold_steps(level):
        for step in steps:
            inputs.setdefault(step["name"], []).append(step["input"])
    specs = []
    for name, description in descriptions(level).items():
        fn, writes = handlers[name]
        required = _required(name, description, inputs.get(name, []))
        specs.append(make_spec(description, fn, writes=writes, required=required, extra=_EXTRA.get(name)))
    return specs


def _dependencies(graph: ApiGraph, level: int) -> set[Dependency]:
    deps: set[Dependency] = set()
    for source, (fld, param) in _PRODUCED.items():
        if source in graph:
            deps |= {Dependency(source, fld, t, param) for t in graph.names
                     if param in graph.spec(t).parameters["properties"]}
    if level != 3:
        deps |= {Dependency("AppointmentRegistration", "", t, "appointment_id")
                 for t in ("CancelRegistration", "ModifyRegistration")}
        deps.add(Dependency("ForgotPassword", "", "ForgotPassword", "verification_code"))
    for steps in _gold_steps(level):
        for i, step in enumerate(steps):
            for param, (index, path) in gold_sources(step, steps[:i]).items():
                if step["name"] in graph and param in graph.spec(step["name"]).parameters["properties"]:
                    deps.add(Dependency(steps[index]["name"], _wildcard(path), step["name"], param))
    return deps


@functools.cache
def build_graph(level: int) -> ApiGraph:
    """The API graph of ``level`` (levels 1 and 2 share the 53 APIs; level 3 has its 22)."""
    graph = ApiGraph(_specs(level))
    for dep in sorted(_dependencies(graph, level), key=lambda d: (d.source, d.target, d.param, d.field)):
        graph.add_dependency(dep)
    for name in graph.names:
        if name != "ToolSearcher" and not graph.graph.has_edge("ToolSearcher", name):
            graph.graph.add_edge("ToolSearcher", name, fields=[], kind="reveal")
    return graph
