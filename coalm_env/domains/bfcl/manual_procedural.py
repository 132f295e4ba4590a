"""The manual of ``coalm/BFCL-Procedural-v0`` (composed with the shared sections by :mod:`coalm_env.manual`)."""

from coalm_env.manual import oracle_example

MANUAL = (
    """
## Description
Generated BFCL multi-turn tasks on the official backend classes (file system, messaging, posting,
ticketing, trading, travel booking, vehicle control, math), for training and validation disjoint from
the benchmark (:mod:`coalm_env.domains.bfcl.procedural`). Each task is a BFCL entry built from a seed:
new initial configs in the official shapes, several user turns (each a sub-plan of the API graph whose
outputs feed later arguments, executed on the real backends so the gold calls and end state are
known), request texts from per-function templates, and the benchmark's variants (``base``,
``miss_func``: a needed function held out until a reveal turn, ``miss_param``: a needed value left out
until the next turn). Splits ``train``/``val``/``test`` are disjoint by plan skeleton; no task equals
a benchmark entry. Scenario ids are ``bfcl_procedural_<split>_<index>``; every task is a function of
(generator version, options, seed, split, index), built when first played. Needs the dataset
(``coalm-env data fetch bfcl``) and ``bfcl-eval``.

## Reward
As ``coalm/BFCL-MultiTurn-v0``: 0 on every step; at the end ``success`` in {0, 1} is the **official
multi-turn verdict** (:mod:`coalm_env.domains.bfcl.checker`, the state and response checks BFCL's own
``multi_turn_checker`` makes, which agrees on generated tasks), ``bfcl_turn_acc`` (fraction of turns
passing), one flag per failure kind, the dense terms, and ``strict_valid`` (the strict verdict of
:mod:`coalm_env.domains.bfcl.strict`, beside ``success``).

## Episode end
The ``replay`` user plays one generated request per agent reply and ends ``user_ended`` after the
last one; agent steps per turn are capped at 21 as in BFCL, ``max_steps``.

## Arguments
Domain options (the difficulty knobs):

- ``seed``: ``int`` = ``0``: the generator's seed.
- ``pool_size``: ``int`` = ``100000``: tasks per split in the env's pool.
- ``n_turns``: ``int`` = ``3``: request turns per task (before a variant inserts its extra turn), 1-20.
- ``calls_per_turn``: ``int`` = ``3``: most calls in one turn's plan (each turn draws ceil(k/2)..k), 1-8.
- ``max_depth``: ``int`` = ``2``: longest data-dependency chain in a turn (each turn draws 0..max_depth).
- ``n_classes``: ``int`` = ``2``: most backend classes a task works in (1..n, at most 3).
- ``distractors``: ``int`` = ``0``: extra classes whose tools are listed but never needed.
- ``p_miss_func``, ``p_miss_param``: ``float`` = ``0.2``: rates of the two variants.
- ``category``: ``str`` = ``"mixed"``: ``mixed`` (by the two rates) or one variant for every task.

## Default user
``replay`` (:mod:`simulators.replay`): the task's requests in order, whatever the agent says.

## Example
"""
    + oracle_example(
        'gym.make("coalm/BFCL-Procedural-v0", split="train", n_turns=2, oracle_hints=True)',
        'info["metrics"]["bfcl_turn_acc"]',
    )
    + """

## Version history
- v0: initial release (generator version 1; BFCL backends of ``bfcl-eval==2025.8.6.2``).
"""
)
