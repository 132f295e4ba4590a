"""API-Bank ``API-Request:`` lines and calls written inside other text parse; prose stays a reply."""

from __future__ import annotations

import pytest

from coalm_env.parsing import parse_action
from coalm_env.registry import POLICIES, Registry


@pytest.mark.parametrize(("text", "fmt", "sig", "thought"), [
    ("API-Request: [ToolSearcher(keywords='meeting')]", "apibank", "ToolSearcher(keywords='meeting')", None),
    ("Sure. API-Request: [QueryMeeting(user_name='x')]", "apibank", "QueryMeeting(user_name='x')", "Sure."),
    ("Let me look. find_restaurant(area='centre')", "python", "find_restaurant(area='centre')", "Let me look."),
    ("I will call [find_hotel(area='north')] now", "python", "find_hotel(area='north')", "I will call"),
    ('Sure: {"name": "find_hotel", "arguments": {"area": "north"}} ok', "json", "find_hotel(area='north')", "Sure:"),
    ("Thought: x\nAction: find_hotel(area='north')\nthanks", "react", "find_hotel(area='north')", "x"),
])
def test_calls_inside_text(text, fmt, sig, thought):
    parsed = parse_action(text)
    assert parsed.kind == "tool_calls", parsed.error
    assert (parsed.format, [c.signature() for c in parsed.calls], parsed.thought) == (fmt, [sig], thought)


@pytest.mark.parametrize("text", ["Call me at 5(pm) please", "I said hello(world) to you", "Okay (fine)."])
def test_prose_with_brackets_stays_a_reply(text):
    assert parse_action(text).kind == "reply"


def test_prose_before_a_call_is_not_an_attribute():
    parsed = parse_action('Okay. end_conversation(message="bye")')
    assert parsed.ends and parsed.reply == "bye" and parsed.thought == "Okay."


def test_bad_api_request_explains_itself():
    assert "API-Request" in parse_action("API-Request: [oops").error


class _LLMPlugin:
    takes_generator_spec = True

    def __init__(self, generator: str):
        self.generator = generator


def test_generator_spec_factories_get_the_raw_remainder(monkeypatch):
    reg = Registry("policy", {"llm": f"{__name__}:_LLMPlugin", **POLICIES.entries})
    assert reg.make("llm:hf:/m/x,temperature=0.7,stop=[\"a,b\"]").generator == 'hf:/m/x,temperature=0.7,stop=["a,b"]'
    assert reg.make("llm").generator == ""
    assert reg.make("random:seed=3") is not None  # ordinary specs still parse as options
