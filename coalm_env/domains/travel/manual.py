"""The manual of ``coalm/Travel-v0`` (composed with the shared sections by :mod:`coalm_env.manual`)."""

from coalm_env.manual import oracle_example

MANUAL = (
    """
## Description
A procedurally generated Cambridge-like city (restaurants, hotels, attractions, trains, taxis,
police, hospital) with MultiWOZ-style goals: find venues under constraints, ask for their details,
book them, order a taxi between them; some goals fail over (no venue or no booking under the first
constraints, then the user relaxes them). Needs no download: the world and the scenarios are a
function of ``seed`` and the knobs. Splits ``train``/``val``/``test`` have disjoint goal skeletons.

## Reward
0 on every step; at the end ``success`` in {0, 1} (:mod:`coalm_env.domains.tod.scoring`): every goal
domain with a search API had a matching entity offered (Inform), every requested slot's value was
given to the user (Requests) **and** every booking the goal asks for was made with the goal's values
(Book, taxi included). This is stricter than MultiWOZ's Success, which leaves bookings out.
``info["metrics"]`` also has ``inform``, ``requests``, ``book``, ``goal_met`` and the dense terms
(``graph_credit``, ``parse_errors``, ``tool_errors``, ``tool_calls``, ``turns``, ``steps``).

## Episode end
The agenda user ends the conversation ``goal_met`` once its goal is done (it says goodbye) or
``user_gave_up`` when it runs out of patience.

## Arguments
Domain options (``gym.make("coalm/Travel-v0", p_book=0.9)``, CLI ``--env-option p_book=0.9``):

- ``seed``: ``int`` = ``0``: world and scenario seed.
- ``db_size``: ``float`` = ``1.0``: scale of every table (1.0 = MultiWOZ-sized).
- ``n_train``, ``n_val``, ``n_test``: ``int`` = ``2000``, ``200``, ``200``: scenarios per split.
- ``min_domains``, ``max_domains``: ``int`` = ``1``, ``3``: goal domains per scenario.
- ``max_constraints``: ``int`` = ``3``: constraints per domain.
- ``p_book``, ``p_fail_info``, ``p_fail_book``, ``p_taxi``, ``p_name``: ``float`` = ``0.6``, ``0.2``,
  ``0.2``, ``0.3``, ``0.1``: chances of a booking, a fail-over search, a fail-over booking, a taxi and
  a venue asked for by name.
- ``max_depth``: ``int`` = ``3``: longest chain of the gold plan (1 searches only, 2 + bookings,
  3 + taxis between the venues found).

## Default user
``agenda`` (:mod:`simulators.agenda`): a goal-driven agenda user that states constraints, asks for
details, books and judges offers against the database.

## Example
"""
    + oracle_example(
        'gym.make("coalm/Travel-v0", oracle_hints=True)',
        'info["metrics"]["inform"], info["metrics"]["book"]',
    )
    + """

## Version history
- v0: initial release.
"""
)
