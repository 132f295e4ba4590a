"""Paraphrase stress tests (issue 14): the oracle's content and the agenda user's acts said with other
wording, formats and synonyms.

- :class:`~experiments.paraphrase.oracle.ParaphraseOracle` (policy ``paraphrase_oracle``);
- :class:`~experiments.paraphrase.user.ParaphraseUser` (user ``paraphrase_agenda``);
- ``python -m experiments.paraphrase.run``: the measurements, written to ``experiments/results/paraphrase.json``.

Importing this package registers both names, so ``run_rollouts(RolloutConfig(..., policy="paraphrase_oracle"))``
works once it is imported.
"""

from coalm_env.registry import POLICIES, USERS

for _table, _name, _target in ((POLICIES, "paraphrase_oracle", "experiments.paraphrase.oracle:ParaphraseOracle"),
                               (USERS, "paraphrase_agenda", "experiments.paraphrase.user:ParaphraseUser")):
    if _name not in _table.entries:
        _table.register(_name, _target)
