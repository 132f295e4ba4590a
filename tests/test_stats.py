"""Every statistic of coalm_env.stats against values computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from coalm_env.stats import (
    analyze,
    bootstrap_mean,
    breakdown,
    cell_stats,
    compare_cells,
    flip_rate,
    load_records,
    mcnemar_exact,
    paired_compare,
    pairwise_flip_rate,
    pass_hat_curve,
    pass_hat_k,
    records_of,
)
from coalm_env.types import StopReason, Trajectory


def traj(scenario: str, success: float, *, policy: str = "rule", user: str = "agenda",
         stop: StopReason = StopReason.GOAL_MET, **extra) -> Trajectory:
    metrics = {"success": success, "turns": 4.0}
    if "user_fault" in extra:
        metrics["user_fault"] = extra.pop("user_fault")
    return Trajectory(env_id="coalm/Travel-v0", scenario_id=scenario, domain="travel", split="test",
                      stop_reason=stop, metrics=metrics, reward=success, user=user, policy=policy,
                      options={"scenario_id": scenario, "split": "test"}, extra=extra)


# -- bootstrap ------------------------------------------------------------------------------------

def test_bootstrap_of_two_values() -> None:
    # resampling [0, 1] twice gives a mean of 0 (p 1/4), 0.5 (p 1/2) or 1 (p 1/4): the 2.5th percentile
    # is 0 and the 97.5th is 1 (the chance that 2000 resamples miss 0 is (3/4)^2000, i.e. never)
    ci = bootstrap_mean([0, 1])
    assert (ci.mean, ci.low, ci.high, ci.n) == (0.5, 0.0, 1.0, 2)


def test_bootstrap_degenerate_and_empty() -> None:
    ci = bootstrap_mean([1, 1, 1])  # no spread: the interval is the point
    assert (ci.mean, ci.low, ci.high, ci.n) == (1.0, 1.0, 1.0, 3)
    empty = bootstrap_mean([])
    assert empty.n == 0 and math.isnan(empty.mean) and str(empty) == "-"


def test_bootstrap_matches_the_normal_interval_and_is_seeded() -> None:
    # 50 successes in 100: standard error sqrt(0.25 / 100) = 0.05, so about 0.5 -+ 1.96 * 0.05 = [0.402, 0.598]
    values = [1] * 50 + [0] * 50
    ci = bootstrap_mean(values, seed=3)
    assert ci.mean == 0.5
    assert abs(ci.low - 0.402) < 0.03 and abs(ci.high - 0.598) < 0.03
    assert bootstrap_mean(values, seed=3) == ci  # the same seed, the same interval


# -- pass^k ---------------------------------------------------------------------------------------

def test_pass_hat_k_unbiased_estimator() -> None:
    # scenarios with (n, c) = (3, 3), (3, 2), (3, 0):
    # k=1: (3/3 + 2/3 + 0/3) / 3 = 5/9
    # k=2: (C(3,2)/C(3,2) + C(2,2)/C(3,2) + 0) / 3 = (1 + 1/3) / 3 = 4/9
    # k=3: (1 + 0 + 0) / 3 = 1/3
    counts = [(3, 3), (3, 2), (3, 0)]
    curve = pass_hat_curve(counts)
    assert curve == pytest.approx({1: 5 / 9, 2: 4 / 9, 3: 1 / 3})


def test_pass_hat_k_with_more_trials_than_k_and_uneven_scenarios() -> None:
    # n=4, c=2, k=2: C(2,2)/C(4,2) = 1/6 (not (2/4)^2 = 1/4: drawing without replacement)
    assert pass_hat_k([(4, 2)], 2) == pytest.approx(1 / 6)
    # (2, 1) and (3, 3): k=2 -> (C(1,2)=0 / 1 + 3/3) / 2 = 0.5; k=3 -> only (3, 3) has 3 trials -> 1.0
    assert pass_hat_k([(2, 1), (3, 3)], 2) == pytest.approx(0.5)
    assert pass_hat_k([(2, 1), (3, 3)], 3) == 1.0
    assert math.isnan(pass_hat_k([(2, 1)], 3))
    with pytest.raises(ValueError):
        pass_hat_k([(2, 1)], 0)


# -- paired tests -------------------------------------------------------------------------------------

def test_mcnemar_exact_on_discordant_pairs() -> None:
    # A alone succeeds on 5 pairs, B alone on 1: two-sided binomial p with n=6, p=1/2:
    # 2 * P(X <= 1) = 2 * (C(6,0) + C(6,1)) / 2^6 = 2 * 7 / 64 = 0.21875
    a = [1] * 5 + [0] + [1, 1, 0]
    b = [0] * 5 + [1] + [1, 1, 0]
    assert mcnemar_exact(a, b) == (5, 1, pytest.approx(0.21875))
    # 8 to 0: 2 * (1/2)^8 = 0.0078125; no discordant pair: p = 1
    assert mcnemar_exact([1] * 8, [0] * 8)[2] == pytest.approx(0.0078125)
    assert mcnemar_exact([1, 0], [1, 0]) == (0, 0, 1.0)


def test_paired_compare_flags_noise() -> None:
    a = [1] * 5 + [0] + [1, 1, 0]
    b = [0] * 5 + [1] + [1, 1, 0]
    small = paired_compare(a, b)
    # mean A = 7/9, mean B = 3/9, difference 4/9; p = 0.21875 >= 0.05: inside the noise
    assert small.mean_a == pytest.approx(7 / 9) and small.mean_b == pytest.approx(3 / 9)
    assert small.difference.mean == pytest.approx(4 / 9)
    assert small.inside_noise and small.verdict == "inside noise"
    # ten pairs where only A succeeds: differences all 1 (interval [1, 1]), p = 2 / 2^10 = 0.00195
    big = paired_compare([1] * 10, [0] * 10)
    assert (big.difference.low, big.difference.high) == (1.0, 1.0)
    assert big.p_value == pytest.approx(2 / 1024)
    assert not big.inside_noise and big.verdict == "A better"
    assert paired_compare([], []).verdict == "no pairs"


def test_flip_rates() -> None:
    # runs [1,1,0,0] and [1,0,0,1] disagree on scenarios 2 and 4: 2/4
    assert flip_rate([1, 1, 0, 0], [1, 0, 0, 1]) == 0.5
    # (3,3): 0 discordant pairs; (3,2): 2*1 = 2 of C(3,2) = 3; (3,0): 0 -> (0 + 2/3 + 0) / 3 = 2/9
    assert pairwise_flip_rate([(3, 3), (3, 2), (3, 0)]) == pytest.approx(2 / 9)
    # (2,1): the only pair disagrees -> 1; one-trial scenarios are left out
    assert pairwise_flip_rate([(2, 1), (1, 1)]) == 1.0
    assert math.isnan(pairwise_flip_rate([(1, 0)]))


# -- cells of records -----------------------------------------------------------------------------------

def _cell() -> list[Trajectory]:
    ledger = [{"role": "agent", "model": "m", "prompt_tokens": 100, "completion_tokens": 10, "latency_s": 0.5,
               "cost_usd": 0.01, "cached": False},
              {"role": "user", "prompt_tokens": 50, "completion_tokens": 5, "latency_s": 0.25, "cached": True}]
    return [
        traj("s1", 1.0, ledger=ledger),                 # s1 rep 0
        traj("s1", 1.0),                                # s1 rep 1
        traj("s2", 1.0, user_fault=1.0),                # s2 rep 0, the user broke its goal
        traj("s2", 0.0, stop=StopReason.USER_GAVE_UP),  # s2 rep 1
        traj("s3", 0.0, stop=StopReason.ERRORED),       # s3 rep 0, the backend failed
    ]


def test_cell_stats_hand_computed() -> None:
    stats = cell_stats(records_of(_cell()))
    assert (stats["episodes"], stats["errored"], stats["user_faults"], stats["scored"]) == (5, 1, 1, 4)
    # errored left out: 3 successes of 4 scored; without the user fault: 2 of 3; errored as failure: 3 of 5
    assert stats["success"]["mean"] == 0.75
    assert stats["success_without_user_faults"]["mean"] == pytest.approx(2 / 3)
    assert stats["success_errored_as_failure"]["mean"] == pytest.approx(3 / 5)
    # scored scenarios: s1 (2, 2), s2 (2, 1): pass^1 = (1 + 1/2) / 2 = 0.75, pass^2 = (1 + 0) / 2 = 0.5
    assert stats["pass_hat_k"] == pytest.approx({"1": 0.75, "2": 0.5})
    # flip rate: s1 no discordant pair, s2 its one pair disagrees -> (0 + 1) / 2
    assert stats["flip_rate"] == 0.5
    assert stats["metrics"]["turns"]["mean"] == 4.0
    assert stats["stop_reasons"] == {"errored": 1, "goal_met": 3, "user_gave_up": 1}
    ledger = stats["ledger"]
    assert (ledger["entries"], ledger["prompt_tokens"], ledger["completion_tokens"]) == (2, 150, 15)
    # 100 + 50 prompt tokens, 10 + 5 completion, 0.5 + 0.25 s, one cached call, strings (model) not summed
    assert ledger["latency_s"] == 0.75 and ledger["cost_usd"] == 0.01 and ledger["cached"] == 1
    assert "model" not in ledger
    assert ledger["by_role"]["user"] == {"prompt_tokens": 50, "completion_tokens": 5, "latency_s": 0.25, "cached": 1}
    assert cell_stats(records_of(_cell()), include_errored=True)["scored"] == 5


def test_breakdowns_read_personas_from_anywhere() -> None:
    trajs = [traj("a", 1.0, persona="impatient"), traj("b", 0.0, persona={"name": "verbose"}),
             traj("c", 1.0, user="agenda:persona=terse"), traj("d", 0.0), traj("e", 0.0, stop=StopReason.ERRORED)]
    records = records_of(trajs)
    by_persona = breakdown(records, "persona")
    assert {k: v["episodes"] for k, v in by_persona.items()} == {"-": 1, "impatient": 1, "terse": 1, "verbose": 1}
    by_stop = breakdown(records, "stop_reason")  # keeps the errored episode
    assert by_stop["errored"]["episodes"] == 1 and by_stop["goal_met"]["success"]["mean"] == 0.5
    assert set(breakdown(records, ("policy", "domain"))) == {"rule | travel"}


def test_compare_cells_pairs_by_scenario_and_repetition() -> None:
    a = [traj("s1", 1.0), traj("s2", 1.0), traj("s3", 1.0), traj("s4", 0.0, stop=StopReason.ERRORED)]
    b = [traj(t.scenario_id, s, policy="random") for t, s in zip(a, (1.0, 0.0, 0.0, 1.0))]
    records = records_of(a + b)
    cells = {}
    for r in records:
        cells.setdefault(r.policy, []).append(r)
    result = compare_cells(cells["rule"], cells["random"])
    # s4 is errored for A and dropped: pairs s1 (1,1), s2 (1,0), s3 (1,0) -> difference 2/3, discordant 2 / 0,
    # McNemar p = 2 * (1/2)^2 = 0.5: inside the noise
    assert result["n_pairs"] == 3
    assert result["difference"]["mean"] == pytest.approx(2 / 3)
    assert (result["a_only"], result["b_only"], result["p_value"]) == (2, 0, 0.5)
    assert result["verdict"] == "inside noise" and result["noise_floor"] == 0.0


def test_load_records_from_a_rollout_file_with_a_torn_line(tmp_path: Path) -> None:
    lines = [t.to_json() for t in _cell()]
    (tmp_path / "trajectories.jsonl").write_text("\n".join(lines) + "\n" + lines[0][:40], encoding="utf-8")
    records = load_records(tmp_path)
    assert len(records) == 5
    assert [r.rep for r in records] == ["0", "1", "0", "1", "0"]  # the i-th play of a scenario is rep i
    summary = analyze(records)
    assert list(summary["cells"]) == ["coalm/Travel-v0 test | rule | agenda"]
    json.dumps(summary)  # JSON-ready
