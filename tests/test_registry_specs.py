"""Registry specs, plug-in registration and did-you-mean errors."""

from __future__ import annotations

import pytest

from coalm_env.errors import ConfigError, UnknownNameError
from coalm_env.registry import POLICIES, Registry, load_entry_point, parse_spec, register


def test_parse_spec_values_are_json_where_they_parse() -> None:
    assert parse_spec("agenda") == ("agenda", {})
    assert parse_spec(" agenda : patience=3, typo_rate=0.1,style=terse,x=null,on=true") == (
        "agenda",
        {"patience": 3, "typo_rate": 0.1, "style": "terse", "x": None, "on": True},
    )
    assert parse_spec("llm:model=Qwen/Qwen3-0.6B")[1] == {"model": "Qwen/Qwen3-0.6B"}


def test_parse_spec_rejects_items_without_value() -> None:
    with pytest.raises(ConfigError, match="key=value"):
        parse_spec("agenda:patience")


def test_unknown_name_suggests_close_ones() -> None:
    reg = Registry("policy", {"oracle": "policies.oracle:OraclePolicy", "random": "policies.random:RandomPolicy"})
    with pytest.raises(UnknownNameError) as err:
        reg.resolve("orcale")
    assert err.value.suggestions == ["oracle"]
    assert "did you mean 'oracle'" in str(err.value)
    with pytest.raises(UnknownNameError, match="known: oracle, random"):
        reg.resolve("zzzzzzzz")


def test_make_builds_from_spec_and_passes_objects_through() -> None:
    policy = POLICIES.make("oracle:fallback=hello")
    assert policy.name == "oracle" and policy.fallback == "hello"
    assert POLICIES.make(policy) is policy


def test_register_conflicts_are_errors() -> None:
    reg = Registry("user", {"a": "x:y"})
    reg.register("a", "x:y")  # same target: idempotent
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("a", "x:z")
    reg.register("a", "x:z", overwrite=True)
    assert reg.entries["a"] == "x:z"
    with pytest.raises(UnknownNameError, match="did you mean 'policy'"):
        register("polcy", "n", "m:a")


def test_load_entry_point_reads_dotted_attributes() -> None:
    assert load_entry_point("coalm_env.types:StopReason.GOAL_MET").value == "goal_met"
