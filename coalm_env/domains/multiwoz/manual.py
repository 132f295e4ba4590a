"""The manual of ``coalm/MultiWOZ-v0`` (composed with the shared sections by :mod:`coalm_env.manual`)."""

from coalm_env.manual import oracle_example

MANUAL = (
    """
## Description
The MultiWOZ 2.4 validation and test dialogues as interactive tasks over the real databases: each
scenario is one dialogue's goal (``split="val"`` or ``"test"``), the agent searches, offers and books
with the domain APIs and reports the dialogue state with ``update_state(domain, slot_values)``.
Needs the dataset: ``coalm-env data fetch multiwoz24 --from DIR``.

## Reward
0 on every step; at the end ``success`` in {0, 1} is the MultiWOZ **Success** in the project's
``entity`` definition (:mod:`coalm_env.domains.multiwoz.scoring`): Inform (each goal venue domain had a
venue offered that itself fits the goal's final constraints) and every requested slot provided.
**Bookings are not part of it**, as in the benchmark: ``book_rate`` (ConvLab) and ``book`` report them,
and ``task_success`` is the strict Inform + Requests + Book success of ``coalm/Travel-v0``.

## Two definitions of Inform / Success
Both are reported, named plainly:

- ``mwz_inform`` / ``mwz_success``: the **published (mwzeval) definition**
  (:mod:`coalm_env.domains.multiwoz.mwzeval_def`, Budzianowski et al. 2018 as Nekvinda & Dušek's mwzeval
  computes it). The offered venues of a domain are the database venues matching the **belief state** at the
  turn a venue name (trainID) is given, not the named venue; the belief state is the agent's own
  ``update_state`` table when it tracks state, else the constraints of its last search of that domain.
  Replies are read as mwzeval's slot tokens (name, trainID, phone, address, postcode, reference), for the
  turn's active domain (estimated from the state as mwzeval does); a reference counts once the domain is
  booked. Quote these beside published MultiWOZ numbers.

  **Delexicalised replies.** An agent that generates delexicalised replies (end-to-end systems such as
  UBAR, MinTL, DAMD) hands each reply's delexicalised form over with it:
  ``env.step(AgentAction("Pizza Hut is at 12 Bridge Street .", extra={"delex": "[restaurant_name] is at
  [value_address] ."}))`` (or a dict action ``{"role": "assistant", "content": ..., "extra": {"delex":
  ...}}``). The user gets the text, and the entity metrics (``inform``/``success``, Book, F1) read the text;
  ``mwz_inform``/``mwz_success`` read that reply by its placeholders only, as mwzeval reads its delexicalised
  input (``[restaurant_name]``, ``[value_phone]``, ``[train_id]``, ``[value_reference]`` ..., mwzeval's slot
  names). Without a delex (LLM agents) the reply's text is delexicalised against the database. The delex
  must be a non-empty string of at most ``limits.MAX_DELEX_CHARS`` (20,000) characters; any other value is
  ignored (the text is read), with the reason in ``info["delex_warning"]`` and the step's
  ``extra["delex_ignored"]``, never an error of ``step()``. It is kept in the trajectory
  (``StepRecord.extra["delex"]``), so ``coalm-env score`` rescoring gives the same numbers. A delex handed
  with tool calls (no reply) is not read. ``mwz_delex_turns`` is the fraction of the episode's replies read
  from a delex (1.0: all, 0.0: text only), so a run mixing both readings shows it. The ``gold_replay``
  policy (and ``oracle="gold_replay"``) hands over the dataset's delexicalised turn (its ``span_info``
  spans as placeholders: mwzeval's gold input); ``--policy gold_replay:delex=false`` replays text only.
- ``inform`` / ``success``: the project's **entity definition** (stricter: the named or booked entity
  itself must fit the goal; a train booking counts only when its trainID is shown in a reply). The keys
  kept their names so that every reader of earlier runs (rescoring, stats, reports, sweeps) still works;
  ``success`` stays the reward.

Offline system outputs in mwzeval's input format are scored with ``coalm-env score-multiwoz FILE``
(both definitions, BLEU). How close the two implementations of the published definition are, dialogue by
dialogue, on the gold responses: ``experiments/results/mwzeval_parity/README.md``.

``info["metrics"]`` also has ``inform_precision``/``inform_recall``/``inform_f1``, ``requests``,
``goal_met``, ``jga``/``jga_turns`` (joint goal accuracy of ``update_state`` on turns that follow the gold
dialogue) and the dense terms.

## Episode end
The agenda user ends ``goal_met`` or ``user_gave_up``; the ``replay`` user ends ``user_ended`` once
the dialogue's user turns run out.

## Arguments
Domain options:

- ``oracle``: ``str`` = ``"script"``: the gold action behind ``oracle_hints``: ``"script"`` (search,
  offer, book, taxi) or ``"gold_replay"`` (the dataset's system turns with the gold state, each reply with
  its delexicalised form in ``extra["delex"]``; pair it with ``user="replay"``).

## Default user
``agenda`` (:mod:`simulators.agenda`) pursuing the dialogue's goal; ``replay`` plays the dataset's
user turns (for JGA and gold replay).

## Example
"""
    + oracle_example(
        'gym.make("coalm/MultiWOZ-v0", split="test", oracle_hints=True)',
        'info["metrics"]["inform"], info["metrics"].get("book_rate")',
    )
    + """

## Version history
- v0: initial release; ``mwz_inform``/``mwz_success`` (mwzeval definition) added beside the entity
  definition's ``inform``/``success``; replies may carry their delexicalised form (``extra["delex"]``,
  read by ``mwz_inform``/``mwz_success``; ``mwz_delex_turns``).
"""
)
