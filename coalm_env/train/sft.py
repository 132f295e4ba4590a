"""SFT through TRL's ``SFTTrainer`` on CoALM-IT rows (exported trajectories or the released set).

Rows become TRL's conversational prompt-completion format (the react policy's one user turn, the
assistant completion), so the loss is on the assistant tokens only (``completion_only_loss``, TRL's
default for prompt-completion data; set here explicitly). ``lora:`` adds a peft adapter (``paper``: r=16,
alpha=32, all linear layers, with lr 1e-4, 3 epochs, warm-up 0.1, max length 4096 unless the YAML says
otherwise).
"""

from __future__ import annotations

from typing import Any

from coalm_env.train.config import TrainConfig
from coalm_env.train.runs import changed_fraction, load_model, save_outputs, sft_rows

__all__ = ["run", "build_trainer"]


def _dataset(rows: list[dict[str, Any]], seed: int):
    import datasets

    from coalm_env.train.data import to_conversational

    return datasets.Dataset.from_list([to_conversational(r) for r in rows]).shuffle(seed=seed)


def build_trainer(config: TrainConfig):
    """The ``SFTTrainer`` for ``config`` (model, tokenizer, dataset, optional LoRA)."""
    from trl import SFTTrainer

    model, tokenizer = load_model(config)
    args = config.trl_args()
    if args.completion_only_loss is None:
        args.completion_only_loss = True
    peft_config = None
    if config.lora is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(**config.lora)
    return SFTTrainer(model=model, args=args, train_dataset=_dataset(sft_rows(config), config.seed_data),
                      processing_class=tokenizer, peft_config=peft_config)


def run(config: TrainConfig) -> dict[str, Any]:
    """Train, save the checkpoint and its outputs, evaluate in the env; return the metrics."""
    trainer = build_trainer(config)
    before = {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.train()
    extra = {"samples": len(trainer.train_dataset), "changed_params": changed_fraction(before, trainer.model)}
    return save_outputs(config, trainer, result, extra)
