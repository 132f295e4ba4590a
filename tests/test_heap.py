"""coalm_env.heap: the collector quieted for a run (long-lived objects frozen, young threshold raised) and given back
as it was."""

from __future__ import annotations

import gc

import pytest
from fixture_domain import fixture_env_id  # noqa: F401 (a pytest fixture)

from coalm_env.heap import YOUNG_THRESHOLD, quiet_collector


@pytest.fixture(autouse=True)
def _clean_collector():
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_a_run_freezes_what_is_alive_and_gives_everything_back():
    thresholds = gc.get_threshold()
    kept = [[i] for i in range(1000)]  # long-lived, tracked
    with quiet_collector() as heap:
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_threshold()[0] == max(thresholds[0], YOUNG_THRESHOLD)
        frozen = gc.get_freeze_count()
        later = [[i] for i in range(500)]  # loaded during the run (the understanding, lazily)
        heap.episode_done()
        assert gc.get_freeze_count() >= frozen + len(later)
        settled = gc.get_freeze_count()
        more = [[i] for i in range(500)]
        heap.episode_done()  # only the first episode's end settles
        assert gc.get_freeze_count() == settled and more
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


def test_a_cycle_made_garbage_during_the_run_is_collected_after_it():
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    import weakref

    ref = weakref.ref(a)
    with quiet_collector():
        del a, b
        gc.collect()
        assert ref() is not None  # frozen: the collector does not look at it during the run
    gc.collect()
    assert ref() is None


def test_the_callers_own_freeze_is_kept(monkeypatch):
    gc.freeze()
    mine = gc.get_freeze_count()
    with quiet_collector():
        pass
    assert gc.get_freeze_count() >= mine


@pytest.mark.parametrize("how", ["env", "argument", "disabled"])
def test_it_can_be_left_alone(monkeypatch, how):
    thresholds = gc.get_threshold()
    if how == "env":
        monkeypatch.setenv("COALM_ENV_GC", "default")
    if how == "disabled":
        gc.disable()
    try:
        with quiet_collector(enabled=how != "argument") as heap:
            heap.settle()
            assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    finally:
        gc.enable()


def test_run_rollouts_leaves_the_collector_as_it_found_it(fixture_env_id):
    from coalm_env.rollout import RolloutConfig, run_rollouts

    thresholds = gc.get_threshold()
    res = run_rollouts(RolloutConfig(fixture_env_id, "oracle", episodes=3), progress=False)
    assert len(res.trajectories) == 3
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
