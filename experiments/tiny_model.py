"""A tiny local chat model, no network: ``python -m experiments.tiny_model --out runs/tiny-model``.

A byte-level BPE tokenizer (600 tokens) trained with ``tokenizers`` on a few Travel/MultiWOZ-like
sentences and Hermes tool-call text, TRL's packaged ``qwen2_5.jinja`` chat template, and a 2-layer
``LlamaConfig`` (hidden 64) with seeded random weights. It shows the LLM pipeline end to end (the
``react:hf:...`` policy in the example sweep, the LLM tests' fixture in ``tests/llm_fixtures.py``),
not skill: its replies are noise. Needs the ``[train]`` extra (torch, transformers, tokenizers, trl).
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
from pathlib import Path

_SENTENCES = [
    "I am looking for a cheap italian restaurant in the centre.",
    "Could you book a table for two people at 18:30 on friday?",
    "I need a hotel with free parking and wifi in the north.",
    "Is there a train from cambridge to london on sunday morning?",
    "Please book a taxi from the hotel to the museum.",
    "The booking was successful. Your reference number is ABC123.",
    "I found Golden Wok in the centre. Shall I book it?",
    "Thank you, that is all I need. Goodbye!",
    "What area would you like to stay in?",
    "There are three guesthouses that match your request.",
]
_CALLS = [
    {"name": "find_restaurant", "arguments": {"area": "centre", "food": "italian"}},
    {"name": "book_hotel", "arguments": {"name": "acorn guest house", "people": 2, "day": "friday"}},
    {"name": "find_train", "arguments": {"departure": "cambridge", "destination": "london"}},
]
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _corpus() -> list[str]:
    calls = [f"<tool_call>\n{json.dumps(c)}\n</tool_call>" for c in _CALLS]
    tools = [json.dumps({"type": "function", "function": {"name": c["name"], "parameters": {}}}) for c in _CALLS]
    return (_SENTENCES + calls + tools) * 3


def _chat_template() -> str:
    import trl

    return (Path(trl.__file__).parent / "chat_templates" / "qwen2_5.jinja").read_text()


def _tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_corpus(), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   chat_template=_chat_template())


def _model(tokenizer):
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=None, tie_word_embeddings=True, initializer_range=0.5)
    with torch.random.fork_rng():  # seeded weights without touching the global torch RNG
        torch.manual_seed(0)
        model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id)
    return model


def save_tiny_model(out: str | Path) -> Path:
    """Build the tiny model and tokenizer into ``out`` (created if missing); return the folder."""
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    tokenizer = _tokenizer()
    tokenizer.save_pretrained(root)
    _model(tokenizer).save_pretrained(root)
    return root


@functools.cache
def build_tiny_model() -> Path:
    """Build the tiny model into a fresh temporary folder once per process; return the folder."""
    return save_tiny_model(tempfile.mkdtemp(prefix="coalm-tiny-llm-"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m experiments.tiny_model", description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/tiny-model", help="folder to write the model and tokenizer to")
    args = ap.parse_args(argv)
    root = save_tiny_model(args.out)
    print(f"tiny model written to {root} (use it as react:hf:{root},max_tokens=16)")


if __name__ == "__main__":
    main()
