"""The agenda user's template voice (issue 14): several frames per act, drawn with the episode's generator."""

from __future__ import annotations

import numpy as np

from simulators.acts import Act
from simulators.agenda.templates import Voice, goodbye, realise

TURNS = {
    "inform": [Act("inform", "hotel", "area", "north"), Act("inform", "hotel", "parking", "yes")],
    "train": [Act("inform", "train", "leaveAt", "10:00"), Act("inform", "train", "day", "monday")],
    "book": [Act("book", "restaurant", "people", "4"), Act("book", "restaurant", "time", "18:30")],
    "request": [Act("request", "hotel", "phone", "?")],
}


def _say(seed: int) -> list[str]:
    v = Voice(np.random.default_rng(seed))
    return [realise(v, acts) for acts in TURNS.values()] + [goodbye(v)]


def test_same_seed_same_words():
    assert _say(7) == _say(7)


def test_several_frames_per_act():
    said = [_say(seed) for seed in range(60)]
    for i, name in enumerate([*TURNS, "goodbye"]):
        assert len({s[i] for s in said}) >= 4, name


def test_frames_val_users_use():
    said = {s for seed in range(200) for s in _say(seed)}
    # MultiWOZ val user turns: "The hotel should be in the north ...", "I need a train leaving after ...",
    # "May I have the phone number?", "No, that is all I need. Thank you, goodbye."
    assert any(s.startswith("The hotel should be in the north") for s in said)
    assert any(s.startswith("I need a train leaving after") or s.startswith("I need a train departing after")
               for s in said)
    assert "May I have the phone number?" in said
    assert any(s.startswith("No, that is all I need") for s in said)
    assert all("10" in s or "ten" in s for s in said if "train" in s and "after" in s)  # values still said
