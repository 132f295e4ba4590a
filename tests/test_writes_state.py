"""Which APIs change state (``ApiSpec.writes``) and the end-state hash: set by the domains, recorded by
the env, used by re-scoring (writing-call and end-state mismatches) and drawn by ``coalm-env graph``."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from conftest import need_data

from coalm_env.rescore import rescore_all
from coalm_env.rollout import RolloutConfig, read_trajectories, run_rollouts
from fixture_domain import fixture_env_id, make_env  # noqa: F401 (a pytest fixture)


def _oracle_episode(env) -> dict:
    obs, info = env.reset(seed=0)
    while True:
        obs, _, term, trunc, info = env.step(info["oracle_action"])
        if term or trunc:
            return info


def test_the_env_records_the_end_state_hash():
    env = make_env(oracle_hints=True)
    info = _oracle_episode(env)
    traj = info["trajectory"]
    assert traj.extra["state_hash"] == env.backend.state.view.state_hash() == env.backend.state_hash()
    assert traj.extra["state_hash"] != env.backend.state.view.__class__(env.domain.store).state_hash()


def test_rescoring_tells_writing_calls_and_end_states_from_read_only_noise(fixture_env_id: str, tmp_path: Path):
    run_rollouts(RolloutConfig(fixture_env_id, "oracle", episodes=3, seed=2, out_dir=tmp_path), progress=False)
    trajs = read_trajectories(tmp_path)
    _, report = rescore_all(trajs)
    assert (report.replay_mismatches, report.write_mismatches, report.state_mismatches) == (0, 0, 0)

    noisy = copy.deepcopy(trajs[0])  # a read-only call recorded differently: no state consequence
    find = next(s for s in noisy.steps if s.calls and s.calls[0].name == "find_item")
    find.results[0].value = {"results": []}
    _, report = rescore_all([noisy])
    assert (report.replay_mismatches, report.write_mismatches, report.state_mismatches) == (1, 0, 0)

    diverged = copy.deepcopy(trajs[1])  # another order-id prefix: the booking and the end state differ
    diverged.seeds["backend"] += 1
    _, report = rescore_all([diverged])
    assert (report.replay_mismatches, report.write_mismatches, report.state_mismatches) == (1, 1, 1)
    assert any("end state" in p for p in report.problems)

    unhashed = copy.deepcopy(trajs[1])  # trajectories from before the hash was recorded still re-score
    del unhashed.extra["state_hash"]
    _, report = rescore_all([unhashed])
    assert report.rescored == 1 and report.state_mismatches == 0


@pytest.mark.data
def test_bfcl_apis_declare_which_change_state():
    pytest.importorskip("bfcl_eval")
    need_data("bfcl")
    from coalm_env.domains.bfcl.apis import WRITES, api_specs, load_func_docs

    docs = load_func_docs()
    assert set(WRITES) == set(docs)
    for cls, names in WRITES.items():
        assert names <= {d["name"] for d in docs[cls]}, cls  # no stale names
    specs = {(cls, s.name): s.writes for cls in docs for s in api_specs(cls)}
    assert specs[("GorillaFileSystem", "cd")] and specs[("GorillaFileSystem", "touch")]
    assert not specs[("GorillaFileSystem", "ls")] and not specs[("GorillaFileSystem", "cat")]
    assert not any(w for (cls, _), w in specs.items() if cls == "MathAPI")
    assert specs[("TradingBot", "place_order")] and not specs[("TradingBot", "get_stock_info")]


@pytest.mark.data
def test_apibank_apis_declare_which_change_state():
    need_data("apibank")
    from coalm_env.domains import get_domain

    graph = get_domain("apibank", level=1).api_graph()
    assert graph.spec("AddAlarm").writes and graph.spec("DeleteAccount").writes
    assert not graph.spec("QueryAlarm").writes and not graph.spec("ToolSearcher").writes
    writers = {n for n in graph.names if graph.spec(n).writes}
    assert not {n for n in writers if n.startswith(("Query", "Get", "Check"))}
