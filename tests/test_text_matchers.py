"""The substring-first matchers (issue 16 speed work) against the regular expressions they stand for:
``text.mentions`` and the rule policy's ``mask_names`` on random and real-looking text."""

from __future__ import annotations

import random
import re

from coalm_env import text as T
from policies import rule_places


def _mentions_by_pattern(text: str, value: str) -> bool:
    v = T.word_key(value)
    return bool(v) and re.search(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])", T.word_key(text)) is not None


def _mask_by_pattern(text: str, names: list[str]) -> tuple[str, list[str]]:
    found: list[str] = []
    for name in sorted(set(names), key=lambda n: -len(n)):
        pattern = rule_places._name_pattern(name)
        if pattern is not None and pattern.search(text):
            text = pattern.sub(f" zzent{len(found)}zz ", text)
            found.append(name)
    return text, found


def test_mentions_equals_its_pattern() -> None:
    rng = random.Random(1)
    alphabet = "ab1 :'-&.Z"
    hits = 0
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
        assert T.mentions(text, value) == _mentions_by_pattern(text, value), (text, value)
        hits += T.mentions(text, value)
    assert 500 < hits < 19000  # both answers occur
    assert T.mentions("It takes 163 minutes.", "163 minutes") and not T.mentions("1163 minutes", "163 minutes")


def test_mask_names_equals_the_patterns() -> None:
    names = ["the golden kitchen", "kings hall", "bright guest house", "london kings cross", "a and b guest house",
             "the place", "Saint John's College", "city centre north b and b", "cambridge"]
    texts = ["I'd like the Golden Kitchen please", "London King's Cross to Cambridge", "bright bed and breakfast",
             "BRIGHT GUESTHOUSE or kings-hall?", "the place is nice", "saint johns college, then a & b guesthouse",
             "nothing here", "kingshall", "Cambridge\u212a (kelvin) and K\u212aings hall", "city centre north b&b"]
    rng = random.Random(3)
    for _ in range(300):
        texts.append(" ".join(rng.choice(["the", "golden", "Kitchen", "kings", "king's", "hall", "guest", "house",
                                          "bed", "and", "breakfast", "b&b", "london", "cross", "cambridge", "x"])
                              for _ in range(rng.randint(1, 8))))
    masked = 0
    for text in texts:
        assert rule_places.mask_names(text, names) == _mask_by_pattern(text, names), text
        masked += bool(rule_places.mask_names(text, names)[1])
    assert masked > 50
