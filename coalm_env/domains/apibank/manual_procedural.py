"""The manual of ``coalm/APIBank-Procedural-v0`` (composed with the shared sections by :mod:`coalm_env.manual`)."""

from coalm_env.manual import oracle_example

MANUAL = (
    """
## Description
Generated API-Bank tasks (issue 11): plans drawn from the level's API graph (token flows from
``GetUserToken``/``RegisterUser``, create-then-query-then-modify chains on one record, appointment
ids, level-2 retrieval with ``ToolSearcher`` first, the level-3 data chains such as
``Geocoding -> GetWeatherForCoordinates -> ClothingRecommendation``), bound to the official initial
databases and executed on a fresh backend for the gold results and end state. Splits ``train``,
``val``, ``test`` are disjoint by plan skeleton; no task equals a benchmark dialogue. Scenario ``i``
of a split is a pure function of (generator version, options, seed, i) and is built on first use.
See :mod:`coalm_env.domains.apibank.procedural`. Needs the dataset: ``coalm-env data fetch apibank
--from DIR``.

## Reward
0 on every step; at the end ``success`` in {0, 1}: **every gold API call reproduced** under the
API-Bank per-API rules (``calls_success``) **and every infeasible sub-goal declined**
(``infeasible_declined``: a reply saying it cannot). ``info["metrics"]`` also has
``results_told`` (share of the read results the user had to be told that the replies contain),
``api_call_accuracy``, ``end_state_match`` and the reply text metrics of ``coalm/APIBank-v0``.

## Episode end
``apibank_goal`` ends ``goal_met`` once every gold call is reproduced, or ``user_gave_up`` when its
patience runs out; ``apibank_replay`` plays the generated turns in order and ends ``user_ended``.

## Arguments
Domain options:

- ``level``: ``int`` = ``1``: 1 (plan APIs plus distractors described), 2 or 3 (ToolSearcher first).
- ``seed``: ``int`` = ``0``: generator seed.
- ``n_calls``: ``int`` = ``3``: API calls per plan (retrievals not counted).
- ``max_depth``: ``int | None`` = ``None``: longest data-dependency chain (0: independent calls).
- ``n_user_turns``: ``int`` = ``1``: request turns the plan is spread over.
- ``n_distractors``: ``int`` = ``2``: extra visible APIs (level 1).
- ``p_held_back``: ``float`` = ``0``: a fact is held back until asked (given in a later turn).
- ``p_infeasible``: ``float`` = ``0``: one sub-goal no API can do or that fails on the data.

## Default user
``apibank_goal`` (:mod:`simulators.apibank`): says its requests, answers questions for facts with
the turn that states them, ends satisfied when the gold calls are reproduced.

## Example
"""
    + oracle_example(
        'gym.make("coalm/APIBank-Procedural-v0", split="train", level=2, p_held_back=0.5, oracle_hints=True)',
        'info["metrics"]["calls_success"]',
    )
    + """

## Version history
- v0: initial release (generator version 1).
"""
)
