"""``coalm-env train sft|dpo|grpo|rloo CONFIG.yaml``: a TRL run from a YAML config (:mod:`coalm_env.train.config`).

Each trainer is ``coalm_env.train.<name>:run(config)``; ``grpo`` and ``rloo`` dispatch to
``coalm_env.train.grpo:run(config)`` (``config.trainer`` says which).
"""

from __future__ import annotations

import argparse
import importlib
import json

#: trainer name -> the module whose ``run(config)`` trains
DISPATCH = {"sft": "coalm_env.train.sft", "dpo": "coalm_env.train.dpo", "grpo": "coalm_env.train.grpo",
            "rloo": "coalm_env.train.grpo"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train with TRL (sft, dpo, grpo) from a YAML config")
    p.add_argument("trainer", choices=sorted(DISPATCH))
    p.add_argument("config", metavar="CONFIG.yaml", help="YAML: our keys (model, data, eval, lora, ...) + TRL's")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a key (value parsed as YAML), e.g. --set max_steps=5")
    p.set_defaults(func=run)


def _overrides(items: list[str]) -> dict:
    import yaml

    from coalm_env.errors import ConfigError

    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise ConfigError(f"bad --set {item!r}", hint="write KEY=VALUE")
        out[key.strip()] = yaml.safe_load(value)
    return out


def run(args: argparse.Namespace) -> int:
    from coalm_env.train.config import load_config

    config = load_config(args.config, args.trainer, _overrides(args.set))
    metrics = importlib.import_module(DISPATCH[args.trainer]).run(config)
    print(json.dumps({k: metrics.get(k) for k in ("train", "eval", "samples", "pairs", "changed_params")
                      if k in metrics}, default=str, indent=1))
    print(f"wrote {config.output_dir}/")
    return 0
