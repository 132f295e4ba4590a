"""A benchmark model with a realistic tokenizer: byte-level BPE trained on the env's own prompts.

The tests' tiny model (``tests/llm_fixtures.py``) has a 600-token vocabulary, so a Travel ReAct prompt is
~1,300 tokens (BFCL ~10,000) and padded attention dominates. Real tokenizers (32k-150k vocabularies) put
the same prompts at a few hundred tokens. This builds, without network:

- a corpus of the ``react`` prompts (full and ``compact=1``) an agent sees on Travel and MultiWOZ (the
  oracle against the agenda user; MultiWOZ only where its data is present), the oracle's actions in
  Hermes form, and the MultiWOZ val dialogues' user and wizard turns;
- a byte-level BPE tokenizer (default 8,192 tokens) with the TRL ``qwen2_5.jinja`` chat template;
- a seeded random ``LlamaConfig`` model (default 4 layers, hidden 256, ~5M parameters).

``build_bench_model(...)`` returns the folder and a summary (vocabulary, parameters, prompt tokens).
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class _PromptRecorder:
    """The oracle, recording the react prompts (full and compact) of every observation it acts on."""

    name = "oracle"
    privileged = True

    def __init__(self) -> None:
        from policies.oracle import OraclePolicy

        self.oracle, self.texts = OraclePolicy(), []

    def act(self, observations, infos):
        from coalm_env.render import messages_from_observation
        from coalm_env.render_coalm import react_prompt

        for obs in observations:
            msgs, tools = messages_from_observation(obs), json.loads(obs["tools"])
            self.texts += [react_prompt(msgs, tools, compact=c, history=None) for c in (False, True)]
        actions = self.oracle.act(observations, infos)
        self.texts += [a for a in actions if isinstance(a, str)]
        return actions


def prompt_corpus(episodes: int = 60) -> list[str]:
    """React prompts and oracle actions of Travel and (data permitting) MultiWOZ episodes."""
    from coalm_env.rollout import RolloutConfig, run_rollouts

    texts: list[str] = []
    for env_id in ("coalm/Travel-v0", "coalm/MultiWOZ-v0"):
        rec = _PromptRecorder()
        try:
            run_rollouts(RolloutConfig(env_id, rec, "agenda", episodes=episodes, batch_size=8), progress=False)
        except Exception as exc:  # MultiWOZ data missing: Travel only
            print(f"corpus: {env_id} skipped ({exc})", file=sys.stderr)
        texts += rec.texts
    try:  # the dataset's own turns (user and wizard) widen the vocabulary past the prompts' repetitions
        from coalm_env.domains import get_domain

        for sc in get_domain("multiwoz").scenarios("val"):
            texts += [str(t) for t in sc.user_turns] + [str(t) for t in sc.meta.get("system_turns", ())]
    except Exception as exc:
        print(f"corpus: MultiWOZ turns skipped ({exc})", file=sys.stderr)
    return texts


def _tokenizer(texts: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    sys.path.insert(0, str(ROOT / "tests"))
    from llm_fixtures import SPECIAL, _chat_template

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   chat_template=_chat_template())


@functools.cache
def build_bench_model(vocab_size: int = 8192, hidden: int = 256, layers: int = 4, heads: int = 4,
                      corpus_episodes: int = 60) -> tuple[Path, dict[str, Any]]:
    """Build the benchmark model into a temporary folder (once per process): ``(folder, summary)``."""
    import statistics

    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    texts = prompt_corpus(corpus_episodes)
    tokenizer = _tokenizer(texts, vocab_size)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=int(hidden * 8 / 3) // 8 * 8,
                         num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=max(1, heads // 2),
                         max_position_embeddings=8192, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=None, tie_word_embeddings=True,
                         initializer_range=0.5)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    root = Path(tempfile.mkdtemp(prefix="coalm-bench-llm-"))
    tokenizer.save_pretrained(root)
    model.save_pretrained(root)
    prompts = [t for t in texts if t.startswith("[Instruction]") or "[Conversation history]" in t]
    lengths = sorted(len(tokenizer(t)["input_ids"]) for t in prompts) or [0]
    summary = {"vocab_size": len(tokenizer), "hidden_size": hidden, "layers": layers, "heads": heads,
               "parameters": sum(p.numel() for p in model.parameters()), "corpus_texts": len(texts),
               "corpus_prompt_tokens_median": statistics.median(lengths), "corpus_prompt_tokens_max": lengths[-1]}
    return root, summary
