"""BFCL building blocks: call strings, schemas, graph edges, result text, the replay user."""

from __future__ import annotations

import pytest

from coalm_env.domains.bfcl.apis import to_json_schema
from coalm_env.domains.bfcl.calls import CallSyntaxError, decode_step, parse_call, parse_call_list, result_text
from coalm_env.protocols import UserRequest
from coalm_env.types import Scenario, StopReason, ToolCall

SIG = {"sort": ("file_name",), "mv": ("source", "destination")}


def test_positional_arguments_take_the_signature_names():
    assert parse_call("sort('a.txt')", SIG) == ToolCall("sort", {"file_name": "a.txt"})
    assert parse_call("mv('a', destination='b')", SIG).arguments == {"source": "a", "destination": "b"}
    with pytest.raises(CallSyntaxError, match="too many positional"):
        parse_call("sort('a', 'b')", SIG)
    with pytest.raises(CallSyntaxError, match="multiple values"):
        parse_call("sort('a', file_name='b')", SIG)


@pytest.mark.parametrize(
    "text",
    ["f(a=__import__('os'))", "f(a=open('x'))", "f(a=x)", "f(**{'a': 1})", "f(a=1", "x + 1", "f(a=[1, g()])"],
)
def test_only_literal_calls_parse(text):
    with pytest.raises(CallSyntaxError):
        parse_call(text, SIG)


def test_literals_become_json_shapes():
    call = parse_call("f(a=(1, 2), b={'k': (3,)}, c=-1.5, d=None, e=True)", SIG)
    assert call.arguments == {"a": [1, 2], "b": {"k": [3]}, "c": -1.5, "d": None, "e": True}
    assert [c.name for c in parse_call_list("[cd(folder='x'), ls()]", SIG)] == ["cd", "ls"]


def test_decode_step_shapes():
    assert [c.name for c in decode_step("```\n[cd(folder='x'), ls(a=True)]\n```", SIG)] == ["cd", "ls"]
    assert decode_step([{"cd": '{"folder": "x"}'}], SIG) == [ToolCall("cd", {"folder": "x"})]
    assert decode_step({"cd": {"folder": "x"}}, SIG) == [ToolCall("cd", {"folder": "x"})]
    mixed = decode_step(["sort('a')", "not a call ("], SIG)
    assert mixed[0] == ToolCall("sort", {"file_name": "a"}) and isinstance(mixed[1], CallSyntaxError)
    assert decode_step("[sort('a')]", SIG) == [ToolCall("sort", {})]  # BFCL's text decoder drops positionals
    for chat in ("I moved the file for you.", "Done", "[1, 2]"):
        with pytest.raises(CallSyntaxError):
            decode_step(chat, SIG)


def test_result_text_matches_bfcl_formatting():
    assert result_text("plain") == "plain"
    assert result_text({"a": 1, "b": [1, 2]}) == '{"a": 1, "b": [1, 2]}'
    assert result_text({"a": {1, 2}}) == "{'a': {1, 2}}"  # not JSON: str() as BFCL falls back to
    assert result_text([1, "x"]) == "[1, 'x']" and result_text(None) == "None" and result_text(2.5) == "2.5"


def test_schema_conversion():
    doc = {
        "type": "dict",
        "properties": {
            "n": {"type": "float", "description": "x", "default": 1.0},
            "tags": {"type": "array", "items": {"type": "string"}},
            "opts": {"type": "dict", "properties": {"k": {"type": "integer"}}},
            "anything": {"type": "any"},
        },
        "required": ["tags"],
    }
    schema = to_json_schema(doc)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["properties"]["n"] == {"type": "number", "description": "x", "default": 1.0}
    assert schema["properties"]["opts"] == {"type": "object", "properties": {"k": {"type": "integer"}}}
    assert schema["properties"]["anything"] == {} and schema["required"] == ["tags"]


@pytest.mark.data
def test_graph_nodes_and_doc_edges():
    from conftest import need_data

    need_data("bfcl")
    from coalm_env.domains.bfcl.apis import full_graph

    graph = full_graph()
    assert len(graph) == 129
    edges = {(d.source, d.field, d.target, d.param) for d in graph.dependencies()}
    assert ("get_symbol_by_name", "symbol", "get_stock_info", "symbol") in edges
    assert ("book_flight", "booking_id", "cancel_booking", "booking_id") in edges
    assert ("search_messages", "results[].receiver_id", "send_message", "receiver_id") in edges
    # a boolean response field does not feed a string parameter of the same name
    assert not any(s == "ticket_get_login_status" and t == "ticket_login" for s, _, t, _ in edges)
    assert all(s != t for s, _, t, _ in edges)


def _scenario(turns, meta=None) -> Scenario:
    return Scenario(id="s", domain="d", split="test", goal={}, tools=[], user_turns=turns, meta=meta or {})


def test_replay_user_plays_turns_then_ends():
    from simulators.replay import ReplayUser

    user = ReplayUser()
    scenario = _scenario(["hi", "more"], {"turn_meta": [{"kind": "request"}, "not a dict"]})
    first = user.begin([UserRequest(scenario=scenario, seed=0, history=[])])[0]
    assert (first.text, first.meta, first.stop) == ("hi", {"kind": "request"}, None)
    second = user.respond([UserRequest(scenario=scenario, seed=0, history=[], state=first.state)])[0]
    assert (second.text, second.meta) == ("more", {})
    third = user.respond([UserRequest(scenario=scenario, seed=0, history=[], state=second.state)])[0]
    assert third.text == "" and third.stop is StopReason.USER_ENDED
    empty = user.begin([UserRequest(scenario=_scenario([]), seed=0, history=[])])[0]
    assert empty.stop is StopReason.USER_ENDED
