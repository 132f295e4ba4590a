"""A tiny local chat model for LLM tests, built once per session, no network.

Built by :mod:`experiments.tiny_model`: a byte-level BPE tokenizer trained with ``tokenizers`` on a few Travel/MultiWOZ-like sentences and
Hermes tool-call text, TRL's packaged ``qwen2_5.jinja`` chat template, and a 2-layer ``LlamaConfig``
with seeded random weights. Import ``tiny_model_dir`` into a test module to use it as a fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# the builder lives in experiments/ (``python -m experiments.tiny_model --out DIR`` saves it for sweeps)
from experiments.tiny_model import SPECIAL, _chat_template, _corpus, _model, _tokenizer, build_tiny_model  # noqa: F401


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    pytest.importorskip("torch", reason="needs the [train] extra")
    return build_tiny_model()


@pytest.fixture(scope="session")
def tiny_generator(tiny_model_dir: Path):
    """One ``HFGenerator`` on the tiny model for the whole session (greedy, short completions).

    Pass it to policies and users as an object (``ReactPolicy(tiny_generator)``): a spec string would
    load the model again for every rollout.
    """
    from coalm_env.llm import make_generator

    return make_generator(f"hf:{tiny_model_dir},max_tokens=8")
