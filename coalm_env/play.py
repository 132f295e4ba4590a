"""A person in either seat of the env loop: :class:`HumanAgent` (types replies and tool calls) and
:class:`HumanUser` (types the user's turns), and :func:`play`, which runs one episode with
``ConversationEnv.reset``/``step`` and saves it like any rollout (``trajectories.jsonl``, ``summary.json``,
``config.json``).

As the agent, a line is an action in any format the env's one parser reads: plain text is a reply,
``find_restaurant(area="centre")`` (or a list of such calls) calls tools, ``/tools`` lists them with their
signatures, ``/quit`` ends the conversation (``end_conversation()``: stop reason ``agent_ended``). As the
user, the scenario's goal is shown first; a line is the user's turn, ``/bye`` ends it satisfied
(``goal_met``) and ``/quit`` ends it unsatisfied (``user_gave_up``). End of input counts as ``/quit``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError
from coalm_env.protocols import UserRequest, oracle_hints_for
from coalm_env.render import END_CONVERSATION_TOOL, messages_from_observation, render_tools
from coalm_env.types import StopReason, Trajectory, UserTurn

__all__ = ["HumanAgent", "HumanUser", "play", "USER_COMMANDS"]

Reader = Callable[[str], str]
Writer = Callable[[str], None]

#: what the person playing the user types to end the conversation, and the stop reason it records
USER_COMMANDS = {"/bye": StopReason.GOAL_MET, "/quit": StopReason.USER_GAVE_UP}


def _read(read: Reader, prompt: str) -> str:
    try:
        return read(prompt).strip()
    except EOFError:
        return "/quit"


class HumanAgent:
    """A policy whose actions a person types (one episode at a time)."""

    name = "human"

    def __init__(self, read: Reader = input, write: Writer = print):
        self.read, self.write = read, write
        self.seen = 0

    def tools_text(self, obs: dict[str, Any]) -> str:
        return render_tools([*json.loads(obs["tools"]), END_CONVERSATION_TOOL])

    def _show_new(self, obs: dict[str, Any]) -> None:
        messages = messages_from_observation(obs)
        if self.seen == 0:
            self.write("Tools (call them as name(arg=value, ...)):\n" + self.tools_text(obs))
        for msg in messages[self.seen:]:
            if msg.role == "user":
                self.write(f"user: {msg.content}")
            elif msg.role == "tool":
                self.write(f"[{msg.name}] -> {msg.content}")
            elif msg.role == "system" and self.seen:  # an error observation (a parse error)
                self.write(f"[system] {msg.content}")
        self.seen = len(messages)

    def act(self, observations: Sequence[dict[str, Any]], infos: Sequence[dict[str, Any]]) -> list[str]:
        actions = []
        for obs in observations:
            self._show_new(obs)
            line = _read(self.read, "agent> ")
            while line in ("", "/tools"):
                if line == "/tools":
                    self.write(self.tools_text(obs))
                line = _read(self.read, "agent> ")
            actions.append("end_conversation()" if line == "/quit" else line)
        return actions


class HumanUser:
    """A user simulator whose turns a person types; it sees the goal and the agent's replies."""

    name = "human"

    def __init__(self, read: Reader = input, write: Writer = print, goal_text: Callable[[Any], str] | None = None):
        self.read, self.write, self.goal_text = read, write, goal_text

    def _turn(self) -> UserTurn:
        line = _read(self.read, "user> ")
        while not line:
            line = _read(self.read, "user> ")
        if line in USER_COMMANDS:
            return UserTurn(text="", stop=USER_COMMANDS[line])
        return UserTurn(text=line)

    def begin(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        out = []
        for request in requests:
            goal = self.goal_text(request.scenario) if self.goal_text else json.dumps(request.scenario.goal, indent=1)
            self.write(f"Your goal ({request.scenario.id}):\n{goal}\n(/bye: done, goal met; /quit: give up)")
            out.append(self._turn())
        return out

    def respond(self, requests: Sequence[UserRequest]) -> list[UserTurn]:
        out = []
        for request in requests:
            self.write(f"agent: {request.agent_message.content if request.agent_message else ''}")
            out.append(self._turn())
        return out


def _goal_text(domain: Any) -> Callable[[Any], str] | None:
    text_of = getattr(domain, "user_goal_text", None)
    return text_of if callable(text_of) else None


def play(env_id: str, seat: str, *, policy: str = "rule", user: str | None = None, seed: int = 0,
         split: str = "test", scenario_id: str | None = None, out_dir: str | Path | None = None,
         env_options: dict[str, Any] | None = None, read: Reader = input, write: Writer = print) -> Trajectory:
    """Play one episode of ``env_id`` with a person in ``seat`` (``"agent"`` or ``"user"``); the other
    seat is ``policy`` (the agent) or ``user`` (a user spec; default the domain's). Returns the scored
    trajectory, also written under ``out_dir`` like a one-episode rollout."""
    from coalm_env.registry import POLICIES
    from coalm_env.resolve import make_env
    from coalm_env.rollout import episode_plan, episode_seed

    if seat not in ("agent", "user"):
        raise ConfigError(f"--as must be 'agent' or 'user', got {seat!r}")
    agent = HumanAgent(read, write) if seat == "agent" else POLICIES.make(policy)
    privileged = bool(getattr(agent, "privileged", False))
    env = make_env(env_id, user=user if seat == "agent" else None, oracle_hints=oracle_hints_for(agent), split=split,
                   **(env_options or {}))
    if seat == "user":
        env.user, env.user_spec = HumanUser(read, write, _goal_text(env.domain)), "human"
    options = {"scenario_id": scenario_id} if scenario_id else episode_plan(env.domain, split, 1, seed)[0]
    obs, info = env.reset(seed=episode_seed(seed, 0), options=options)
    done = False
    while not done:
        info = {**info, "episode": 0, **({"scenario": env.scenario} if privileged else {})}
        obs, _reward, terminated, truncated, info = env.step(agent.act([obs], [info])[0])
        done = terminated or truncated
    traj = info["trajectory"]
    traj.policy = "human" if seat == "agent" else policy
    traj.extra.update(episode=0, human_seat=seat)
    write(f"episode over: {traj.stop_reason.value if traj.stop_reason else 'none'}, "
          f"success {traj.metrics.get('success', 0.0):.0f}")
    if out_dir is not None:
        _save(Path(out_dir), traj, dict(env_id=env_id, seat=seat, policy=traj.policy, user=traj.user, seed=seed,
                                        split=split, scenario_id=traj.scenario_id, env_options=env_options or {}))
    return traj


def _save(path: Path, traj: Trajectory, config: dict[str, Any]) -> None:
    from coalm_env.rollout import summarize

    path.mkdir(parents=True, exist_ok=True)
    (path / "trajectories.jsonl").write_text(traj.to_json() + "\n", encoding="utf-8")
    summary = summarize([traj], env_id=config["env_id"], policy=config["policy"], user=config["user"],
                        seed=config["seed"], split=config["split"])
    for name, data in (("summary.json", summary), ("config.json", config)):
        (path / name).write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
