"""Every action format round-trips through ``format_calls`` -> ``parse_action``; text stays a reply."""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalm_env.parsing import FORMATS, format_calls, format_reply, parse_action
from coalm_env.types import Message, ToolCall

IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True).filter(lambda s: not keyword.iskeyword(s))
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40).filter(
    lambda s: "<tool_call>" not in s and "</tool_call>" not in s
)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False), TEXT
)
VALUE = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12
)
CALL = st.builds(ToolCall, name=IDENT, arguments=st.dictionaries(IDENT, VALUE, max_size=5))

EXAMPLE = [
    ToolCall("find_hotel", {"area": "north", "stars": 4, "parking": True, "budget": -12.5, "note": None}),
    ToolCall("book_hotel", {"name": "O'Hare \"inn\"", "people": 2, "days": ["mon", "tue"], "meta": {"x": [1, {}]}}),
]


def _same(a: list[ToolCall], b: list[ToolCall]) -> bool:
    return [(c.name, c.arguments) for c in a] == [(c.name, c.arguments) for c in b]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("n", [1, 2])
def test_example_calls_round_trip(fmt: str, n: int) -> None:
    parsed = parse_action(format_calls(EXAMPLE[:n], fmt))
    assert parsed.kind == "tool_calls", parsed.error
    assert parsed.format == fmt
    assert _same(parsed.calls, EXAMPLE[:n])


@settings(max_examples=60, deadline=None)
@given(calls=st.lists(CALL, min_size=1, max_size=3), fmt=st.sampled_from(FORMATS))
def test_random_calls_round_trip(calls: list[ToolCall], fmt: str) -> None:
    parsed = parse_action(format_calls(calls, fmt))
    assert parsed.kind == "tool_calls", parsed.error
    assert _same(parsed.calls, calls)


@pytest.mark.parametrize("fmt", ["react", "hermes"])
def test_thought_is_kept(fmt: str) -> None:
    parsed = parse_action(format_calls(EXAMPLE[:1], fmt, thought="Look up hotels first."))
    assert parsed.thought == "Look up hotels first."


@pytest.mark.parametrize(
    "text",
    ["Sure, the hotel is booked for two nights.", "Call me at 5(pm) please", "Your reference is 3X7Q (see above)."],
)
def test_plain_text_is_a_reply(text: str) -> None:
    parsed = parse_action(text)
    assert (parsed.kind, parsed.reply, parsed.format) == ("reply", text, "text")


def test_react_response_and_system_lines_are_replies() -> None:
    parsed = parse_action(format_reply("The Gonville is in the centre.", "react", thought="I know."))
    assert (parsed.kind, parsed.reply, parsed.thought) == ("reply", "The Gonville is in the centre.", "I know.")
    assert parse_action("Thought: done\nSystem: Goodbye!").reply == "Goodbye!"


def test_react_action_line() -> None:
    parsed = parse_action("Thought: I need trains.\nAction: find_train(departure='cambridge', day=\"monday\")")
    assert parsed.kind == "tool_calls" and parsed.format == "react"
    assert _same(parsed.calls, [ToolCall("find_train", {"departure": "cambridge", "day": "monday"})])


def test_react_keeps_the_first_action_when_the_model_runs_on() -> None:
    text = "Thought: go\nAction: f(a=1)\nObservation: {}\nThought: again\nAction: g(b=2)"
    assert _same(parse_action(text).calls, [ToolCall("f", {"a": 1})])


def test_json_variants() -> None:
    for text in (
        '<|python_tag|>{"name": "f", "parameters": {"a": 1}}',
        '```json\n{"name": "f", "arguments": {"a": 1}}\n```',
        '[{"name": "f", "arguments": "{\\"a\\": 1}"}]',
    ):
        parsed = parse_action(text)
        assert parsed.kind == "tool_calls", (text, parsed.error)
        assert _same(parsed.calls, [ToolCall("f", {"a": 1})])


def test_structured_actions() -> None:
    calls = [ToolCall("f", {"a": 1})]
    assert _same(parse_action(calls).calls, calls)
    assert _same(parse_action(Message(role="assistant", tool_calls=calls)).calls, calls)
    openai = {"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}]}
    assert _same(parse_action(openai).calls, calls)
    assert parse_action({"content": "hello"}).reply == "hello"


def test_call_cap() -> None:
    parsed = parse_action(format_calls([ToolCall("f", {})] * 9, "python"), max_calls=8)
    assert parsed.kind == "error" and "at most 8" in parsed.error


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('<tool_call>{"name": "f", "arguments": {</tool_call>', "not valid JSON"),
        ("Thought: x\nAction: f(1, 2)", "positional"),
        ("[f(a=g())]", "literal"),
        ("Thought: hmm", "needs an 'Action"),
        ("   ", "empty action"),
    ],
)
def test_malformed_actions_explain_themselves(text: str, needle: str) -> None:
    parsed = parse_action(text)
    assert parsed.kind == "error"
    assert needle in parsed.error
