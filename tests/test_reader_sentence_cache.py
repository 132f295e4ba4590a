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


def test_multiwoz_val_turns_read_from_the_cache_as_fresh():
    """On the wizards' own turns (MultiWOZ val, text we did not write): each turn read with the caches warm from
    other turns and the other domain order equals the turn read with every cache of the understanding emptied. A
    few turns read differently under the two orders ("...attraction near the restaurant"): a cache that forgot
    the order would fail here."""
    from conftest import need_data

    need_data("multiwoz24")
    from coalm_env.domains import get_domain
    from coalm_env.domains.multiwoz.dialogues import load_dialogues

    u = get_domain("multiwoz").vocab.understanding
    turns = [t for d in load_dialogues("val")[:300] for t in d.system_turns]
    orders = [("restaurant", "hotel", "attraction", "train", "taxi"), ("taxi", "train", "attraction", "hotel", "restaurant")]
    fresh: dict[tuple, dict] = {}
    for text in turns:
        for order in orders:
            for cache in (u._acts_cache, u._find_cache, u._name_cache):
                cache.clear()
            fresh[(text, order)] = _fields(read_agent_turn(text, order, understanding=u))
    by_order = sum(fresh[(t, orders[0])] != fresh[(t, orders[1])] for t in turns)
    assert by_order >= 3  # the turns that tell the two orders apart are among them
    for order in orders:  # warm: every turn read in one order, then every turn in the other, cache kept
        for text in turns:
            assert _fields(read_agent_turn(text, order, understanding=u)) == fresh[(text, order)], text
    for order in reversed(orders):
        for text in turns:
            assert _fields(read_agent_turn(text, order, understanding=u)) == fresh[(text, order)], text
    assert len(turns) > 2000
