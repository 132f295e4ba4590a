"""The BFCL verdict read from the episode's own session equals the verdict that runs the calls again.

``check_entry(entry, turns, executed=session)`` takes the model's results and per-turn state from the
episode's backend session where that session ran exactly ``turns`` (issue 16, speed); anything else
falls back to running the calls on fresh instances. The whole-data proof is
``experiments/benchmarks/bfcl_replay_parity.py``; these are its cases on a sample, plus the fallbacks.
"""

from __future__ import annotations

import pytest
from conftest import need_data

pytestmark = pytest.mark.data
pytest.importorskip("bfcl_eval")

from coalm_env.domains.bfcl import checker  # noqa: E402
from coalm_env.domains.bfcl.checker import check_entry, gold_run  # noqa: E402
from coalm_env.domains.bfcl.domain import trajectory_turns  # noqa: E402
from coalm_env.domains.bfcl.strict import strict_check  # noqa: E402
from coalm_env.resolve import make_env  # noqa: E402


def _full(v) -> tuple:
    return v.valid, v.error_type, v.error_message, v.turn_passed, v.details, v.runs


def _ids(env, per_category: int) -> list[str]:
    domain = env.unwrapped.domain
    by_cat: dict[str, list[str]] = {}
    for s in domain.scenarios("test"):
        by_cat.setdefault(domain.entry(s.id).category, []).append(s.id)
    return [i for ids in by_cat.values() for i in ids[::200 // per_category]]


def test_verdicts_read_from_the_session_equal_running_the_calls_again() -> None:
    need_data("bfcl")
    from experiments.benchmarks.bfcl_replay_parity import _cases, play

    env = make_env("coalm/BFCL-MultiTurn-v0")
    domain = env.unwrapped.domain
    read = 0
    kinds_failed = set()
    for sid in _ids(env, 3):
        entry = domain.entry(sid)
        for kind, turns in _cases(entry, 0):
            traj = play(env, sid, kind, turns)["trajectory"]
            backend = env.unwrapped.backend
            model_turns = trajectory_turns(traj)
            replayed = checker._replayed(entry, gold_run(entry), model_turns, backend)
            read += replayed is not None
            assert (replayed is not None) == (gold_run(entry) is not None), (sid, kind)
            v = domain.verdict(traj, env.unwrapped.scenario, backend)
            fresh = check_entry(entry, model_turns)
            assert _full(v) == _full(fresh), (sid, kind)
            assert strict_check(entry, model_turns, v) == strict_check(entry, model_turns, fresh), (sid, kind)
            assert traj.metrics["success"] == float(fresh.valid)
            if not v.valid:
                kinds_failed.add(v.error_type)
    assert read >= 20
    assert {"multi_turn:instance_state_mismatch", "multi_turn:empty_turn_model_response"} <= kinds_failed


def _episode(kind: str = "gold"):
    from experiments.benchmarks.bfcl_replay_parity import _cases, play

    env = make_env("coalm/BFCL-MultiTurn-v0")
    domain = env.unwrapped.domain
    sid = next(s.id for s in domain.scenarios("test") if gold_run(domain.entry(s.id)) is not None
               and len(domain.entry(s.id).ground_truth) >= 2)
    entry = domain.entry(sid)
    turns = dict(_cases(entry, 0))[kind]
    traj = play(env, sid, kind, turns)["trajectory"]
    return env, entry, traj


def test_a_call_changed_after_it_ran_is_run_again() -> None:
    need_data("bfcl")
    env, entry, traj = _episode()
    backend = env.unwrapped.backend
    turns = trajectory_turns(traj)
    assert checker._replayed(entry, gold_run(entry), turns, backend) is not None
    call = next(c for t in turns for s in t for c in s if c.arguments)
    key = next(iter(call.arguments))
    call.arguments[key] = "changed after it ran"
    turns = trajectory_turns(traj)
    assert checker._replayed(entry, gold_run(entry), turns, backend) is None
    assert _full(check_entry(entry, turns, backend)) == _full(check_entry(entry, turns))


def test_other_sessions_and_layouts_are_run_again() -> None:
    need_data("bfcl")
    env, entry, traj = _episode()
    backend = env.unwrapped.backend
    turns = trajectory_turns(traj)
    run = gold_run(entry)
    assert checker._replayed(entry, run, turns, backend) is not None
    assert checker._replayed(entry, None, turns, backend) is None  # entry checked live
    assert checker._replayed(entry, run, turns[:-1], backend) is None  # turns the session saw differ
    assert checker._replayed(entry, run, [[], *turns[1:]], backend) is None  # calls differ
    moved = [list(t) for t in turns]
    moved[0], moved[1] = turns[1], turns[0]  # same calls, other turns
    assert checker._replayed(entry, run, moved, backend) is None
    from coalm_env.domains.bfcl.runtime import open_session

    fresh = open_session(entry)  # not recording
    assert checker._replayed(entry, run, turns, fresh) is None
    backend.turn_ends.clear()  # a checked turn's end not recorded
    assert checker._replayed(entry, run, turns, backend) is None


def test_faulty_backends_are_run_again() -> None:
    need_data("bfcl")
    env = make_env("coalm/BFCL-MultiTurn-v0", faults={"transient": 0.3})
    from coalm_env.rollout import RolloutConfig, run_rollouts

    res = run_rollouts(RolloutConfig("coalm/BFCL-MultiTurn-v0", "oracle", episodes=4, seed=0,
                                     faults={"transient": 0.3}), progress=False)
    domain = env.unwrapped.domain
    for traj in res.trajectories:
        entry = domain.entry(traj.scenario_id)
        assert traj.metrics["success"] == float(check_entry(entry, trajectory_turns(traj)).valid)


def test_whole_word_search_is_the_regex() -> None:
    import itertools
    import re

    from coalm_env.domains.bfcl.strict import _stated, _whole_word_in

    alphabet = "a1 _-\u00e9\u0663"  # a word letter, digit, space, underscore, punctuation, é, an Arabic digit
    texts = [""]
    for _ in range(5):
        texts += ["".join(p) for p in itertools.product(alphabet, repeat=len(texts[-1]) + 1)]
    for form in ("a", "a1", "1 a", "-a", "\u00e9", "_", "a\u0663"):
        for text in texts:
            want = re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text) is not None
            assert _whole_word_in(form, text) == want, (form, text)
    assert _stated(5.0, "book 5 seats") and not _stated(5.0, "book 55 seats") and _stated("Ab", "x ab")


def test_is_error_reads_json_only_where_an_error_key_can_be() -> None:
    import json

    from coalm_env.domains.bfcl.runtime import ERROR_PREFIX
    from coalm_env.domains.bfcl.strict import is_error

    def before(text: str) -> bool:  # the implementation without the substring test
        if text.startswith(ERROR_PREFIX):
            return True
        if not text.startswith("{"):
            return False
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return False
        return isinstance(value, dict) and "error" in value

    texts = ['{"error": 1}', '{"\\u0065rror": "x"}', '{"err\\u006fr": null}', '{"a": "error"}', '{"errors": 1}',
             '{"x": {"error": 1}}', '{"error"', '{bad', "error", f"{ERROR_PREFIX}boom", '{"a": "\\u00e9"}', "{}",
             '{"status": false}', '{"error": "x", "error": "y"}', '{"Error": 1}']
    for text in texts:
        assert is_error(text) == before(text), text
    assert is_error('{"\\u0065rror": "x"}') and not is_error('{"errors": 1}')


def test_a_call_whose_key_cannot_be_made_is_never_read_back(monkeypatch) -> None:
    need_data("bfcl")
    from coalm_env.domains.bfcl import runtime

    env, entry, traj = _episode()
    backend = env.unwrapped.backend
    turns = trajectory_turns(traj)
    assert checker._replayed(entry, gold_run(entry), turns, backend) is not None
    call, _key, seen, text = backend.executed[0]
    backend.executed[0] = (call, None, seen, text)  # what call() records when call_key fails
    assert checker._replayed(entry, gold_run(entry), turns, backend) is None

    def broken(call):
        raise ValueError("no repr")

    monkeypatch.setattr(runtime, "call_key", broken)
    session = runtime.open_session(entry, record=True)
    session.call(gold_run(entry).calls[0][0])  # recording never raises out of call()
    assert session.executed[0][1] is None
