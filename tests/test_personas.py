"""Stress personas (simulators/personas*.py): composition, determinism, marks, and each behaviour."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import coalm_env  # noqa: F401 (registers the ids)
from coalm_env.domains import get_domain
from coalm_env.domains.tod.scoring import score_goal
from coalm_env.protocols import follows_dataset
from coalm_env.registry import USERS, split_personas
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import StopReason
from simulators.personas import INJECTIONS, OUT_OF_SCOPE, add_typos, terse_text

PERSONAS = ["typos:rate=0.05", "terse", "verbose", "impatient:patience=2", "goal_change", "multi_intent",
            "non_cooperative", "adversarial"]


def _run(user: str, episodes: int = 12, policy: str = "oracle", out=None, **kw):
    return run_rollouts(RolloutConfig("coalm/Travel-v0", policy, user=user, episodes=episodes, out_dir=out, **kw),
                        progress=False)


def test_split_personas_keeps_plus_signs_of_the_base_spec():
    assert split_personas("agenda+typos:rate=0.05+impatient:patience=2") == (
        "agenda", ["typos:rate=0.05", "impatient:patience=2"])
    assert split_personas("llm:openai:a+b@x+terse") == ("llm:openai:a+b@x", ["terse"])


def test_composition_forwards_capabilities_and_lists_the_chain():
    user = USERS.make("agenda+typos:rate=0.05+impatient:patience=2")
    assert user.personas == ["typos:rate=0.05", "impatient:patience=2"]
    assert user.patience == 2 and user.inner.inner.patience == 3  # own option, then the agenda's
    assert follows_dataset(USERS.make("replay+terse+typos")) and not follows_dataset(user)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_is_deterministic_and_recorded(tmp_path, persona):
    a, b = (_run(f"agenda+{persona}", out=tmp_path / name) for name in ("a", "b"))
    assert (tmp_path / "a" / "trajectories.jsonl").read_bytes() == (tmp_path / "b" / "trajectories.jsonl").read_bytes()
    for t in a.trajectories:
        assert t.extra["personas"] == [persona if persona != "adversarial" else "adversarial:rate=0.5"]
        assert not t.errors
        name = persona.split(":")[0]
        assert t.extra["persona_marks"] and all(name in m["marks"] for m in t.extra["persona_marks"])


def test_composed_spec_from_gym_make_and_the_cli(tmp_path):
    env = gym.make("coalm/Travel-v0", user="agenda+typos:rate=0.05+impatient:patience=2")
    env.reset(seed=3)
    assert env.unwrapped.trajectory.extra["personas"] == ["typos:rate=0.05", "impatient:patience=2"]
    from coalm_env.cli import main

    assert main(["rollout", "coalm/Travel-v0", "--user", "agenda+typos:rate=0.05+impatient:patience=2",
                 "--episodes", "3", "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    assert (tmp_path / "r" / "trajectories.jsonl").read_text().count('"personas"') == 3


def test_typos_change_text_at_about_the_rate_and_spare_values():
    rng = np.random.default_rng(0)
    text = "I would like a cheap restaurant in the centre serving italian food please " * 40
    out, edits = add_typos(text, 0.05, 0.0, ["centre"], rng)
    letters = sum(c.isalpha() for c in text) - 40 * len("centre")
    assert 0.035 < edits / letters < 0.065
    assert out.count("centre") == 40


def test_terse_drops_pleasantries_and_keeps_content():
    assert terse_text("Hi! I'm looking for a cheap restaurant in the centre.") == "A cheap restaurant in the centre."
    assert terse_text("Thank you, that's all I need. Goodbye!") == "Goodbye!"


def test_impatient_gives_up_after_k_unproductive_turns():
    env = gym.make("coalm/Travel-v0", user="agenda+impatient:patience=2")
    env.reset(seed=0)
    for k in range(1, 5):
        *_, term, _trunc, info = env.step("Hmm.")
        if term:
            break
    assert term and info["stop_reason"] == StopReason.USER_GAVE_UP.value and k == 2


def test_adversarial_turns_carry_the_injection_and_are_marked():
    result = _run("agenda+adversarial:rate=1.0", episodes=8)
    marked = [(t, m) for t in result.trajectories for m in t.extra["persona_marks"] if m["marks"]["adversarial"]["adversarial"]]
    assert marked
    for t, m in marked:
        added = m["marks"]["adversarial"]["text"]
        assert added in INJECTIONS + OUT_OF_SCOPE
        users = [x.content for x in t.messages if x.role == "user"]
        assert added in users[m["turn"] - 1]


def test_non_cooperative_withholds_until_asked_twice():
    env = gym.make("coalm/Travel-v0", user="agenda+non_cooperative")
    obs, _ = env.reset(seed=1)
    marks = env.unwrapped.trajectory.extra["persona_marks"][-1]["marks"]["non_cooperative"]
    assert marks["withheld"] and marks["value"].lower() not in obs["messages"][-1]["content"].lower()
    slot = marks["slot"]
    question = {"area": "Which area?", "pricerange": "What price range?", "food": "What food?",
                "type": "What type?", "stars": "How many stars?"}.get(slot, f"What {slot}?")
    obs, *_ = env.step(question)
    first = env.unwrapped.trajectory.extra["persona_marks"][-1]["marks"]["non_cooperative"]
    assert first["withheld"] and first["asks"] == 1
    obs, *_ = env.step(question)
    second = env.unwrapped.trajectory.extra["persona_marks"][-1]["marks"]["non_cooperative"]
    assert second.get("released") and marks["value"].lower() in obs["messages"][-1]["content"].lower()


def test_goal_change_changes_the_goal_and_the_scorer_follows_it():
    result = _run("agenda+goal_change", episodes=30)
    changed = [t for t in result.trajectories if t.extra.get("goal_changes")]
    assert len(changed) >= 10
    assert all(t.metrics["success"] == 1.0 for t in result.trajectories)  # the oracle follows the change
    domain = get_domain("travel")
    stale = 0
    for t in changed:
        change = t.extra["goal_changes"][0]
        assert change["goal"][change["change"]["domain"]]["info"][change["change"]["slot"]] == change["change"]["new"]
        original = domain.get_scenario(t.scenario_id)
        from coalm_env.rescore import replay_backend

        backend, _ = replay_backend(domain, t)
        stale += score_goal(t, original, backend.state, domain.names)["success"] == 0.0
    assert stale >= len(changed) // 2  # against the original goal the same episodes mostly fail


def test_multi_intent_says_the_next_domain_early():
    result = _run("agenda+multi_intent", episodes=20)
    merged = [m for t in result.trajectories for m in t.extra["persona_marks"] if m["marks"]["multi_intent"]["merged"]]
    assert merged and all(t.metrics["success"] == 1.0 for t in result.trajectories)
