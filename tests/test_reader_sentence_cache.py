"""The agent-turn reader keeps each sentence's acts per understanding: a sentence read again, in another reply or
with other domains in play, reads as it does fresh."""

import dataclasses

from coalm_env.domains.tod.understanding import Understanding, read_agent_turn

NAMES = {"restaurant": ["golden house", "the gardenia"], "hotel": ["allenbell", "acorn guest house"]}
TEXTS = [
    ("I found golden house. Would you like to book it?", ("restaurant",)),
    ("I found golden house. Would you like to book it?", ("hotel", "restaurant")),
    ("Would you like to book it?", ("hotel",)),
    ("Booked! Your reference is ABC12345. The reference number is ABC12345.", ("restaurant",)),
    ("What area would you like? Would you prefer the north or the south?", ("hotel",)),
    ("Allenbell is fully booked but acorn guest house is free. I'd suggest acorn guest house.", ("hotel",)),
    ("Is there anything else I can help you with?", ("restaurant", "hotel")),
    ("Please tell me:\n- your area\n- your budget", ("restaurant",)),
    ("I found a train that leaves at 05:24. Would you like it?", ("train",)),
]


def _fields(reading):
    return dataclasses.asdict(reading)


def test_sentences_read_again_read_as_fresh():
    shared = Understanding.fallback(NAMES)
    for _ in range(2):
        for text, domains in TEXTS:
            fresh = read_agent_turn(text, domains, understanding=Understanding.fallback(NAMES))
            assert _fields(read_agent_turn(text, domains, understanding=shared)) == _fields(fresh), text


def test_a_reading_is_not_shared_with_the_next():
    u = Understanding.fallback(NAMES)
    first = read_agent_turn(TEXTS[0][0], TEXTS[0][1], understanding=u)
    first.offers["restaurant"].append("x")
    first.requests.append(("area", None))
    first.informs.clear()
    again = read_agent_turn(TEXTS[0][0], TEXTS[0][1], understanding=u)
    fresh = read_agent_turn(TEXTS[0][0], TEXTS[0][1], understanding=Understanding.fallback(NAMES))
    assert _fields(again) == _fields(fresh)
