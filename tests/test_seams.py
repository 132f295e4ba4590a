"""The seams later work plugs into: a lazy user context, ``StepRecord.extra`` (what a generation
backend recorded), :class:`UserWrapper` and :func:`user_view`, and the agent's ``end_conversation``."""

from __future__ import annotations

import json

import pytest

from coalm_env.env import ConversationEnv
from coalm_env.parsing import END_CONVERSATION, format_calls, parse_action
from coalm_env.protocols import UserRequest
from coalm_env.registry import USERS
from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import AgentAction, StepKind, StepRecord, StopReason, ToolCall, Trajectory, UserTurn, to_json
from coalm_env.users import UserWrapper, WrappedState, user_view
from fixture_domain import ENV_ID, FixtureDomain, FixtureUser, fixture_env_id  # noqa: F401 (a pytest fixture)


class CountingDomain(FixtureDomain):
    def __init__(self) -> None:
        super().__init__()
        self.context_calls = 0

    def user_context(self, scenario, backend):
        self.context_calls += 1
        return super().user_context(scenario, backend)


class BlindUser:
    """Never reads ``request.context``: two turns, then it leaves."""

    name = "blind"

    def begin(self, requests):
        return [UserTurn("I want a lamp.", state=0) for _ in requests]

    def respond(self, requests):
        return [UserTurn("Bye.", stop=StopReason.USER_ENDED, state=r.state + 1) if r.state >= 1
                else UserTurn("Still there?", state=r.state + 1) for r in requests]


def _play_replies(env: ConversationEnv, text: str = "How can I help?") -> dict:
    obs, info = env.reset(seed=0)
    while True:
        obs, _, term, trunc, info = env.step(text)
        if term or trunc:
            return info


# -- 1. the user context is lazy ---------------------------------------------------------------
def test_a_user_that_never_reads_context_never_builds_it():
    domain = CountingDomain()
    info = _play_replies(ConversationEnv(domain, user=BlindUser(), env_id=ENV_ID))
    assert info["stop_reason"] == "user_ended" and info["turn"] == 3
    assert domain.context_calls == 0


def test_a_user_that_reads_context_builds_it_once_per_request():
    domain = CountingDomain()
    info = _play_replies(ConversationEnv(domain, user=FixtureUser(patience=2), env_id=ENV_ID))
    assert info["stop_reason"] == "user_gave_up"
    replies = sum(1 for s in info["trajectory"].steps if s.kind == StepKind.REPLY)
    assert domain.context_calls == replies  # once per respond; begin never reads it


def test_request_context_factory_runs_once_and_explicit_values_win():
    calls = []
    request = UserRequest(None, 0, [], context_factory=lambda: calls.append(1) or {"k": 1})
    assert not request.context_built and repr(request) and calls == []  # repr does not build it
    assert request.context == {"k": 1} and request.context is request.context and calls == [1]
    assert request.context_built
    assert UserRequest(None, 0, [], {"given": True}).context == {"given": True}
    late = UserRequest(None, 0, [], context_factory=lambda: pytest.fail("must not run"))
    late.context = "set"
    assert late.context == "set"


# -- 2. StepRecord.extra -----------------------------------------------------------------------
def test_step_record_extra_round_trips_and_old_records_load():
    record = StepRecord(t=0, turn=1, action="hi", kind="reply", reply="hi",
                        extra={"token_ids": [1, 2], "logprobs": [-0.1, -2.5], "latency_s": 0.25})
    assert record.kind is StepKind.REPLY
    back = StepRecord.from_dict(json.loads(to_json(record.to_dict())))
    assert back == record and back.to_dict()["kind"] == "reply"
    old = record.to_dict()
    del old["extra"]
    assert StepRecord.from_dict(old).extra == {}
    with pytest.raises(ValueError):
        StepRecord(t=0, turn=0, action="", kind="nonsense")


@pytest.mark.parametrize("wrap", [
    lambda action, extra: AgentAction(action, extra),
    lambda action, extra: {"content": action, "extra": extra},
])
def test_a_policy_hands_over_extra_with_its_action(wrap):
    env = ConversationEnv(FixtureDomain(), user=FixtureUser(), env_id=ENV_ID)
    env.reset(seed=0)
    extra = {"token_ids": [5, 6, 7], "logprobs": [-0.5, float("nan")], "latency_s": 1.5}
    env.step(wrap('<tool_call>{"name": "find_item", "arguments": {"category": "lamp"}}</tool_call>', extra))
    env.step(wrap("Which one would you like?", {"latency_s": 0.1}))
    first, second = env.trajectory.steps
    assert first.kind == "tool_calls" and first.calls[0].name == "find_item"
    assert first.extra == {"token_ids": [5, 6, 7], "logprobs": [-0.5, "nan"], "latency_s": 1.5}  # json_safe
    assert second.kind == "reply" and second.extra == {"latency_s": 0.1}
    assert "extra" not in json.dumps(first.action)  # the recorded action is the action proper
    back = Trajectory.from_json(env.trajectory.to_json())
    assert [s.extra for s in back.steps] == [first.extra, second.extra]


def test_extra_of_a_rollout_lands_in_the_trajectory_file(tmp_path, fixture_env_id):
    class Timed:
        name = "timed"

        def act(self, observations, infos):
            return [AgentAction("How can I help?", {"latency_s": 0.01, "batch": len(observations)})
                    for _ in observations]

    config = RolloutConfig(fixture_env_id, Timed(), user="fixture", episodes=2, out_dir=str(tmp_path))
    run_rollouts(config, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "trajectories.jsonl").read_text().splitlines()]
    assert all(s["extra"] == {"latency_s": 0.01, "batch": 2} for r in rows for s in r["steps"])


# -- 3. UserWrapper and user_view ----------------------------------------------------------------
class Shouting(UserWrapper):
    """Uppercases what the inner user says; counts its own turns in its own state."""

    def __init__(self, inner):
        super().__init__(inner)
        self.inner_states_seen: list = []

    def initial_state(self, request):
        return 0

    def transform_request(self, request, state):
        self.inner_states_seen.append(request.state)
        return request

    def transform_turn(self, request, turn, state):
        return UserTurn(turn.text.upper(), turn.stop, turn.state, turn.acts, turn.meta), state + 1


def _oracle_episode(env: ConversationEnv, scenario_id: str | None = None) -> dict:
    options = {"scenario_id": scenario_id} if scenario_id else None
    obs, info = env.reset(seed=0, options=options)
    while True:
        obs, _, term, trunc, info = env.step(info["oracle_action"])
        if term or trunc:
            return info


def test_a_wrapper_around_the_agenda_user_plays_travel_to_goal_met():
    plain = ConversationEnv("travel", user="agenda", oracle_hints=True)
    reference = _oracle_episode(plain)
    agenda = USERS.make("agenda")
    wrapper = Shouting(agenda)
    assert wrapper.name == agenda.name  # forwarded
    env = ConversationEnv("travel", user=wrapper, oracle_hints=True)
    info = _oracle_episode(env)
    assert info["stop_reason"] == "goal_met" and info["metrics"]["success"] == 1.0
    said = [m.content for m in info["trajectory"].messages if m.role == "user"]
    assert said and all(text == text.upper() for text in said)
    assert [t.lower() for t in said] == [m.content.lower() for m in reference["trajectory"].messages
                                         if m.role == "user"]
    # the inner user saw exactly its own states: None on begin, then what it returned
    assert wrapper.inner_states_seen[0] is None
    assert all(s is not None and not isinstance(s, WrappedState) for s in wrapper.inner_states_seen[1:])
    assert env._user_state.own == len(said)


def test_wrapper_forwards_capabilities_and_unwraps_state_for_the_inner_user():
    class Inner:
        name = "inner"
        follows_dataset = True

        def __init__(self):
            self.seen = []

        def begin(self, requests):
            return [UserTurn("hi", state="s0") for _ in requests]

        def respond(self, requests):
            self.seen.extend(r.state for r in requests)
            return [UserTurn("again", state=r.state + "+") for r in requests]

    class Named(UserWrapper):
        name = "persona"

        def initial_state(self, request):
            return {"mood": "calm"}

    inner = Inner()
    wrapper = Named(inner)
    assert wrapper.name == "persona" and wrapper.follows_dataset is True
    first = wrapper.begin([UserRequest(None, 0, [])])[0]
    assert first.state == WrappedState("s0", {"mood": "calm"})
    second = wrapper.respond([UserRequest(None, 0, [], state=first.state)])[0]
    assert inner.seen == ["s0"] and second.state == WrappedState("s0+", {"mood": "calm"})
    nested = Named(Named(Inner()))
    turn = nested.respond([UserRequest(None, 0, [], state=nested.begin([UserRequest(None, 0, [])])[0].state)])[0]
    assert turn.state.inner.inner == "s0+"


def test_wrapped_requests_keep_the_context_lazy():
    domain = CountingDomain()
    info = _play_replies(ConversationEnv(domain, user=Shouting(BlindUser()), env_id=ENV_ID))
    assert info["stop_reason"] == "user_ended" and domain.context_calls == 0


def test_user_view_of_a_travel_trajectory_has_no_tool_traffic():
    info = _oracle_episode(ConversationEnv("travel", user="agenda", oracle_hints=True))
    traj = info["trajectory"]
    assert any(m.role == "tool" for m in traj.messages)
    view = user_view(traj.messages, system="You are a traveller.")
    assert view[0] == {"role": "system", "content": "You are a traveller."}
    body = view[1:]
    assert {m["role"] for m in body} == {"user", "assistant"}
    assert [m["content"] for m in body if m["role"] == "assistant"] == \
        [m.content for m in traj.messages if m.role == "user" and m.content]
    agent_replies = [m.content for m in traj.messages if m.role == "assistant" and not m.tool_calls and m.content]
    assert [m["content"] for m in body if m["role"] == "user"] == agent_replies
    text = json.dumps(view)
    assert "tool_call" not in text and "Observation" not in text
    calls = {c.name for m in traj.messages for c in m.tool_calls}
    assert calls and not any(f'{name}(' in text for name in calls)
    assert body[0]["role"] == "assistant"  # the user opened the conversation


# -- 4. the agent ends the conversation -----------------------------------------------------------
@pytest.mark.parametrize("fmt", ["hermes", "react", "json", "python"])
def test_end_conversation_parses_in_every_format(fmt):
    with_message = parse_action(format_calls([ToolCall(END_CONVERSATION, {"message": "Goodbye!"})], fmt))
    assert with_message.ends and with_message.kind == "reply" and with_message.reply == "Goodbye!"
    bare = parse_action(format_calls([ToolCall(END_CONVERSATION, {})], fmt))
    assert bare.ends and bare.kind == StepKind.END and bare.reply is None and not bare.calls
    structured = parse_action([ToolCall(END_CONVERSATION, {})])
    assert structured.ends and structured.kind == StepKind.END


@pytest.mark.parametrize("action", [
    "[find_item(category='lamp'), end_conversation()]", "end_conversation(reason='x')", "end_conversation(message=3)",
])
def test_malformed_end_conversation_is_a_parse_error(action):
    parsed = parse_action(action)
    assert parsed.kind == "error" and not parsed.ends and END_CONVERSATION in parsed.error


def test_the_system_prompt_names_end_conversation():
    env = ConversationEnv("travel", user="agenda")
    obs, _ = env.reset(seed=0)
    assert obs["messages"][0]["role"] == "system" and "end_conversation(" in obs["messages"][0]["content"]
    assert "end_conversation(" in obs["text"]
    assert END_CONVERSATION not in {t["function"]["name"] for t in json.loads(obs["tools"])}


def test_travel_agent_ends_after_the_goal_and_is_scored_like_any_ending():
    env = ConversationEnv("travel", user="agenda", oracle_hints=True)
    obs, info = env.reset(seed=0)
    actions = []
    while True:  # the oracle's episode: its last action is the reply after which the user leaves happy
        actions.append(info["oracle_action"])
        obs, _, term, trunc, info = env.step(actions[-1])
        if term or trunc:
            break
    assert info["stop_reason"] == "goal_met"
    last_reply = parse_action(actions[-1]).reply
    env.reset(seed=0)
    for action in actions[:-1]:
        env.step(action)
    end = {"name": END_CONVERSATION, "arguments": {"message": last_reply}}
    obs, reward, term, trunc, info = env.step(f"<tool_call>{json.dumps(end)}</tool_call>")
    assert term and not trunc and info["stop_reason"] == StopReason.AGENT_ENDED.value
    assert reward == 1.0 and info["metrics"]["success"] == 1.0
    last = info["trajectory"].steps[-1]
    assert last.kind == "reply" and last.reply == last_reply and last.user_reply is None
    assert info["trajectory"].messages[-1].role == "assistant" and not info["trajectory"].messages[-1].tool_calls
    assert env.step("hello?")[2] is True  # over


def test_fixture_agent_ends_without_a_message_and_fails_an_unmet_goal():
    env = ConversationEnv(FixtureDomain(), user=FixtureUser(), env_id=ENV_ID)
    env.reset(seed=0)
    obs, reward, term, trunc, info = env.step("<tool_call>{\"name\": \"end_conversation\", \"arguments\": {}}</tool_call>")
    assert term and info["stop_reason"] == "agent_ended" and reward == 0.0
    traj = info["trajectory"]
    assert traj.steps[-1].kind == StepKind.END and traj.steps[-1].calls == []
    assert traj.messages[-1].tool_calls[0].name == END_CONVERSATION
    assert info["metrics"]["tool_calls"] == 0.0 and info["metrics"]["parse_errors"] == 0.0
    back = Trajectory.from_json(traj.to_json())
    assert back.stop_reason is StopReason.AGENT_ENDED and back.steps[-1].kind is StepKind.END


@pytest.mark.data
def test_bfcl_agent_ends_after_the_last_turn_and_the_checker_ignores_the_end_call():
    pytest.importorskip("bfcl_eval")
    from conftest import need_data

    need_data("bfcl")
    env = ConversationEnv("bfcl", category="base", oracle_hints=True, env_id="coalm/BFCL-MultiTurn-v0")
    obs, info = env.reset(seed=0, options={"scenario_id": "multi_turn_base_0"})
    official = {t["function"]["name"] for t in json.loads(obs["tools"])}
    assert END_CONVERSATION not in official and "end_conversation(" in obs["messages"][0]["content"]
    turns = len(env.scenario.user_turns)
    while True:  # oracle until its reply to the last user turn, which becomes end_conversation()
        action = info["oracle_action"]
        if info["turn"] == turns and parse_action(action).kind == "reply":
            break
        obs, _, term, trunc, info = env.step(action)
        assert not (term or trunc)
    obs, reward, term, trunc, info = env.step("[end_conversation()]")
    assert term and info["stop_reason"] == "agent_ended"
    assert info["metrics"]["success"] == 1.0 and info["metrics"]["bfcl_turn_acc"] == 1.0 and reward == 1.0
    assert all(c.name != END_CONVERSATION for s in info["trajectory"].steps for c in s.calls)
