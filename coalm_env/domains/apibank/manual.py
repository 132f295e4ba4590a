"""The manual of ``coalm/APIBank-v0`` (composed with the shared sections by :mod:`coalm_env.manual`)."""

from coalm_env.manual import oracle_example

MANUAL = (
    """
## Description
API-Bank (Li et al., EMNLP 2023) levels 1-3 with executable mock APIs over the initial databases:
level 1 shows the dialogue's APIs, levels 2 and 3 start with ``ToolSearcher`` alone (retrieved APIs
become callable); level 3 is one requirement to plan, retrieve and call for. See
:mod:`coalm_env.domains.apibank` for the deviations from the official evaluator. Needs the dataset:
``coalm-env data fetch apibank --from DIR``.

## Reward
0 on every step; at the end ``success`` in {0, 1}: **every gold API call of the dialogue was
reproduced** under that API's rule (:mod:`coalm_env.domains.apibank.scoring`). With a user that
follows the dataset (``follows_dataset``, e.g. ``apibank_replay``) each call must come in its own
user turn. ``info["metrics"]`` also has ``api_call_accuracy`` (the benchmark's accuracy),
``api_calls_gold``/``api_calls_correct``, ``level``, ``end_state_match`` (the backend ended in the
state the gold calls leave), ``rouge_l``/``rouge_1``/``rouge_2``/``bleu_4`` of the replies and the
dense terms.

## Episode end
``apibank_replay`` plays the dialogue's user turns, one per agent reply, and ends ``user_ended``
after the last; ``apibank_goal`` ends ``goal_met`` when the gold calls' effects are reached or
``user_gave_up``.

## Arguments
Domain options:

- ``level``: ``int`` = ``1``: 1 (APIs described), 2 (retrieve with ToolSearcher, then call) or
  3 (plan, retrieve and call the level-3 APIs).

## Official result files
``coalm-env score-apibank FILE --level 1|2|3 [--field pred] [--out FILE]`` scores the dataset's
``test-data`` files with a model prediction per row (the official ``API-Request: [Api(key='value')]``
form, found anywhere in the text): per row ``valid`` and ``reason``, per level the call accuracy and
ROUGE-L/1/2 and BLEU-4 against the expected output. Every deviation from the official evaluator is
listed in :mod:`coalm_env.domains.apibank.official`.

## Default user
``apibank_replay`` (:mod:`simulators.apibank`): the dataset's user turns (the benchmark's protocol).

## Example
"""
    + oracle_example(
        'gym.make("coalm/APIBank-v0", level=2, oracle_hints=True)',
        'info["metrics"]["api_call_accuracy"]',
    )
    + """

## Version history
- v0: initial release.
"""
)
