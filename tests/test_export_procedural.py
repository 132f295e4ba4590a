"""The generated train splits (issue 11) feed the training exporter (issue 12): oracle rollouts of
coalm/BFCL-Procedural-v0 and coalm/APIBank-Procedural-v0 train export to CoALM-IT and chat samples; their
val/test trajectories are refused by the split-leak check."""

from __future__ import annotations

import json

import pytest

from coalm_env.errors import ConfigError
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.train.export import export

CASES = [("coalm/BFCL-Procedural-v0", {"n_turns": 2}), ("coalm/APIBank-Procedural-v0", {"level": 2})]


@pytest.mark.parametrize("env_id,options", CASES)
def test_procedural_train_rollouts_export_and_heldout_ones_are_refused(env_id, options, tmp_path):
    train = run_rollouts(RolloutConfig(env_id, policy="oracle", split="train", episodes=3, seed=0,
                                       env_options=options, out_dir=str(tmp_path / "train")), progress=False)
    assert [t.metrics["success"] for t in train.trajectories] == [1.0, 1.0, 1.0]
    rows, stats = export(train.trajectories, "coalm-it")
    assert stats.kept_trajectories == 3 and stats.leaked_skipped == 0
    objectives = {r["objective"] for r in rows}
    assert {"action", "response"} <= objectives
    # every gold call of the episodes appears as an action target, in the call text the agent emitted
    actions = "\n".join(r["output"] for r in rows if r["objective"] == "action")
    for traj in train.trajectories:
        for step in traj.steps:
            for call in step.calls:
                assert call.name in actions
    chat, cstats = export(train.trajectories, "chat")
    assert cstats.samples == 3 and all(json.dumps(c["tools"]) for c in chat)
    assert all(c["messages"][0]["role"] == "system" for c in chat)

    held = run_rollouts(RolloutConfig(env_id, policy="oracle", split="val", episodes=1, seed=0,
                                      env_options=options, out_dir=str(tmp_path / "val")), progress=False)
    with pytest.raises(ConfigError, match="val"):
        export(held.trajectories, "coalm-it")
    _, skipped = export(held.trajectories, "coalm-it", on_leak="skip")
    assert skipped.leaked_skipped == 1 and skipped.samples == 0


def test_planners_list_a_generated_split_without_building_it():
    from coalm_env.resolve import domain_for
    from coalm_env.rollout import split_ids

    bfcl = domain_for("coalm/BFCL-Procedural-v0", pool_size=50_000)
    ids = split_ids(bfcl, "train")
    assert len(ids) == 50_000 and not bfcl._built  # noqa: SLF001 - nothing was generated
    apibank = domain_for("coalm/APIBank-Procedural-v0", level=1)
    assert len(split_ids(apibank, "val")) == len(apibank.scenarios("val")) and not apibank.scenarios("val").cache
    assert bfcl.get_scenario(ids[7]).id == ids[7]
