"""Self-checks of the API-Bank domain, kept out of the domain because they run the env loop (used by
the tests and ``experiments/benchmarks/apibank_oracle.py``).

* :func:`gold_call_verdicts`: each gold call, run on the state the gold calls before it leave, judged
  against the output the dataset records (the gold-call pass rate).
* :func:`official_samples`: the same verdicts over the official evaluator's samples (a call is
  scored twice when two API turns are adjacent).
* :func:`retriever_hits`: ToolSearcher's BM25 ranking (no recordings) of description queries and of
  the dataset's gold keywords.
* :func:`oracle_rollouts`: the oracle's metrics through :class:`~coalm_env.env.ConversationEnv`.
"""

from __future__ import annotations

from typing import Any

from coalm_env import data
from coalm_env.backend.graph import BackendSession
from coalm_env.domains.apibank.graph import build_graph, tool_searcher
from coalm_env.domains.apibank.resources import base_store
from coalm_env.domains.apibank.retriever import retrieved_names
from coalm_env.domains.apibank.samples import LEVEL_DIRS, load_scenarios
from coalm_env.domains.apibank.scoring import check_call
from coalm_env.domains.apibank.session import run_on_copy
from coalm_env.types import ToolCall

__all__ = ["gold_call_verdicts", "official_samples", "retriever_hits", "oracle_rollouts"]


def gold_call_verdicts(level: int) -> list[dict[str, Any]]:
    """``{scenario, index, name, ok, got}`` for every gold call of ``level``."""
    graph, store = build_graph(level), base_store()
    out = []
    for scenario in load_scenarios(level):
        view = store.view()
        for index, step in enumerate(scenario.meta["steps"]):
            call = ToolCall(name=step["name"], arguments=dict(step["input"]))
            got = run_on_copy(graph, store, view, call)
            recorded = {"api_name": step["name"], "input": step["input"], "output": step["output"],
                        "exception": step["exception"]}
            ok = check_call(step["name"], got, recorded, level)
            out.append({"scenario": scenario.id, "index": index, "name": step["name"], "ok": ok, "got": got})
            BackendSession(graph, view).call(call)
    return out


def official_samples(level: int) -> tuple[int, int]:
    """``(passed, total)`` over the official API samples of level 1 or 2 (adjacent calls count twice)."""
    verdicts = {(v["scenario"], v["index"]): v["ok"] for v in gold_call_verdicts(level)}
    passed = total = 0
    for scenario in load_scenarios(level):
        turns = data.read_jsonl("apibank", "lv1-lv2-samples", LEVEL_DIRS[level], scenario.meta["file"])
        api_positions = [i for i, t in enumerate(turns) if t["role"] == "API"]
        for k, position in enumerate(api_positions):
            shown = [k] + ([k + 1] if position + 1 in api_positions else [])
            for index in shown:
                total += 1
                passed += verdicts[(scenario.id, index)]
    return passed, total


def retriever_hits(level: int, k: int = 5) -> dict[str, tuple[int, int, int]]:
    """``{"descriptions": (top1, topk, n), "keywords": (top1, topk, n)}`` for BM25 alone."""
    searcher = tool_searcher(level)
    desc = [(d["description"], name) for name, d in searcher.descriptions.items()]
    keywords = []
    for lv in ((2,) if level in (1, 2) else (3,)):
        for scenario in load_scenarios(lv):
            for step in scenario.meta["steps"]:
                if step["name"] == "ToolSearcher":
                    names = retrieved_names(step["output"])
                    target = ([n for n in names if n != "GetUserToken"] or names)[-1]
                    keywords.append((step["input"]["keywords"], target))
    return {"descriptions": _hits(searcher, desc, k), "keywords": _hits(searcher, keywords, k)}


def _hits(searcher, queries: list[tuple[str, str]], k: int) -> tuple[int, int, int]:
    top1 = topk = 0
    for query, target in queries:
        ranked = [name for name, _ in searcher.index.rank(query, k)]
        top1 += bool(ranked) and ranked[0] == target
        topk += target in ranked
    return top1, topk, len(queries)


def oracle_rollouts(level: int, user: str | None = None, limit: int | None = None) -> list[dict[str, float]]:
    """The oracle's final metrics on every scenario of ``level`` (first ``limit`` ones if given)."""
    from coalm_env.env import ConversationEnv

    env = ConversationEnv(domain="apibank", level=level, user=user, oracle_hints=True, max_turns=40)
    rows = []
    for scenario in env.domain.scenarios("test")[:limit]:
        _, info = env.reset(seed=0, options={"scenario_id": scenario.id})
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(info["oracle_action"])
            done = terminated or truncated
        rows.append({**info["metrics"], "stop_reason": info["stop_reason"]})
    return rows
