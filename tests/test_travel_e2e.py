"""Travel end to end through the batched runner: the env's self-test (oracle + agenda user over the
whole test split), the baselines' ordering, and byte-identical trajectory files for a seed."""

from __future__ import annotations

from coalm_env.rollout import RolloutConfig, run_rollouts


def test_oracle_with_agenda_user_solves_the_test_split(tmp_path):
    result = run_rollouts(RolloutConfig("coalm/Travel-v0", "oracle", "agenda", episodes=200, seed=0, split="test",
                          out_dir=tmp_path), progress=False)
    summary = result.summary
    assert summary["episodes"] == 200
    assert summary["success_rate"] >= 0.95, summary
    assert summary["metrics"]["internal_errors"] == 0
    assert summary["metrics"]["graph_credit"] >= 0.95
    assert (tmp_path / "trajectories.jsonl").read_text().count("\n") == 200


def test_rule_beats_random_by_far():
    rule = run_rollouts(RolloutConfig("coalm/Travel-v0", "rule", "agenda", episodes=40, seed=3), progress=False).summary
    rand = run_rollouts(RolloutConfig("coalm/Travel-v0", "random", "agenda", episodes=40, seed=3), progress=False).summary
    assert rand["success_rate"] <= 0.05
    assert rule["success_rate"] >= rand["success_rate"] + 0.5


def test_same_seed_same_trajectory_file_across_batch_sizes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    run_rollouts(RolloutConfig("coalm/Travel-v0", "rule", "agenda", episodes=12, seed=7, out_dir=a, batch_size=5), progress=False)
    run_rollouts(RolloutConfig("coalm/Travel-v0", "rule", "agenda", episodes=12, seed=7, out_dir=b, batch_size=12), progress=False)
    run_rollouts(RolloutConfig("coalm/Travel-v0", "rule", "agenda", episodes=12, seed=8, out_dir=c, batch_size=12), progress=False)
    assert (a / "trajectories.jsonl").read_bytes() == (b / "trajectories.jsonl").read_bytes()
    assert (a / "summary.json").read_bytes() == (b / "summary.json").read_bytes()
    assert (a / "trajectories.jsonl").read_bytes() != (c / "trajectories.jsonl").read_bytes()
