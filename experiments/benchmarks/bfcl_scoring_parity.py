"""BFCL scoring parity: every verdict in full, to diff two trees (a speed change must change none).

For every entry of the four categories and every perturbation kind of ``experiments/bfcl_strict_eval.py``
plus three failure layouts written here (``empty``: no call in any turn; ``truncated``: the last turn
not played; ``reordered``: each turn's ground-truth calls reversed), writes one JSON line with the whole
official verdict (``valid``, ``error_type``, ``error_message``, ``turn_passed``, ``details``), the strict
verdict given that official verdict and the strict verdict computed on its own, and the per-turn
ground-truth dependencies. It also writes a BFCL result file (``results.jsonl``: one row per entry, its
kind rotating over the kinds) for ``coalm-env score-bfcl`` with and without ``--strict``.

    PYTHONPATH=TREE python -m experiments.benchmarks.bfcl_scoring_parity --out DIR   # in each tree
    diff DIR_BEFORE/verdicts.jsonl DIR_AFTER/verdicts.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from experiments.bfcl_strict_eval import KINDS, gold_flat, layout, perturbed

from coalm_env.domains.bfcl.checker import check_entry
from coalm_env.domains.bfcl.entries import CATEGORIES, load_entries
from coalm_env.domains.bfcl.strict import strict_check, turn_dependencies


def _extra(kind: str, entry, seed: int):
    flat = gold_flat(entry)
    if kind == "empty":
        return [[] for _ in flat]
    if kind == "truncated":
        return layout(flat[:-1])
    if kind == "reordered":
        rng = random.Random(f"{seed}:{kind}:{entry.id}")
        return layout([list(reversed(t)) if rng.random() < 0.7 else t for t in flat])
    raise KeyError(kind)


EXTRA = ("empty", "truncated", "reordered")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--per-category", type=int, default=None)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    entries = [e for c in CATEGORIES for e in load_entries(c)[: args.per_category]]
    kinds = (*KINDS, *EXTRA)
    start, cpu = time.perf_counter(), time.process_time()
    n = 0
    with open(args.out / "verdicts.jsonl", "w", encoding="utf-8") as fh, \
            open(args.out / "results.jsonl", "w", encoding="utf-8") as rf:
        for k, entry in enumerate(entries):
            fh.write(json.dumps({"id": entry.id, "dependencies": turn_dependencies(entry)}) + "\n")
            for kind in kinds:
                turns = perturbed(kind, entry, args.seed) if kind in KINDS else _extra(kind, entry, args.seed)
                if turns is None:
                    continue
                v = check_entry(entry, turns)
                line = {"id": entry.id, "kind": kind, "valid": v.valid, "error_type": v.error_type,
                        "error_message": v.error_message, "turn_passed": v.turn_passed, "details": v.details,
                        "strict": strict_check(entry, turns, v).to_dict(),
                        "strict_alone": strict_check(entry, turns).to_dict()}
                fh.write(json.dumps(line, default=str) + "\n")
                n += 1
            kind = kinds[k % len(kinds)]
            turns = perturbed(kind, entry, args.seed) if kind in KINDS else _extra(kind, entry, args.seed)
            turns = turns if turns is not None else layout(gold_flat(entry))
            rf.write(json.dumps({"id": entry.id, "result": [[[c.signature() for c in s] for s in t] for t in turns]}) + "\n")
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{n} verdicts over {len(entries)} entries: {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"({1000 * cpu / n:.2f} ms CPU per verdict pair)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
