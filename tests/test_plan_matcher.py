"""The incremental plan matcher (env graph credit) gives what matching the whole history from scratch gives."""

from __future__ import annotations

import random

import pytest

from coalm_env.backend.plan import PlanMatcher, matched_steps
from coalm_env.scoring import GraphCredit, graph_credit
from coalm_env.types import GoldCall, ToolCall, ToolResult

GOLD = [
    GoldCall("find", {"area": "north"}),
    GoldCall("book", {"people": 2}, sources={"name": [0, "results.1.name"]}),
    GoldCall("find", {"area": "south"}),
    GoldCall("pay", {}, sources={"ref": [1, "ref"], "name": [0, "results.0.name"]}),
    GoldCall("book", {"people": 2}, sources={"name": [2, "results.0.name"]}),
]
NAMES = ["Alpha", "Beta Inn", " beta  INN", "Gamma", 3, 3.0, "3", float("nan"), [1, "x"], {"k": 1}, None, True]


def _random_history(rng: random.Random, n: int) -> list[tuple[ToolCall, ToolResult]]:
    history = []
    for _ in range(n):
        name = rng.choice(["find", "book", "pay", "other"])
        args = {"area": rng.choice(["north", "North ", "south", "east"]), "people": rng.choice([2, "2", 3]),
                "name": rng.choice(NAMES), "ref": rng.choice([7, "7", 8, float("nan")])}
        args = {k: v for k, v in args.items() if rng.random() < 0.8}
        if rng.random() < 0.2:
            result = ToolResult.failure("not_found", "no")
        elif name == "find":
            result = ToolResult.success({"results": [{"name": rng.choice(NAMES)} for _ in range(rng.randint(0, 3))]})
        elif name == "book":
            result = ToolResult.success({"ref": rng.choice([7, 8, "8", [7]])})
        else:
            result = ToolResult.success(rng.choice([None, "ok", {"results": []}]))
        history.append((ToolCall(name, args), result))
    return history


@pytest.mark.parametrize("seed", range(40))
def test_incremental_equals_from_scratch_at_every_step(seed: int) -> None:
    rng = random.Random(seed)
    history = _random_history(rng, 40)
    matcher, credit = PlanMatcher(GOLD), GraphCredit(GOLD)
    live: list = []
    for call in history:
        live.append(call)
        if rng.random() < 0.6:  # updated after some steps only, as an env step may add several calls
            assert matcher.update(live) == matched_steps(GOLD, live)
            assert credit.update(live) == graph_credit(GOLD, live)
    assert matcher.update(live) == matched_steps(GOLD, live)
    assert any(matched_steps(GOLD, _random_history(random.Random(s), 40)) != [False] * len(GOLD) for s in range(5))


def test_a_new_or_shorter_history_is_matched_from_the_start() -> None:
    find = (ToolCall("find", {"area": "north"}), ToolResult.success({"results": [{"name": "a"}, {"name": "B"}]}))
    book = (ToolCall("book", {"people": 2, "name": "b"}), ToolResult.success({"ref": 1}))
    matcher = PlanMatcher(GOLD)
    assert matcher.update([find, book])[:2] == [True, True]
    assert matcher.update([book]) == matched_steps(GOLD, [book]) == [False] * 5
    assert GraphCredit([]).update([find]) == 0.0 == graph_credit([], [find])


def test_a_source_outside_the_plan_fails_as_matching_from_scratch_does() -> None:
    bad = [GoldCall("book", {}, sources={"name": [5, "x"]})]
    history = [(ToolCall("book", {"name": "x"}), ToolResult.success(1))]
    with pytest.raises(IndexError):
        matched_steps(bad, history)
    with pytest.raises(IndexError):
        PlanMatcher(bad).update(history)


def test_env_credit_equals_from_scratch_after_every_step() -> None:
    """The env's per-step graph credit against the from-scratch function, on Travel with the oracle and
    the rule policy (both make sourced calls), several episodes each."""
    from policies.rule import RulePolicy

    from coalm_env.resolve import make_env

    env = make_env("coalm/Travel-v0", user="agenda", oracle_hints=True)
    for policy in ("oracle", "rule"):
        for seed in range(3):
            rule = RulePolicy()
            obs, info = env.reset(seed=seed)
            done, credits = False, []
            while not done:
                action = info["oracle_action"] if policy == "oracle" else rule.act([obs], [info])[0]
                obs, _, term, trunc, info = env.step(action)
                done = term or trunc
                credits.append(info["reward_components"]["graph_credit"])
                assert credits[-1] == graph_credit(env.scenario.gold.calls, env.backend.history)
            assert credits[-1] > 0, (policy, seed)


def test_dense_components_kept_up_to_date_equal_the_function() -> None:
    from coalm_env.scoring import DenseComponents, dense_components
    from coalm_env.types import StepRecord

    rng = random.Random(5)
    dense, steps = DenseComponents(), []
    for t in range(60):
        record = StepRecord(t=t, turn=t // 3, kind=rng.choice(["tool_calls", "reply", "error"]), action="a")
        steps.append(record)
        for _ in range(rng.randint(0, 3) if record.kind == "tool_calls" else 0):
            record.calls.append(ToolCall("f", {}))
            record.results.append(ToolResult.success(1) if rng.random() < 0.7 else ToolResult.failure("x", "no"))
            assert dense(steps, 0.5, t) == dense_components(steps, 0.5, t)  # the last step still growing
        assert dense(steps, 0.5, t) == dense_components(steps, 0.5, t)
    assert dense(steps[:10], 0.0, 1) == dense_components(steps[:10], 0.0, 1)  # another list
    assert dense(steps, 0.0, 1) == dense_components(steps, 0.0, 1)  # back to the first list: counted afresh
    steps[-2] = StepRecord(t=58, turn=19, kind="error", action="a")  # the last step counted once, replaced
    assert dense(steps, 0.0, 1) == dense_components(steps, 0.0, 1)
