"""Style personas reach the LLM user's prompt as hints (``request.meta["persona_hints"]``)."""

from __future__ import annotations

import gymnasium as gym

import coalm_env  # noqa: F401
from coalm_env.llm import ScriptedGenerator
from simulators.llm import LLMUser
from simulators.personas import Terse, Verbose
from simulators.personas_goal import MultiIntent

FAST = {"max_turns": 2, "max_steps_per_turn": 2}


def _system(user, gen):
    env = gym.make("coalm/Travel-v0", user=user, **FAST)
    env.reset(seed=0)
    env.step("Which day?")
    return [c["messages"][0]["content"] for c in gen.calls]


def test_each_style_persona_puts_its_hint_in_every_llm_user_prompt():
    for persona in (Terse, Verbose, MultiIntent):
        gen = ScriptedGenerator(["I need a train.", "On friday."], cycle=True)
        systems = _system(persona(LLMUser(gen)), gen)
        assert len(systems) == 2 and all(f"Your style: {persona.hint}" in s for s in systems), persona.name
        assert all("Your goal, one item at a time:" in s for s in systems)


def test_hints_compose_outermost_first_and_plain_users_get_none():
    gen = ScriptedGenerator(["I need a train."], cycle=True)
    system = _system(Verbose(Terse(LLMUser(gen))), gen)[-1]
    assert f"Your style: {Verbose.hint} {Terse.hint}" in system
    gen = ScriptedGenerator(["I need a train."], cycle=True)
    assert not any("Your style" in s for s in _system(LLMUser(gen), gen))


def test_spec_string_carries_the_hint():
    env = gym.make("coalm/Travel-v0", user='llm:scripted,responses=["I need a hotel."]+terse', **FAST)
    env.reset(seed=1)
    gen = env.unwrapped.user.inner.generator
    assert Terse.hint in gen.calls[-1]["messages"][0]["content"]
