"""The learning loop through TRL (the ``[train]`` extra): CoALM-IT data, env -> CoALM-IT export, SFT, DPO
and (in :mod:`coalm_env.train.grpo`) GRPO/RLOO. Every module imports torch/transformers/TRL inside the
functions that need them, so importing this package stays light.

- :mod:`~coalm_env.train.data`: load CoALM-IT (released layout) and convert to TRL's formats;
- :mod:`~coalm_env.train.export`: trajectories -> CoALM-IT / chat-with-tools samples (split leak check, dedupe);
- :mod:`~coalm_env.train.config`: YAML run configs whose TRL keys pass straight to TRL's dataclasses;
- :mod:`~coalm_env.train.sft`, :mod:`~coalm_env.train.dpo`: the trainers, each with ``run(config)``.
"""
