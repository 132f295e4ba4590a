"""The CPU proof of the learning loop (issue 12): ``python -m experiments.tiny_coalm.run [--quick]``."""
