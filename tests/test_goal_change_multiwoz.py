"""The ``goal_change`` persona on MultiWOZ: the domain's hook, the scorer following the changed goal, and
the privileged oracle still succeeding under ``agenda+goal_change``."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_data

from coalm_env.rescore import replay_backend, rescore
from coalm_env.rollout import RolloutConfig, run_rollouts

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def mwz():
    need_data("multiwoz24")
    from coalm_env.domains import get_domain

    return get_domain("multiwoz")


def test_hook_changes_one_venue_constraint_to_an_answerable_goal(mwz):
    scenario = mwz.get_scenario("MUL0113")  # restaurant (reqt phone) + hotel
    seen = 0
    for seed in range(12):
        changed = mwz.goal_change(scenario, np.random.default_rng(seed))
        assert changed is not None and changed.id == scenario.id
        c = changed.meta["goal_change"]
        assert changed.goal[c["domain"]]["info"][c["slot"]] == c["new"] != c["old"]
        hits = mwz.database.query(None, c["domain"], changed.goal[c["domain"]]["info"])
        assert hits and all(hits[0].get(r) not in (None, "", "?") for r in changed.goal[c["domain"]]["reqt"])
        # the Inform venues follow the changed constraints although the id is the same
        keys = {h["name"] for h in hits}
        assert mwz.goal_venues(changed)[c["domain"]] == keys != mwz.goal_venues(scenario)[c["domain"]]
        seen += 1
    assert seen == 12


def test_oracle_succeeds_under_goal_change_and_the_scorer_follows_it(mwz):
    result = run_rollouts(RolloutConfig("coalm/MultiWOZ-v0", "oracle", user="agenda+goal_change", episodes=50),
                          progress=False)
    ts = result.trajectories
    changed = [t for t in ts if t.extra.get("goal_changes")]
    assert len(changed) >= 25
    assert all(t.metrics["success"] == 1.0 and t.metrics["task_success"] == 1.0 for t in ts)
    stale = 0
    for t in changed:
        change = t.extra["goal_changes"][0]
        c = change["change"]
        assert change["goal"][c["domain"]]["info"][c["slot"]] == c["new"]
        metrics, mismatches = rescore(t, mwz)  # re-scoring reads the change back
        assert mismatches == 0 and metrics["success"] == t.metrics["success"] == 1.0
        backend, _ = replay_backend(mwz, t)
        original = mwz.score(t, mwz.get_scenario(t.scenario_id), backend)
        stale += original["task_success"] == 0.0 or original["inform"] == 0.0
    assert stale >= len(changed) // 2  # against the original goal the same episodes mostly fail
