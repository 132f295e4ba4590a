"""The manual of ``coalm/BFCL-MultiTurn-v0`` (composed with the shared sections by :mod:`coalm_env.manual`)."""

from coalm_env.manual import oracle_example

MANUAL = (
    """
## Description
The BFCL V3 multi-turn entries on the official backends (file system, trading, travel, messaging,
...): each scenario is one entry; the user's turns are the entry's questions, the agent answers each
with function calls (a Python call list) and ends its turn with plain text. In ``miss_func`` held-out
functions join the tool list at their turn; ``miss_param`` questions lack a value the agent must ask
for or decline; ``long_context`` backends hold large states. Needs the dataset:
``coalm-env data fetch bfcl``.

## Reward
0 on every step; at the end ``success`` in {0, 1} is the **official multi-turn verdict**
(:mod:`coalm_env.domains.bfcl.checker`): on every turn, the backend state and the call results match
the ground truth's. ``info["metrics"]`` also has ``bfcl_turn_acc`` (fraction of turns passing) and one
flag per failure kind (``bfcl_empty_turn``, ``bfcl_state_mismatch``, ``bfcl_response_mismatch``,
``bfcl_force_terminated``) besides the dense terms, and ``strict_valid`` (see *Strict verdict*).

## Strict verdict
``info["metrics"]["strict_valid"]`` in {0, 1} is reported beside ``success``, never instead of it
(:mod:`coalm_env.domains.bfcl.strict`; ``coalm-env score-bfcl --strict`` gives it for result files). It
is 1 when the official verdict is valid and, in every turn: no call names a function of none of the
entry's classes; no call errors (an execution error or an ``{"error": ...}`` result) unless the ground
truth's call of that function in the turn errors too; no state-changing call is repeated with the
same arguments beyond the ground truth's count (at least once allowed); a turn whose ground truth is
empty has no state-changing call; each ground-truth call of the turn (name and arguments, defaults
filled in, values compared loosely) is made in that same turn, after the ground-truth calls whose
results it uses (a data dependency: an argument equal to an earlier ground-truth call's result value
that the user did not state). Extra read-only calls, a turn split into steps and independent calls
in any order still pass. It is 0 where the episode ended ``errored`` or on an internal error.

## Episode end
The ``replay`` user plays one question per agent reply and ends ``user_ended`` after the last one.
The id caps agent steps per turn at 21 (BFCL force-quits on the 21st step), ``max_steps``.

## Arguments
Domain options:

- ``category``: ``str`` = ``"all"``: ``base``, ``miss_func``, ``miss_param``, ``long_context`` or
  ``all`` (the 800 entries).

## Default user
``replay`` (:mod:`simulators.replay`): the entry's questions in order, whatever the agent says.

## Example
"""
    + oracle_example(
        'gym.make("coalm/BFCL-MultiTurn-v0", category="base", oracle_hints=True)',
        'info["metrics"]["bfcl_turn_acc"]',
    )
    + """

## Version history
- v0: initial release (BFCL V3 data of ``bfcl-eval==2025.8.6.2``).
"""
)
