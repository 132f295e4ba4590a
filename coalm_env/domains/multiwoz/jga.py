"""Turn-level joint goal accuracy (JGA) of the dialogue state an agent reports, against gold belief states.

The agent's state at each of its replies is the backend's dialogue-state table as its
``update_state(domain, slot_values)`` calls wrote it so far (CoALM's DST-as-API; each successful call
returns the domain's row of that table, :func:`~coalm_env.domains.multiwoz.apis.tracked_state` reads all of
it). An agent that never calls ``update_state`` is scored on the state implied by its calls: the arguments of
its last search per domain, plus its booking slots and taxi booking.

A turn counts when every one of the 30 MultiWOZ DST slots agrees, after normalisation
(:func:`~coalm_env.domains.multiwoz.vocab.value_key`: ``dontcare`` forms, times to ``HH:MM``, name variants
and ``the``/punctuation, ``guest house``/``guesthouse``, ``free`` wifi = ``yes``); a gold value with 2.4's
alternatives (``a|b``, ``a>b``) accepts any of them. Only turns where the episode follows the gold dialogue
are scored: the user turns must be the gold user turns (the replay user), else there is no JGA.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from coalm_env.domains.multiwoz.dialogues import DST_SLOTS
from coalm_env.domains.multiwoz.apis import UPDATE_STATE
from coalm_env.domains.multiwoz.values import alternatives
from coalm_env.domains.multiwoz.vocab import value_key
from coalm_env.types import StepRecord, Trajectory

__all__ = ["slot_equal", "state_equal", "reported_states", "state_after_steps", "aligned_turns", "joint_goal_accuracy"]

State = dict[str, dict[str, str]]


def slot_equal(slot: str, predicted: str | None, gold: str | None) -> bool:
    """Whether a predicted slot value matches the gold one (either may be absent)."""
    pred = value_key(slot, predicted) if predicted else ""
    options = {value_key(slot, g) for g in alternatives(gold)} if gold else {""}
    return pred in (options or {""})


def state_equal(predicted: Mapping[str, Mapping[str, str]], gold: Mapping[str, Mapping[str, str]]) -> bool:
    """Joint match over the 30 DST slots."""
    for domain, slots in DST_SLOTS.items():
        p, g = predicted.get(domain, {}), gold.get(domain, {})
        if not all(slot_equal(s, p.get(s), g.get(s)) for s in slots):
            return False
    return True


def _apply_written(state: State, value: object) -> None:
    """The row of the state table an ``update_state`` call wrote (its result: ``{"domain", "state"}``)."""
    if isinstance(value, Mapping) and value.get("domain") in DST_SLOTS and isinstance(value.get("state"), Mapping):
        state[value["domain"]] = {str(k): str(v) for k, v in value["state"].items()}


def _apply_call(state: State, name: str, arguments: Mapping) -> None:
    domain = name.partition("_")[2]
    if domain not in DST_SLOTS:
        return
    slots = DST_SLOTS[domain]
    if name.startswith("find_"):
        kept = {k: v for k, v in state.get(domain, {}).items() if k in ("people", "day", "time", "stay")
                and not (domain == "train" and k == "day")}
        state[domain] = {**kept, **{k: str(v) for k, v in arguments.items() if k in slots}}
    elif name.startswith("book_"):
        state.setdefault(domain, {}).update({k: str(v) for k, v in arguments.items() if k in slots})


def state_after_steps(trajectory: Trajectory) -> Iterator[tuple[StepRecord, State]]:
    """Each step with the agent's state after it (see the module docstring; the state is a fresh copy)."""
    tracked = any(c.name == UPDATE_STATE and r.ok for s in trajectory.steps for c, r in zip(s.calls, s.results))
    state: State = {}
    for step in trajectory.steps:
        for call, result in zip(step.calls, step.results):
            if not result.ok or not isinstance(call.arguments, Mapping):
                continue
            if tracked and call.name == UPDATE_STATE:
                _apply_written(state, result.value)
            elif not tracked:
                _apply_call(state, call.name, call.arguments)
        yield step, {d: dict(v) for d, v in state.items() if v}


def reported_states(trajectory: Trajectory) -> list[State]:
    """The agent's state at each of its replies (see the module docstring)."""
    return [state for step, state in state_after_steps(trajectory) if step.kind == "reply"]


def aligned_turns(trajectory: Trajectory, gold_user_turns: Sequence[str]) -> int:
    """How many leading user turns of the episode are the gold user turns (0 unless replayed)."""
    said = [m.content for m in trajectory.messages if m.role == "user"]
    n = 0
    for mine, gold in zip(said, gold_user_turns):
        if " ".join(mine.split()) != " ".join(gold.split()):
            break
        n += 1
    return n


def joint_goal_accuracy(trajectory: Trajectory, gold_user_turns: Sequence[str],
                        gold_states: Sequence[Mapping]) -> dict[str, float]:
    """``{"jga": ..., "jga_turns": n}`` over the turns that follow the gold dialogue ({} when none do)."""
    n = min(aligned_turns(trajectory, gold_user_turns), len(gold_states))
    if n == 0:
        return {}
    states = reported_states(trajectory)[:n]  # a turn the agent never answered counts as wrong
    hits = sum(state_equal(p, g) for p, g in zip(states, gold_states))
    return {"jga": hits / n, "jga_turns": float(n)}
