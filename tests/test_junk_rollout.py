"""A policy that emits hostile outputs cannot crash a rollout run or corrupt its files."""

from __future__ import annotations

import json

from coalm_env.rollout import RolloutConfig, run_rollouts
from coalm_env.types import ToolCall

_DEEP: list = []
_cursor = _DEEP
for _ in range(10_000):
    _cursor.append([])
    _cursor = _cursor[0]

_JUNK = [
    '<tool_call>{"name": "find_restaurant", "arguments": {"name": "\\ud800"}}</tool_call>',
    '{"name": "find_hotel", "arguments": {"stars": NaN}}',
    [ToolCall("find_train", {"day": _DEEP})],
    "\ud800 a reply with a lone surrogate",
]


class JunkPolicy:
    name = "junk"

    def __init__(self):
        self.n = 0

    def act(self, observations, infos):
        out = []
        for _ in observations:
            out.append(_JUNK[self.n % len(_JUNK)])
            self.n += 1
        return out


def test_hostile_policy_outputs_are_recorded_as_strict_json(tmp_path):
    result = run_rollouts(RolloutConfig("coalm/Travel-v0", JunkPolicy(), "agenda", episodes=4, seed=0, out_dir=tmp_path), progress=False)
    assert result.summary["episodes"] == 4 and result.summary["metrics"]["internal_errors"] == 0
    lines = (tmp_path / "trajectories.jsonl").read_bytes().decode("utf-8").splitlines()
    assert len(lines) == 4
    for line in lines:
        json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))  # no NaN/Infinity
