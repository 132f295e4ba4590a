"""``argument_key`` keeps the key of short texts (``_text_key``): the same keys as the plain computation, a NaN
still equal to nothing (inside tuples too), long texts and str subclasses computed as before."""

from __future__ import annotations

import math

from coalm_env.backend.plan import _text_key, argument_key


class _Str(str):
    pass


def _plain(value: str):
    text = " ".join(value.lower().split())
    number = float(text) if _is_number(text) and len(text) <= 400 else None
    return text if number is None else number


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_text_keys_equal_the_plain_computation_twice() -> None:
    texts = ["North", " north ", "12", "12.0", "1e3", "inf", "-inf", "nan", "NaN", "", "a  b\tc", "x" * 256,
             "x" * 257, "9" * 300, "£5", "Cambridge Station"]
    for t in texts:
        for _ in range(2):
            got, want = argument_key(t), _plain(t)
            assert (got != got and want != want) or (got == want and type(got) is type(want)), t
    assert argument_key(_Str("North")) == "north"
    assert _text_key.cache_info().currsize > 0


def test_a_nan_key_is_fresh_and_equals_nothing_in_a_tuple() -> None:
    a, b = argument_key(["nan"]), argument_key(["nan"])
    assert math.isnan(a[0]) and a != b  # tuples compare items by identity first: a cached NaN would be equal
