"""The compact CRA renderer's small-model options: ``results=N`` (tool results summarised) and ``preamble``."""

import json

from coalm_env.render_coalm import react_prompt, summarise_result
from coalm_env.types import Message

OBS = json.dumps({"count": 3, "results": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})


def test_summarise_result_keeps_count_and_first_entries():
    assert json.loads(summarise_result(OBS, 1)) == {"count": 3, "results": [{"name": "a"}]}
    assert summarise_result(OBS, None) == OBS and summarise_result(OBS, 5) == OBS
    assert summarise_result("Error: bad call", 1) == "Error: bad call"


def test_results_and_preamble_in_the_prompt():
    msgs = [Message(role="system", content="You help."), Message(role="user", content="hi"),
            Message(role="tool", content=OBS)]
    tools = [{"type": "function",
              "function": {"name": "find", "description": "d", "parameters": {"type": "object", "properties": {}}}}]
    full = react_prompt(msgs, tools, compact=True, results=1)
    bare = react_prompt(msgs, tools, compact=True, results=1, preamble=False)
    assert '"name": "b"' not in full and "[Available tools]" in full
    assert bare.startswith("[Conversation history]") and bare == full[full.index("[Conversation history]"):]
