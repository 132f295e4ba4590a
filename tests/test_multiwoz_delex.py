"""MultiWOZ: an agent hands over its delexicalised reply (``AgentAction(text, extra={"delex": ...})``) and
``mwz_inform``/``mwz_success`` read it as mwzeval reads its delexicalised input, while the user and the
entity metrics get the text. Gold replay on real test dialogues where the wizard's text and the 2.1 span
annotation differ."""

from __future__ import annotations

import json

import pytest
from conftest import need_data

from coalm_env import limits
from coalm_env.domains import get_domain
from coalm_env.domains.multiwoz import mwzeval_def as mwzdef
from coalm_env.domains.multiwoz.replay import gold_replay_delex
from coalm_env.env import ConversationEnv
from coalm_env.rescore import rescore
from coalm_env.types import AgentAction, Trajectory

pytestmark = pytest.mark.data

# mwzeval's own verdicts (inform, success) on these test dialogues, given the dataset's delexicalised turns
# and the replayed 2.4 states: obtained by running mwzeval (github.com/Tomiinek/MultiWOZ_Evaluation, its
# get_dialog_success, in a venv with its requirements) through experiments/mwzeval_parity.py on 2026-12-02
# (experiments/results/mwzeval_parity/per_dialogue.jsonl). In each the wizard's text holds a value the span
# annotation leaves as text, so the text-reading path disagrees with mwzeval.
MWZEVAL = {
    "MUL0003": (0, 0),  # a hotel name in the booking turn, unannotated
    "MUL0818": (1, 0),  # postcode "cb23qf" unannotated
    "MUL0744": (1, 0),  # a train reference unannotated
    "MUL1159": (1, 0),  # the phone annotated as an address
}


@pytest.fixture(scope="module")
def mwz():
    need_data("multiwoz24")
    return get_domain("multiwoz")


def _play(mwz, did, delex=True, mangle=None):
    """A gold-replay episode through ``step()``: the policy's actions, the delex dropped (``delex=False``)
    or replaced by ``mangle(text, delex)``'s action."""
    from policies.gold_replay import GoldReplayPolicy

    env = ConversationEnv(mwz, user="replay", oracle_hints=True, max_turns=40)
    _obs, info = env.reset(seed=0, options={"scenario": mwz.get_scenario(did)})
    policy, infos, done = GoldReplayPolicy(delex=delex), [], False
    while not done:
        action = policy.act([{}], [info])[0]
        if mangle is not None and isinstance(action, AgentAction):
            action = mangle(action.action, action.extra["delex"])
        _obs, _r, term, trunc, info = env.step(action)
        infos.append(info)
        done = term or trunc
    return env.trajectory, infos


@pytest.mark.parametrize("did", sorted(MWZEVAL))
def test_gold_replay_with_delex_gives_mwzeval_verdict(mwz, did):
    delex, _ = _play(mwz, did)
    text, _ = _play(mwz, did, delex=False)
    m = delex.metrics
    assert (m["mwz_inform"], m["mwz_success"]) == MWZEVAL[did]
    assert m["mwz_delex_turns"] == 1.0 and text.metrics["mwz_delex_turns"] == 0.0
    # the text-reading path sees the unannotated value: another verdict
    assert (text.metrics["mwz_inform"], text.metrics["mwz_success"]) != MWZEVAL[did]
    # the user got the same text, and the entity metrics (which read the text) are unchanged
    assert [x.to_dict() for x in delex.messages] == [x.to_dict() for x in text.messages]
    for key in ("inform", "success", "book", "jga", "book_rate"):
        assert delex.metrics.get(key) == text.metrics.get(key), key


def test_the_delex_is_what_mwz_metrics_read_not_the_text(mwz):
    # MUL0818 turn 3: the text gives the postcode (mwzeval's success needs it); its delex has none
    traj, _ = _play(mwz, "MUL0818")
    replies = [s for s in traj.steps if s.kind == "reply"]
    turn = replies[3]
    assert "cb23qf" in turn.reply and "[value_postcode]" not in turn.extra["delex"]
    scenario = mwz.get_scenario("MUL0818")  # the dataset's turn with its span_info as placeholders
    assert turn.extra["delex"] == mwzdef.delexicalise(scenario.meta["system_turns"][3], scenario.meta["system_spans"][3])
    assert traj.metrics["mwz_success"] == 0.0
    # the same episode with the postcode placeholder put into that delex: success, read from the delex alone
    fixed, _ = _play(mwz, "MUL0818", mangle=lambda text, delex: AgentAction(
        text, extra={"delex": delex + " [value_postcode]" if "cb23qf" in text else delex}))
    assert fixed.metrics["mwz_success"] == 1.0 and fixed.metrics["mwz_delex_turns"] == 1.0
    # and a delex carrying no tokens at all, the text still naming everything: nothing offered
    empty, _ = _play(mwz, "MUL0818", mangle=lambda text, delex: AgentAction(text, extra={"delex": "Okay ."}))
    assert empty.metrics["mwz_inform"] == 0.0 and empty.metrics["inform"] == 1.0


@pytest.mark.parametrize(("value", "why"), [
    (123, "a int, not a string"),
    (["[restaurant_name]"], "a list, not a string"),
    ({"delex": "x"}, "a dict, not a string"),
    (None, "a NoneType, not a string"),
    (object(), "a object, not a string"),
    ("   ", "empty"),
    ("[value_phone] " * 2000, "characters long; at most 20000 are read"),
])
def test_a_malformed_delex_is_ignored_with_a_warning(mwz, value, why):
    seen = []

    def mangle(text, _delex):
        seen.append(text)
        return AgentAction(text, extra={"delex": value, "latency_s": 0.1})

    traj, infos = _play(mwz, "MUL0818", mangle=mangle)
    replies = [s for s in traj.steps if s.kind == "reply"]
    assert replies and all("delex" not in s.extra and why in s.extra["delex_ignored"] for s in replies)
    assert all(s.extra["latency_s"] == 0.1 for s in replies)  # the rest of extra is kept
    warned = [i for i in infos if "delex_warning" in i]
    assert warned and all(why in i["delex_warning"] for i in warned)
    # read as text: the text-reading verdict, the replies went to the user as written
    assert traj.metrics["mwz_delex_turns"] == 0.0 and traj.metrics["mwz_success"] == 1.0
    assert [m.content for m in traj.messages if m.role == "assistant" and m.content] == seen
    assert json.loads(json.dumps(traj.to_dict()))  # the trajectory stays strict JSON


def test_a_dict_action_hands_over_a_delex_and_a_good_step_clears_the_warning(mwz):
    env = ConversationEnv(mwz, user="replay", max_turns=40)
    env.reset(options={"scenario": mwz.get_scenario("MUL0818")})
    _o, _r, _t, _tr, info = env.step(AgentAction("Hello .", extra={"delex": 5}))
    assert "not a string" in info["delex_warning"]
    _o, _r, _t, _tr, info = env.step({"role": "assistant", "content": "The Cow Pizza Kitchen and Bar .",
                                      "extra": {"delex": "[restaurant_name] ."}})
    assert "delex_warning" not in info
    assert env.trajectory.steps[-1].extra == {"delex": "[restaurant_name] ."}
    assert mwzdef.step_delex(env.trajectory.steps[-1]) == "[restaurant_name] ."
    assert mwzdef.step_delex(env.trajectory.steps[0]) is None


def test_rescoring_a_trajectory_gives_the_same_mwz_metrics(mwz):
    for did in ("MUL0818", "MUL0003"):
        traj, _ = _play(mwz, did)
        loaded = Trajectory.from_json(json.dumps(traj.to_dict()))
        assert any("delex" in s.extra for s in loaded.steps)
        metrics, mismatches = rescore(loaded, mwz)
        assert mismatches == 0
        for key in ("mwz_inform", "mwz_success", "mwz_delex_turns", "inform", "success"):
            assert metrics[key] == traj.metrics[key], (did, key)
        # an edited file whose delex is no longer a string is read as text, as the env would have
        for step in loaded.steps:
            if "delex" in step.extra:
                step.extra["delex"] = ["not", "text"]
        edited, _ = rescore(loaded, mwz)
        text, _ = _play(mwz, did, delex=False)
        assert edited["mwz_delex_turns"] == 0.0
        assert (edited["mwz_inform"], edited["mwz_success"]) == (text.metrics["mwz_inform"], text.metrics["mwz_success"])


def test_delex_cap_is_the_documented_limit():
    assert limits.delex_problem("x" * limits.MAX_DELEX_CHARS) is None
    assert limits.delex_problem("x" * (limits.MAX_DELEX_CHARS + 1)) is not None
    assert limits.MAX_DELEX_CHARS == 20_000


def test_oracle_gold_replay_hands_over_the_delex(mwz):
    gold = get_domain("multiwoz", oracle="gold_replay")
    env = ConversationEnv(gold, user="replay", oracle_hints=True, max_turns=40)
    _obs, info = env.reset(options={"scenario": gold.get_scenario("MUL0744")})
    done = False
    while not done:
        action, hints = info["oracle_action"], info["oracle_hints"]
        if isinstance(hints["gold_replay"], list):  # a turn's calls: text, no delex
            assert isinstance(action, str) and "gold_replay_delex" not in hints
        else:
            assert isinstance(action, AgentAction) and action.action == hints["gold_replay"]
            assert action.extra == {"delex": gold_replay_delex(env.scenario, env.trajectory.messages)}
            assert hints["gold_replay_delex"] == action.extra["delex"]
        _obs, _r, term, trunc, info = env.step(action)
        done = term or trunc
    m = env.trajectory.metrics
    assert (m["mwz_inform"], m["mwz_success"]) == MWZEVAL["MUL0744"] and m["mwz_delex_turns"] == 1.0
