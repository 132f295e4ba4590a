"""The compiled argument check (``coalm_env.backend.graph.fast_validator``, fastjsonschema) against jsonschema.

The fast path may only say "valid" where jsonschema finds no error (on any doubt it defers to jsonschema,
which also words the error), so ``ApiGraph.check_arguments`` gives the same list with and without it."""

from __future__ import annotations

import random

import pytest

from coalm_env.backend.graph import ApiGraph, ApiSpec, _describe, fast_validator


def _slow(graph: ApiGraph, name: str, arguments: dict) -> list[str]:
    errors = sorted(graph._validators[name].iter_errors(dict(arguments)), key=lambda e: list(e.absolute_path))
    return [_describe(e, name) for e in errors]


_TEXTS = ("", " ", "x", "1", "0", "-3", "2.5", "yes", "no", "true", "null", "12:30", "25:99", "9:5", "2026-12-02",
          "dontcare", "cambridge", "Cambridge ", "a" * 300, "\u00e9t\u00e9", "line\nbreak", "[1]", "{}", "1e400")


def _values(schema: dict) -> list[str]:
    out = list(_TEXTS)
    for sub in (schema.get("properties") or {}).values():
        if isinstance(sub, dict):
            out += [v for v in sub.get("enum", ()) if isinstance(v, str)]
            if isinstance(sub.get("const"), str):
                out.append(sub["const"])
    return out


def _arguments(rng: random.Random, schema: dict, values: list[str]) -> dict[str, str]:
    names = list(schema.get("properties") or {}) + ["unknown_argument"]
    keys = rng.sample(names, rng.randint(0, len(names)))
    return {k: rng.choice(values) for k in keys}


def _graphs() -> list[ApiGraph]:
    from coalm_env.domains import get_domain

    graphs = [get_domain("travel").api_graph()]
    for name, opts in (("multiwoz", {}), ("apibank", {"level": 1}), ("bfcl", {})):
        try:
            graphs.append(get_domain(name, **opts).api_graph())
        except Exception:  # that dataset is not here: the others still run
            continue
    return graphs


def test_fast_check_never_passes_what_jsonschema_rejects():
    rng = random.Random(0)
    fast_used = passed = 0
    for graph in _graphs():
        for name in graph.names:
            schema = graph.spec(name).parameters
            check = fast_validator(schema)
            fast_used += check is not None
            values = _values(schema)
            for _ in range(60):
                args = _arguments(rng, schema, values)
                slow = _slow(graph, name, args)
                if check is not None and check(args):
                    passed += 1
                    assert slow == [], (name, args, slow)
                assert graph.check_arguments(name, args) == slow, (name, args)
    assert fast_used and passed  # the fast path is exercised, not skipped


def test_schemas_outside_the_shared_keywords_get_no_fast_check():
    assert fast_validator({"type": "object", "properties": {"a": {"type": "array", "prefixItems": [{}]}}}) is None
    assert fast_validator({"type": "object", "dependentRequired": {"a": ["b"]}}) is None
    assert fast_validator({"type": "object", "properties": {"a": {"$ref": "#/x"}}}) is None
    assert fast_validator({"type": "object", "properties": {"a": {"type": "string"}}}) is not None


@pytest.mark.parametrize("args, ok", [({"area": "north"}, True), ({"area": "middle"}, False), ({}, False),
                                      ({"area": "north", "x": "1"}, False), ({"area": "north", "n": "12"}, True),
                                      ({"area": "north", "n": "1x"}, False)])
def test_check_arguments_same_verdict_and_words(args, ok):
    schema = {"type": "object", "properties": {"area": {"type": "string", "enum": ["north", "south"]},
                                               "n": {"type": "string", "pattern": "^[0-9]+$"}},
              "required": ["area"], "additionalProperties": False}
    graph = ApiGraph([ApiSpec("find_x", "find", schema, lambda state, **kw: {})])
    assert fast_validator(schema)(args) is ok
    assert graph.check_arguments("find_x", args) == _slow(graph, "find_x", args)
    assert (graph.check_arguments("find_x", args) == []) is ok
