"""Training run configs: one YAML file, our few keys plus TRL's own.

Our keys (:data:`OWN_KEYS`) are read here; every other top-level key passes straight through to TRL's config
dataclass (``SFTConfig`` / ``DPOConfig``), so TRL's knobs are never declared twice. A key that is neither ours
nor a field of that dataclass is rejected with a did-you-mean from the dataclass's fields.

```yaml
trainer: sft                     # sft | dpo | grpo
model: /path/or/hub-id           # a causal LM (and its tokenizer unless `tokenizer:` is given)
data: [runs/oracle-train]        # run dirs (exported on the fly), CoALM-IT files or hub ids
export: {compact: true, history: 2}
lora: paper                      # null | paper | {r: 8, lora_alpha: 16, ...}
eval: {env_id: coalm/Travel-v0, split: test, episodes: 50, policy: "react:hf:{model},compact=1"}
output_dir: runs/sft             # from here on: SFTConfig fields
num_train_epochs: 3
```
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError, DependencyNotInstalled, UnknownNameError

__all__ = ["TrainConfig", "OWN_KEYS", "LORA_PAPER", "PAPER_TRAINING", "trl_config_class", "load_config",
           "cpu_bf16_warning", "cpu_native_bf16", "skip_setting"]

#: LoRA preset of the CoALM paper: r=16, alpha=32 on all linear layers
LORA_PAPER = {"r": 16, "lora_alpha": 32, "target_modules": "all-linear", "lora_dropout": 0.05, "task_type": "CAUSAL_LM"}
#: the paper's optimisation settings, applied with ``lora: paper`` unless the YAML sets them
PAPER_TRAINING = {"learning_rate": 1e-4, "num_train_epochs": 3, "warmup_steps": 0.1, "max_length": 4096}
OWN_KEYS = ("trainer", "model", "tokenizer", "data", "export", "lora", "eval", "mining", "seed_data", "env", "reward",
            "rollout")
TRAINERS = {"sft": "SFTConfig", "dpo": "DPOConfig", "grpo": "GRPOConfig", "rloo": "RLOOConfig"}


@dataclass
class TrainConfig:
    """A resolved run config: our keys, and ``trl`` (the kwargs of TRL's config dataclass)."""

    trainer: str
    model: str
    tokenizer: str | None = None
    data: list[str] = field(default_factory=list)
    export: dict[str, Any] = field(default_factory=dict)
    lora: dict[str, Any] | None = None
    eval: dict[str, Any] | None = None
    mining: dict[str, Any] = field(default_factory=dict)
    seed_data: int = 0
    #: GRPO/RLOO (:mod:`coalm_env.train.grpo`): the training env, reward weights, adapter options
    env: dict[str, Any] = field(default_factory=dict)
    reward: dict[str, float] = field(default_factory=dict)
    rollout: dict[str, Any] = field(default_factory=dict)
    trl: dict[str, Any] = field(default_factory=dict)

    @property
    def output_dir(self) -> Path:
        return Path(self.trl.get("output_dir") or f"runs/train-{self.trainer}")

    def trl_args(self) -> Any:
        """TRL's config dataclass built from :attr:`trl`.

        TRL's configs default the deprecated ``gradient_checkpointing`` to True; unless the YAML sets either
        name, that default is passed under its new name ``activation_checkpointing`` (no FutureWarning).
        TRL also defaults ``bf16`` to True; training on a CPU without native bfloat16 matrix units (no
        AVX-512) then runs in emulated bf16, which warns (:func:`cpu_bf16_warning`).
        """
        cls = trl_config_class(self.trainer)
        kwargs = dict(self.trl)
        if not {"gradient_checkpointing", "activation_checkpointing"} & set(kwargs):
            names = {f.name: f for f in dataclasses.fields(cls)}
            if "activation_checkpointing" in names:
                kwargs["activation_checkpointing"] = names["gradient_checkpointing"].default
        args = cls(**kwargs)
        message = cpu_bf16_warning(args)
        if message:
            import warnings

            warnings.warn(message, RuntimeWarning, stacklevel=2)
        return args

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))


def cpu_bf16_warning(args: Any, capability: str | None = None) -> str | None:
    """A warning when ``args`` train in bf16 on a CPU whose torch kernels have no AVX-512 path
    (``torch.backends.cpu.get_cpu_capability()`` is ``"AVX2"``, ``"DEFAULT"``...): bf16 matrix products then
    fall back to a reference loop. Measured on a 2-core AVX2 EPYC (tiny_coalm's 4M-parameter Llama, batch 8,
    512 tokens): 17-19 s per SFT step in bf16 against about 1 s in fp32."""
    if not getattr(args, "bf16", False):
        return None
    import torch

    on_cpu = bool(getattr(args, "use_cpu", False)) or not torch.cuda.is_available()
    capability = capability or torch.backends.cpu.get_cpu_capability()
    if not on_cpu or capability.upper().startswith("AVX512"):
        return None
    return (f"bf16=True on a CPU without AVX-512 (torch CPU capability {capability}): bf16 runs emulated, "
            "about 15x slower than fp32 here; set `bf16: false` in the config to train in fp32")


def skip_setting(section: dict[str, Any] | None, where: str) -> int:
    """The ``skip`` key of a config section (``env:`` of GRPO, ``mining:`` of DPO): how many scenarios at the
    head of the split to leave out, e.g. those an SFT run's data came from; 0 when absent."""
    skip = (section or {}).get("skip", 0) or 0
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise ConfigError(f"{where}.skip must be a whole number >= 0, not {skip!r}")
    return skip


def cpu_native_bf16(flags: str | None = None, capability: str | None = None) -> bool:
    """Whether this CPU multiplies bfloat16 natively (torch's AVX-512 kernels and the ``avx512_bf16`` or
    ``amx_bf16`` instructions, from ``/proc/cpuinfo`` unless ``flags`` is given). On such a CPU bf16 autocast
    is the faster way to train a small model: measured on a 2-core AVX-512/avx512_bf16 EPYC (tiny_coalm's
    4M-parameter Llama, batch 8 x 300 tokens) 0.19 s per step in bf16 against 0.52 s in fp32. A CPU without
    them (or a platform without ``/proc/cpuinfo``) gives False: train in fp32 there."""
    if flags is None:
        try:
            flags = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return False
    if capability is None:
        import torch

        capability = torch.backends.cpu.get_cpu_capability()
    words = set(flags.split())
    return capability.upper().startswith("AVX512") and bool({"avx512_bf16", "amx_bf16"} & words)


def trl_config_class(trainer: str) -> type:
    """TRL's config dataclass for ``trainer`` (imported lazily)."""
    if trainer not in TRAINERS:
        raise UnknownNameError("trainer", trainer, TRAINERS)
    try:
        import trl
    except ImportError as exc:  # pragma: no cover - the [train] extra
        raise DependencyNotInstalled("trl", "train") from exc
    return getattr(trl, TRAINERS[trainer])


def _lora(value: Any) -> dict[str, Any] | None:
    if value in (None, False, "none"):
        return None
    if value == "paper":
        return dict(LORA_PAPER)
    if isinstance(value, dict):
        return {**LORA_PAPER, **value}
    raise ConfigError(f"lora must be null, 'paper' or a mapping, got {value!r}")


def _check_trl_keys(trainer: str, keys: list[str]) -> None:
    names = {f.name for f in dataclasses.fields(trl_config_class(trainer))}
    for key in keys:
        if key not in names:
            raise UnknownNameError(f"key of the {trainer} config (ours: {', '.join(OWN_KEYS)}; else "
                                   f"trl.{TRAINERS[trainer]})", key, names | set(OWN_KEYS))


def from_mapping(raw: dict[str, Any], trainer: str | None = None) -> TrainConfig:
    """A :class:`TrainConfig` from a parsed YAML mapping; ``trainer`` overrides/sets ``trainer:``."""
    raw = dict(raw)
    trainer = trainer or raw.pop("trainer", None)
    raw.pop("trainer", None)
    if not trainer:
        raise ConfigError("no trainer given", hint="`coalm-env train sft|dpo CONFIG` or `trainer:` in the YAML")
    if "model" not in raw:
        raise ConfigError("the config needs `model:` (a path or hub id)")
    own = {k: raw.pop(k) for k in OWN_KEYS if k in raw}
    _check_trl_keys(trainer, list(raw))
    lora = _lora(own.pop("lora", None))
    trl_kwargs = {**(PAPER_TRAINING if lora is not None else {}), **raw}
    data = own.pop("data", [])
    return TrainConfig(trainer=trainer, data=[data] if isinstance(data, str) else list(data), lora=lora,
                       trl=trl_kwargs, **own)


def load_config(path: str | Path, trainer: str | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML run config (see the module docstring); ``overrides`` win over the file."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise ConfigError(f"no config file at {path}", hint="see experiments/train/*.yaml")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return from_mapping({**raw, **(overrides or {})}, trainer)
