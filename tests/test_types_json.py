"""Every core type round-trips through JSON; a real episode's trajectory does too."""

from __future__ import annotations

import json

from fixture_domain import make_env

from coalm_env.types import Gold, GoldCall, Message, Scenario, StepRecord, StopReason, ToolCall, ToolResult, Trajectory


def _trajectory() -> Trajectory:
    call = ToolCall("find_hotel", {"area": "north", "stars": [3, 4], "extra": {"é": None}}, id="c1")
    return Trajectory(
        env_id="coalm/X-v0",
        scenario_id="s1",
        domain="x",
        split="test",
        messages=[
            Message("system", "sys"),
            Message("user", "hi 😀"),
            Message("assistant", "thinking", tool_calls=[call]),
            Message("tool", '{"results": []}', tool_call_id="c1", name="find_hotel"),
        ],
        steps=[
            StepRecord(0, 1, "Action: find_hotel(area='north')", "tool_calls", [call],
                       [ToolResult.success({"results": []}), ToolResult.failure("not_found", "none", key="k")]),
            StepRecord(1, 1, {"content": "hello"}, "error", parse_error="bad", reward=1.0),
        ],
        stop_reason=StopReason.USER_GAVE_UP,
        metrics={"success": 0.0, "inform": 1.0},
        reward=0.0,
        seeds={"reset": 3, "backend": 4, "user": 5},
        version="0.1.0",
        user="agenda:patience=3",
        policy="rule",
        options={"level": 2},
        errors=[{"where": "api:x", "error": "E"}],
        extra={"episode": 4},
    )


def test_trajectory_round_trip() -> None:
    traj = _trajectory()
    again = Trajectory.from_json(traj.to_json())
    assert again == traj
    assert again.to_json() == traj.to_json()
    assert json.loads(traj.to_json())["stop_reason"] == "user_gave_up"


def test_scenario_round_trip() -> None:
    sc = Scenario("s", "d", "train", {"hotel": {"info": {"area": "north"}}}, ["find_hotel"],
                  Gold([GoldCall("book_hotel", {"people": 2}, {"name": [0, "results.0.name"]})], {"t": {}},
                       {"hotel": ["phone"]}, {"k": 1}), {"t": {"a": {}}}, ["hi"], {"source": "gen"})
    assert Scenario.from_dict(json.loads(json.dumps(sc.to_dict()))) == sc


def test_message_openai_shape() -> None:
    msg = Message("assistant", "", tool_calls=[ToolCall("f", {"a": 1}, id="x")])
    expected = [{"id": "x", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]
    assert msg.to_openai()["tool_calls"] == expected
    assert Message.from_dict(msg.to_dict()) == msg


def test_played_episode_round_trips() -> None:
    env = make_env(oracle_hints=True)
    _, info = env.reset(seed=5)
    done = False
    while not done:
        _, _, term, trunc, info = env.step(info["oracle_action"])
        done = term or trunc
    traj = info["trajectory"]
    assert traj.metrics["success"] == 1.0
    assert Trajectory.from_json(traj.to_json()) == traj
