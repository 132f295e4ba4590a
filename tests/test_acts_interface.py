"""The act-level mode (issue 16): ``interface="acts"`` of the task-oriented envs, its action format and error
observations, the agenda user reading and writing acts, the act-level rule policy, and the act-level scorer
against the text scorer."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

import coalm_env  # noqa: F401  (registers the ids)
from coalm_env.acts import MAX_ACTS, ActAction, ActVocabulary, parse_act_action
from coalm_env.acts_env import ActsEnv
from coalm_env.domains.tod.schema import SCHEMAS
from coalm_env.domains.tod.scoring import ActReply, Episode, Reply, score_goal
from coalm_env.errors import ConfigError
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import StopReason, ToolCall, Trajectory
from policies.rule_acts import RuleActsPolicy
from tests.conftest import need_data

IDS = ("coalm/Travel-v0", "coalm/MultiWOZ-v0", "coalm/MultiWOZ-Procedural-v0")


def _make(env_id: str, **kw):
    if env_id != "coalm/Travel-v0":
        need_data("multiwoz24")
    return gym.make(env_id, interface="acts", **kw)


def _play(env, seed: int, policy=None):
    policy = policy or RuleActsPolicy()
    obs, info = env.reset(seed=seed)
    while True:
        obs, _r, term, trunc, info = env.step(policy.act([obs], [info])[0])
        assert env.observation_space.contains(obs)
        if term or trunc:
            return info


@pytest.mark.parametrize("env_id", IDS)
def test_gym_make_acts_gives_the_act_level_env(env_id) -> None:
    env = _make(env_id)
    assert isinstance(env.unwrapped, ActsEnv) and env.unwrapped.interface == "acts"
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert set(obs) == {"user_acts", "tool_results", "error"}
    assert obs["user_acts"] and all(len(a) == 4 for a in obs["user_acts"])
    assert obs["user_acts"][0][0] in ("Inform", "Request", "Book") and obs["user_acts"][0][1] in SCHEMAS
    # the user said acts, no text: the trajectory keeps them as the user message
    user = [m for m in info.get("trajectory", env.unwrapped.trajectory).messages if m.role == "user"]
    assert json.loads(user[0].content) == [list(a) for a in obs["user_acts"]]


def test_text_interface_is_unchanged_and_bad_interfaces_are_refused() -> None:
    env = gym.make("coalm/Travel-v0")
    assert type(env.unwrapped).__name__ == "ConversationEnv" and env.unwrapped.interface == "text"
    with pytest.raises(ConfigError, match="interface"):
        gym.make("coalm/Travel-v0", interface="speech")
    with pytest.raises(ConfigError, match="agenda"):
        gym.make("coalm/Travel-v0", interface="acts", user="replay")


def test_acts_mode_is_refused_where_there_are_no_dialogue_acts() -> None:
    need_data("bfcl")
    with pytest.raises(ConfigError, match="task-oriented"):
        gym.make("coalm/BFCL-MultiTurn-v0", interface="acts")


_BAD = [
    ({"acts": [["Hack", "restaurant", "food", "x"]]}, "unknown intent"),
    ({"acts": [["Inform", "spaceship", "food", "x"]]}, "unknown domain"),
    ({"acts": [["Inform", "restaurant", "warp", "x"]]}, "unknown slot"),
    ({"acts": [["Inform"]]}, "1 items"),
    ({"acts": [["Inform", "restaurant", "food", "x", "y"]]}, "5 items"),
    ({"acts": [["Inform", "restaurant", "food", ""]]}, "needs a value"),
    ({"acts": [["Request", "restaurant"]]}, "needs a slot"),
    ({"acts": [["Inform", "restaurant", "food", "x" * 300]]}, "characters long"),
    ({"acts": [["Inform", "restaurant", "food", 10**5000]]}, "digits"),
    ({"acts": [["Inform", "restaurant", "food", None]]}, "must be text"),
    ({"acts": [["Reqmore", "general"]] * (MAX_ACTS + 1)}, f"at most {MAX_ACTS}"),
    ({"acts": [], "oops": 1}, "unknown keys"),
    ({"acts": "Inform"}, "must be lists"),
    ({}, "empty action"),
    ('{"acts": [["Inform", "restaurant"', "JSON"),
    (42, "dict"),
    ({"calls": [{"name": "end_conversation", "arguments": {}}]}, "end"),
    ({"acts": [["Inform", "general", "food", "x"]]}, "task domain"),
]


@pytest.mark.parametrize("action,message", _BAD)
def test_a_malformed_act_action_is_an_error_observation(action, message) -> None:
    env = _make("coalm/Travel-v0")
    env.reset(seed=1)
    obs, reward, term, trunc, info = env.step(action)
    assert not term and not trunc and reward == 0.0
    assert message in obs["error"] and info["parse_error"] == obs["error"]
    assert env.observation_space.contains(obs)
    traj = env.unwrapped.trajectory
    assert traj.steps[-1].kind == "error" and traj.steps[-1].parse_error
    json.loads(traj.to_json())  # still strict JSON
    # the next good action clears the error and the episode goes on
    obs, *_ = env.step({"acts": [["Reqmore", "general"]]})
    assert obs["error"] == ""


def test_action_forms_parse_alike() -> None:
    vocab = ActVocabulary(SCHEMAS)
    forms = [
        {"acts": [["inform", "Restaurant", "Addr", "1 high st"]], "calls": [{"name": "find_restaurant", "arguments": {}}]},
        json.dumps({"acts": [["Inform", "restaurant", "address", "1 high st"]],
                    "calls": [{"name": "find_restaurant", "arguments": {}}]}),
        ActAction(acts=[["Inform", "restaurant", "address", "1 high st"]], calls=[ToolCall("find_restaurant", {})]),
        {"acts": [{"intent": "Inform", "domain": "restaurant", "slot": "address", "value": "1 high st"}],
         "calls": [{"name": "find_restaurant", "arguments": {}}]},
    ]
    parsed = [parse_act_action(f, vocab, 8) for f in forms]
    assert all(p.error is None for p in parsed), [p.error for p in parsed]
    assert all(p.acts == [["Inform", "restaurant", "address", "1 high st"]] for p in parsed)
    assert all([c.name for c in p.calls] == ["find_restaurant"] for p in parsed)
    assert parse_act_action({"acts": [["Request", "train", "Leave"]]}, vocab, 8).acts == [["Request", "train", "leaveAt", "?"]]
    assert parse_act_action({"acts": [["Inform", "train", "price", "10"]]}, vocab, 8).acts[0][2] == "price"
    assert parse_act_action({"acts": [["Inform", "hotel", "price", "cheap"]]}, vocab, 8).acts[0][2] == "pricerange"


def test_calls_alone_come_back_as_results_and_acts_reach_the_user() -> None:
    env = _make("coalm/Travel-v0")
    obs, info = env.reset(seed=3)
    d = obs["user_acts"][0][1]
    obs, _r, _t, _tr, info = env.step({"calls": [{"name": f"find_{d}", "arguments": {}}]})
    assert info["turn"] == 1 and [r["name"] for r in obs["tool_results"]] == [f"find_{d}"]
    assert "count" in json.loads(obs["tool_results"][0]["content"])
    obs, _r, _t, _tr, info = env.step({"acts": [["Request", d, SCHEMAS[d].informable[0]]]})
    assert info["turn"] == 2 and obs["tool_results"] == () and obs["user_acts"]
    obs, _r, term, _tr, info = env.step({"acts": [["Bye", "general"]], "end": True})
    assert term and info["stop_reason"] == StopReason.AGENT_ENDED.value


@pytest.mark.parametrize("env_id,n", [("coalm/Travel-v0", 12), ("coalm/MultiWOZ-v0", 12)])
def test_rule_act_policy_with_the_agenda_user_succeeds_on_test_goals(env_id, n) -> None:
    env = _make(env_id)
    infos = [_play(env, seed) for seed in range(n)]
    assert all(i["stop_reason"] == "goal_met" for i in infos), [i["stop_reason"] for i in infos]
    assert all(i["metrics"]["success"] == 1.0 for i in infos), [i["scenario_id"] for i in infos if i["metrics"]["success"] < 1]
    if env_id == "coalm/MultiWOZ-v0":
        assert all(i["metrics"]["task_success"] == 1.0 for i in infos)
        assert {"inform", "success", "book", "requests", "task_success"} <= set(infos[0]["metrics"])


def test_rule_act_episodes_are_deterministic_per_seed() -> None:
    env = _make("coalm/Travel-v0")
    a, b = _play(env, 7)["trajectory"], _play(env, 7)["trajectory"]
    c = _play(env, 8)["trajectory"]
    strip = lambda t: {k: v for k, v in json.loads(t.to_json()).items() if k not in ("extra",)}  # noqa: E731
    assert strip(a) == strip(b)
    assert strip(a) != strip(c)


def test_rollout_cli_path_runs_the_act_loop(tmp_path) -> None:
    res = run_rollouts(RolloutConfig("coalm/Travel-v0", "rule_acts", user="agenda", episodes=4, seed=0,
                                     env_options={"interface": "acts"}), progress=False)
    assert [t.stop_reason.value for t in res.trajectories] == ["goal_met"] * 4
    assert all(t.extra.get("interface") == "acts" for t in res.trajectories)
    assert res.summary["success_rate"] == 1.0


def test_the_agenda_user_negates_an_offer_that_does_not_fit() -> None:
    env = _make("coalm/Travel-v0")
    obs, info = env.reset(seed=5)
    inner = env.unwrapped
    d = obs["user_acts"][0][1]
    assert SCHEMAS[d].find_api
    sub = inner.scenario.goal[d]
    key = SCHEMAS[d].entity_key
    misfit = next(r for r in inner.backend.state.view.scan(d) if not inner.domain.vocab.matches(r[1], sub["info"]))[1]
    obs, *_ = env.step({"acts": [["Inform", d, key, misfit[key]]]})
    assert any(a[0] == "Negate" and a[1] == d and a[3] == misfit[key] for a in obs["user_acts"]), obs["user_acts"]


# -- the act-level scorer gives the text scorer's verdict -----------------------------------------------
def _traj(env) -> Trajectory:
    return env.unwrapped.trajectory


@pytest.mark.parametrize("offer", [True, False])
def test_act_scorer_agrees_with_the_text_scorer(offer) -> None:
    env = _make("coalm/Travel-v0")
    env.reset(seed=11)
    inner = env.unwrapped
    scenario, state = inner.scenario, inner.backend.state
    text_events, act_events = [], []
    for d, sub in scenario.goal.items():
        if d not in ("restaurant", "hotel", "attraction", "train") or not sub:
            continue
        key = SCHEMAS[d].entity_key
        rows = [r for _k, r in state.view.scan(d)]
        fits = [r for r in rows if state.vocab.matches(r, sub["info"])]
        entity = fits[0] if offer else next(r for r in rows if not state.vocab.matches(r, sub["info"]))
        slots = [s for s in scenario.gold.requested.get(d, ()) if entity.get(s)]
        text = f"I suggest {entity[key]}. " + " ".join(f"Its {s} is {entity[s]}." for s in slots)
        text_events.append(Reply(text))
        act_events.append(ActReply("", tuple([("Recommend", d, key, entity[key])]
                                             + [("Inform", d, s, str(entity[s])) for s in slots])))
    assert text_events, "the scenario has a venue domain"
    traj = _traj(env)
    by_text = score_goal(traj, scenario, state, inner.domain.names, Episode(text_events))
    by_acts = score_goal(traj, scenario, state, inner.domain.names, Episode(act_events))
    assert by_acts == by_text
    assert by_acts["inform"] == (1.0 if offer else 0.0)


def test_act_episode_names_the_venue_or_never_offers_it() -> None:
    """End to end: the same scripted dialogue in acts, once naming the venue the search found, once never
    offering it: success follows, with the text scorer's definition."""
    env = _make("coalm/Travel-v0")
    outcomes = []
    for name_it in (True, False):
        obs, info = env.reset(seed=2)
        policy = RuleActsPolicy()
        while True:
            action = policy.act([obs], [info])[0]
            if not name_it and "acts" in action:
                action = {"acts": [a for a in action["acts"] if a[2] not in ("name", "trainID")] or [["Reqmore", "general"]]}
            obs, _r, term, trunc, info = env.step(action)
            if term or trunc:
                break
        outcomes.append(info["metrics"])
    assert outcomes[0]["success"] == 1.0 and outcomes[0]["inform"] == 1.0
    assert outcomes[1]["success"] == 0.0


def test_the_oracle_plays_the_act_level_too() -> None:
    res = run_rollouts(RolloutConfig("coalm/Travel-v0", "oracle", user="agenda", episodes=6, seed=0,
                                     env_options={"interface": "acts"}), progress=False)
    assert [t.metrics["success"] for t in res.trajectories] == [1.0] * 6
    assert all(not t.errors for t in res.trajectories)
    calls = [s for t in res.trajectories for s in t.steps if s.calls]
    assert calls and all(s.extra.get("acts") is None for s in calls)  # the oracle's calls steps carry no acts


def test_act_level_manual_section() -> None:
    from coalm_env.manual import manual

    assert "## Act level" in manual("coalm/Travel-v0") and "rule_acts" in manual("coalm/Travel-v0")
    need_data("bfcl")
    assert "## Act level" not in manual("coalm/BFCL-MultiTurn-v0")


def test_memoised_argument_checks_give_the_validator_verdict() -> None:
    """ApiGraph.check_arguments keeps verdicts per API and arguments: a repeated call gets the same errors,
    and values that hash alike but validate differently (1, 1.0, True, "1") are kept apart."""
    from jsonschema import Draft202012Validator

    from coalm_env.domains.travel import TravelDomain

    graph = TravelDomain().graph
    cases = [{"area": "centre"}, {"area": "nowhere"}, {"area": 1}, {"area": True}, {"area": 1.0}, {"area": "1"},
             {"area": ["centre"]}, {"bogus": "x"}, {}]
    for args in cases + cases:  # the second pass reads the memo
        fresh = sorted(Draft202012Validator(graph.spec("find_restaurant").parameters).iter_errors(dict(args)),
                       key=lambda e: list(e.absolute_path))
        got = graph.check_arguments("find_restaurant", args)
        assert len(got) == len(fresh), (args, got)
        assert bool(got) == (args not in ({"area": "centre"}, {})), args


def test_rule_act_policy_retries_injected_faults() -> None:
    """With transient backend faults the act-level rule policy makes a faulted call again (as the text rule
    policy does) instead of reporting no match: it still completes goals, and it does retry."""
    env = _make("coalm/Travel-v0", faults="transient=0.3")
    infos = [_play(env, seed) for seed in range(8)]
    assert sum(i["metrics"]["success"] for i in infos) >= 7, [i["metrics"]["success"] for i in infos]
    retried = 0
    for info in infos:
        calls = [(c.name, json.dumps(c.arguments, sort_keys=True)) for s in info["trajectory"].steps for c in s.calls]
        retried += len(calls) - len(set(calls))
    assert retried > 0 and sum(i["metrics"].get("faults_injected", 0) for i in infos) > 0
