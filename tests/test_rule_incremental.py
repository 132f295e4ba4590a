"""The rule policy's incremental dialogue state (policies.rule_state.Tracker): on MultiWOZ val goals
against the agenda user, every action equals the one a state rebuilt from all messages gives, two
episodes interleaved keep apart, and an observation that does not extend the tracked one starts over."""

from __future__ import annotations

import pytest

from coalm_env.resolve import make_env
from policies.rule import RulePolicy, decide
from policies.rule_state import Tracker, track
from policies.rule_values import understanding_of
from tests.conftest import need_data


def _full(obs, info):
    return decide(track(obs, info["vocab"].schemas, understanding_of(info)))


@pytest.fixture(scope="module")
def envs():
    need_data("multiwoz24")
    return [make_env("coalm/MultiWOZ-v0", user="agenda", split="val") for _ in range(2)]


def test_incremental_equals_rebuild_interleaved(envs) -> None:
    """Two val episodes stepped in turn through one policy: each action is the rebuilt state's."""
    policy = RulePolicy()
    live = [list(env.reset(seed=s)) for env, s in zip(envs, (3, 11))]
    done = [False, False]
    steps = 0
    while not all(done):
        for i, env in enumerate(envs):
            if done[i]:
                continue
            obs, info = live[i]
            action = policy.act([obs], [info])[0]
            assert action == _full(obs, info), f"episode {i}, step {steps}"
            obs, _r, term, trunc, info = env.step(action)
            live[i] = [obs, info]
            done[i] = term or trunc
            steps += 1
    assert steps > 10
    assert len(policy._trackers) == 2


def test_new_episode_and_foreign_observation_start_over(envs) -> None:
    env = envs[0]
    obs, info = env.reset(seed=5)
    schemas, u = info["vocab"].schemas, understanding_of(info)
    tracker = Tracker(obs, schemas, u)
    tracker.advance(obs)
    obs2, *_rest, info2 = env.step(_full(obs, info))
    assert tracker.follows(obs2, schemas, u)
    other, _ = envs[1].reset(seed=6)  # another goal: its first user turn differs from the one read
    assert not tracker.follows(other, schemas, u)
    # the same episode id reused for another conversation: the policy notices and rebuilds
    policy = RulePolicy()
    policy.act([obs2], [info2])
    assert policy.act([other], [{**info2}])[0] == _full(other, info2)
