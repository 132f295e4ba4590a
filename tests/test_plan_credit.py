"""Gold-plan matching and graph credit: constants must match, sourced arguments must follow an edge."""

from __future__ import annotations

from coalm_env.backend.plan import argument_key as normalize
from coalm_env.backend.plan import get_path, matched_steps, resolve_call, values_at
from coalm_env.scoring import graph_credit
from coalm_env.types import GoldCall, ToolCall, ToolResult

FIND = {"results": [{"name": "Alpha", "ref": 1}, {"name": "Beta Inn", "ref": 2}]}
GOLD = [
    GoldCall("find_hotel", {"area": "north"}),
    GoldCall("book_hotel", {"people": 2}, sources={"name": [0, "results.1.name"]}),
]


def _ok(name: str, args: dict, value=None) -> tuple[ToolCall, ToolResult]:
    return ToolCall(name, args), ToolResult.success(value)


def test_paths() -> None:
    assert get_path(FIND, "results.1.name") == "Beta Inn"
    assert values_at(FIND, "results[].name") == ["Alpha", "Beta Inn"]
    assert values_at(FIND, "results.[].missing") == []
    assert resolve_call(GOLD[1], [FIND]).arguments == {"people": 2, "name": "Beta Inn"}


def test_normalize_is_tolerant_of_case_space_and_type() -> None:
    assert normalize(" Beta  INN ") == normalize("beta inn")
    assert normalize("2") == normalize(2) == normalize(2.0)
    assert normalize({"b": [1, "X"], "a": 1}) == normalize({"a": "1", "b": ["1", "x"]})


def test_full_plan_with_sourced_argument() -> None:
    history = [_ok("find_hotel", {"area": "North"}, FIND), _ok("book_hotel", {"people": "2", "name": "beta inn"})]
    assert matched_steps(GOLD, history) == [True, True]
    assert graph_credit(GOLD, history) == 1.0


def test_any_result_item_may_feed_the_edge() -> None:
    history = [_ok("find_hotel", {"area": "north"}, FIND), _ok("book_hotel", {"people": 2, "name": "Alpha"})]
    assert matched_steps(GOLD, history) == [True, True]


def test_guessed_value_without_the_source_call_gets_no_credit() -> None:
    history = [_ok("book_hotel", {"people": 2, "name": "Beta Inn"}), _ok("find_hotel", {"area": "north"}, FIND)]
    assert matched_steps(GOLD, history) == [True, False]
    assert graph_credit(GOLD, history) == 0.5


def test_failed_source_call_does_not_feed() -> None:
    failed = (ToolCall("find_hotel", {"area": "north"}), ToolResult.failure("not_found", "none"))
    history = [failed, _ok("book_hotel", {"people": 2, "name": "Beta Inn"})]
    assert matched_steps(GOLD, history) == [True, False]


def test_wrong_constant_or_value_not_in_results() -> None:
    history = [_ok("find_hotel", {"area": "south"}, FIND), _ok("book_hotel", {"people": 3, "name": "Beta Inn"})]
    assert matched_steps(GOLD, history) == [False, False]
    history = [_ok("find_hotel", {"area": "north"}, FIND), _ok("book_hotel", {"people": 2, "name": "Gamma"})]
    assert matched_steps(GOLD, history) == [True, False]


def test_empty_plan_gives_zero_credit() -> None:
    assert graph_credit([], []) == 0.0
