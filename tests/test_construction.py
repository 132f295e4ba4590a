"""One construction path, one id table, one metric finaliser, declared user capabilities, env manuals."""

from __future__ import annotations

import pydoc

import gymnasium as gym
import pytest
from fixture_domain import FixtureDomain, FixtureUser, fixture_env_id, make_env as make_fixture_env  # noqa: F401

import coalm_env
from coalm_env import data
from coalm_env.cli import main
from coalm_env.errors import ConfigError, LLMError, UnknownNameError
from coalm_env.manual import SECTIONS, example_code, manual, sections
from coalm_env.registry import DOMAINS
from coalm_env.rescore import rescore
from coalm_env.resolve import domain_for, make_env
from coalm_env.rollout import RolloutConfig
from coalm_env.scoring import finalize_metrics
from coalm_env.specs import ENV_SPECS
from coalm_env.types import StopReason


# -- one construction path ---------------------------------------------------------------------
def _error(fn) -> str:
    with pytest.raises(UnknownNameError) as info:
        fn()
    return str(info.value)


@pytest.mark.parametrize("env_id, option, suggestion", [
    ("coalm/APIBank-v0", "levle", "'level'"),
    ("coalm/Travel-v0", "p_bok", "'p_book'"),
    ("coalm/Travel-v0", "max_turn", "'max_turns'"),
])
def test_gym_make_make_env_and_cli_give_the_same_error(env_id, option, suggestion, capsys) -> None:
    via_gym = _error(lambda: gym.make(env_id, **{option: 2}))
    via_make_env = _error(lambda: make_env(env_id, **{option: 2}))
    via_domain_for = _error(lambda: domain_for(env_id, **{option: 2}))
    assert via_gym == via_make_env == via_domain_for
    assert f"unknown option of {env_id} '{option}'" in via_gym and f"did you mean {suggestion}" in via_gym
    assert main(["rollout", env_id, "--env-option", f"{option}=2", "--no-progress", "--episodes", "1"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {via_gym}"


def test_option_values_are_checked_by_the_domain_on_every_path() -> None:
    for build in (lambda: gym.make("coalm/APIBank-v0", level=7), lambda: make_env("coalm/APIBank-v0", level=7)):
        with pytest.raises(ConfigError, match="level must be one of"):
            build()


def test_options_with_a_domain_object_are_not_dropped() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'max_turns'"):
        make_fixture_env(max_turn=3)


# -- one id table -------------------------------------------------------------------------------
def test_the_id_table_drives_registration_domains_and_data() -> None:
    assert coalm_env.__version__
    for env_id, entry in ENV_SPECS.items():
        assert entry.id == env_id
        registered = gym.registry[env_id]
        assert registered.kwargs == {"domain": entry.domain, "env_id": env_id, **entry.defaults}
        assert DOMAINS.entries[entry.domain] == entry.entry_point
        assert entry.dataset is None or entry.dataset in data.DATASETS
    assert {e.dataset for e in ENV_SPECS.values()} - {None} == set(data.DATASETS)


def test_list_names_each_ids_dataset(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for entry in ENV_SPECS.values():
        row = next(line for line in out.splitlines() if line.startswith(entry.id))
        assert (entry.dataset or "-") in row.split()


# -- rollout defaults ------------------------------------------------------------------------------
def test_cli_flag_defaults_are_the_config_defaults() -> None:
    from coalm_env.cli import build_parser

    args = build_parser().parse_args(["rollout", "coalm/Travel-v0"])
    for flag, field in (("policy", "policy"), ("user", "user"), ("episodes", "episodes"), ("seed", "seed"),
                        ("split", "split"), ("batch_size", "batch_size")):
        assert getattr(args, flag) == RolloutConfig.default(field)
    assert RolloutConfig("coalm/Travel-v0").to_dict()["policy"] == "oracle"
    with pytest.raises(ConfigError, match="RolloutConfig"):
        from coalm_env.rollout import run_rollouts

        run_rollouts("coalm/Travel-v0")  # type: ignore[arg-type]


# -- one metric finaliser ---------------------------------------------------------------------------
def test_finalize_metrics() -> None:
    components = {"graph_credit": 1.0, "turns": 2.0}
    errors = [{"where": "user", "kind": "llm"}, {"where": "score"}]
    ok = finalize_metrics({"success": 1.0, "book": 1.0}, StopReason.GOAL_MET, errors, components)
    assert ok == {"success": 1.0, "book": 1.0, "graph_credit": 1.0, "turns": 2.0, "internal_errors": 1.0}
    for reason in (StopReason.ERRORED, StopReason.INTERNAL_ERROR):
        assert finalize_metrics({"success": 1.0, "book": 1.0}, reason, [], components)["success"] == 0.0
    assert finalize_metrics({"success": 1.0}, StopReason.MAX_TURNS, [], {})["success"] == 1.0
    scored = {"success": 1.0}
    finalize_metrics(scored, StopReason.ERRORED, [], {})
    assert scored == {"success": 1.0}  # the input is not changed


def _successful_then_errored():
    """A fixture episode whose transcript succeeds, ended ``errored`` by an LLM failure of the user."""
    env = make_fixture_env(oracle_hints=True)
    request = env.begin_episode(seed=0)
    outcome = env.apply_user_turn(env.user.begin([request])[0], first=True)
    while not isinstance(outcome, type(request)):
        outcome = env.agent_step(outcome[4]["oracle_action"])
    return env, env.apply_user_turn(LLMError("the user model is down"))


def test_rescore_of_an_errored_trajectory_keeps_success_zero() -> None:
    env, (_, reward, terminated, _, info) = _successful_then_errored()
    traj = info["trajectory"]
    assert terminated and reward == 0.0 and traj.stop_reason is StopReason.ERRORED
    assert env.domain.score(traj, env.scenario, env.backend)["success"] == 1.0  # the transcript itself succeeds
    metrics, mismatches = rescore(traj, FixtureDomain())
    assert mismatches == 0 and metrics["success"] == 0.0 and metrics == traj.metrics
    traj.stop_reason = StopReason.GOAL_MET  # the same transcript, ended normally, succeeds
    assert rescore(traj, FixtureDomain())[0]["success"] == 1.0


# -- declared user capabilities ------------------------------------------------------------------
class _Forwarding:
    """A persona-style wrapper: its own name, everything else from the user it wraps."""

    name = "polite_persona"

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, item):
        return getattr(self.inner, item)

    def begin(self, requests):
        return self.inner.begin(requests)

    def respond(self, requests):
        return self.inner.respond(requests)


def test_the_env_records_the_declared_capability() -> None:
    from simulators.replay import ReplayUser

    env = make_fixture_env()
    env.reset(seed=0)
    assert env.trajectory.extra["user_follows_dataset"] is False
    from coalm_env.env import ConversationEnv

    for user in (ReplayUser(), _Forwarding(ReplayUser())):
        env = ConversationEnv(FixtureDomain(), user=user)
        env.reset(seed=0)
        assert env.trajectory.extra["user_follows_dataset"] is True


def _apibank_oracle_metrics(user) -> list[dict]:
    from conftest import need_data

    need_data("apibank")
    from coalm_env.env import ConversationEnv

    env = ConversationEnv("apibank", level=1, user=user, oracle_hints=True, max_turns=40, env_id="coalm/APIBank-v0")
    out = []
    for sid in [s.id for s in env.domain.scenarios("test")[:8]]:
        obs, info = env.reset(seed=0, options={"scenario_id": sid})
        done = False
        while not done:
            obs, reward, term, trunc, info = env.step(info["oracle_action"])
            done = term or trunc
        out.append(info["metrics"])
    return out


@pytest.mark.data
def test_a_renamed_replay_user_scores_like_apibank_replay() -> None:
    from simulators.apibank import APIBankReplayUser

    class Renamed(APIBankReplayUser):
        name = "my_dataset_user"

    reference = _apibank_oracle_metrics("apibank_replay")
    assert _apibank_oracle_metrics(Renamed()) == reference
    assert _apibank_oracle_metrics(_Forwarding(APIBankReplayUser())) == reference
    assert all(m["success"] == 1.0 for m in reference)


# -- manuals -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("env_id", sorted(ENV_SPECS))
def test_every_id_has_a_manual_with_every_section(env_id: str) -> None:
    text = manual(env_id)
    assert text.startswith(env_id)
    found = sections(text)
    assert list(found)[: len(SECTIONS)] == list(SECTIONS), list(found)
    assert all(found[s].strip() for s in SECTIONS)
    assert "success" in found["Reward"] and f'"{env_id}"' in example_code(text)
    for name in ("max_turns", "oracle_hints", "user"):
        assert f"``{name}``" in found["Arguments"]
    defaults = ENV_SPECS[env_id].defaults
    for name, value in defaults.items():
        assert f"``{name}``: ``int`` = ``{value!r}``" in found["Arguments"]


def test_help_on_the_env_shows_its_manual_and_list_details_prints_it(capsys) -> None:
    env = gym.make("coalm/Travel-v0")
    text = env.unwrapped.manual()
    assert text == manual("coalm/Travel-v0")
    assert "## Reward" in pydoc.render_doc(env.unwrapped) and "Inform" in pydoc.render_doc(env.unwrapped)
    assert main(["list", "--details", "coalm/Travel-v0"]) == 0
    assert capsys.readouterr().out.strip() == text.strip()


@pytest.mark.parametrize("env_id", sorted(ENV_SPECS))
def test_every_manual_example_runs(env_id: str, capsys) -> None:
    dataset = ENV_SPECS[env_id].dataset
    if dataset:
        from conftest import need_data

        need_data(dataset)
    code = example_code(manual(env_id))
    namespace: dict = {}
    exec(compile(code, f"<manual of {env_id}>", "exec"), namespace)  # noqa: S102 - our own docs
    assert namespace["terminated"] or namespace["truncated"]
    assert namespace["reward"] in (0.0, 1.0)
    assert capsys.readouterr().out.strip()
