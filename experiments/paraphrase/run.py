"""Paraphrase measurements (issue 14): the oracle with its replies paraphrased against the agenda
user, the rule policy against the paraphrasing agenda user, and the same runs in template text.

    python -m experiments.paraphrase.run --tag before            # all parts
    python -m experiments.paraphrase.run --tag after --parts travel,multiwoz --mwz-episodes 300

Scorer verdict agreement: each paraphrased episode is played with the same reset seed as a plain one
(same scenario, same backend), and the two ``success`` verdicts are compared. Results go to
``experiments/results/paraphrase.json`` under ``--tag`` (other tags in the file are kept).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import experiments.paraphrase  # noqa: F401 - registers paraphrase_oracle / paraphrase_agenda
from coalm_env.rollout import RolloutConfig, run_rollouts

OUT = Path(__file__).resolve().parents[1] / "results" / "paraphrase.json"
TRAVEL, MWZ = "coalm/Travel-v0", "coalm/MultiWOZ-v0"
_KEYS = ("success", "task_success", "inform", "book", "requests", "goal_met")
#: the scorer verdicts compared between template and paraphrased text (same seed, same scenario)
_VERDICTS = ("success", "task_success")


def run(env_id: str, policy: str, user: str, episodes: int, seed: int = 0, batch_size: int = 32) -> dict[str, Any]:
    start = time.perf_counter()
    res = run_rollouts(RolloutConfig(env_id, policy, user=user, episodes=episodes, split="test", seed=seed,
                                     batch_size=batch_size), progress=False)
    wall = time.perf_counter() - start
    trajs = list(res.trajectories)
    out: dict[str, Any] = {"env_id": env_id, "policy": policy, "user": user, "episodes": len(trajs)}
    for k in _KEYS:
        vals = [t.metrics[k] for t in trajs if k in t.metrics]
        if vals:
            out[k] = round(statistics.mean(vals), 4)
    out["dialogues_per_s"] = round(len(trajs) / wall, 2)
    out["stop_reasons"] = dict(Counter(t.stop_reason.value for t in trajs if t.stop_reason))
    out["_verdicts"] = {(t.scenario_id, json.dumps(t.seeds, sort_keys=True)): tuple(t.metrics.get(k) for k in _VERDICTS)
                        for t in trajs}
    return out


def agreement(plain: dict[str, Any], para: dict[str, Any]) -> dict[str, Any]:
    a, b = plain.pop("_verdicts"), para.pop("_verdicts")
    common = sorted(set(a) & set(b))
    out: dict[str, Any] = {"episodes": len(common)}
    for i, key in enumerate(_VERDICTS):  # "agreement": success (mwzeval's on MultiWOZ); then each verdict alone
        same = sum(a[k][i] == b[k][i] for k in common)
        out["agreement" if key == "success" else f"agreement_{key}"] = round(same / len(common), 4) if common else None
    same = sum(a[k] == b[k] for k in common)
    out["agreement_all"] = round(same / len(common), 4) if common else None
    out["disagreements"] = [{"scenario": k[0], **{f"{v}_template": a[k][i] for i, v in enumerate(_VERDICTS)},
                             **{f"{v}_paraphrased": b[k][i] for i, v in enumerate(_VERDICTS)}}
                            for k in common if a[k] != b[k]][:40]
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tag", default="before")
    p.add_argument("--parts", default="travel,multiwoz,baselines", help="travel, multiwoz, baselines")
    p.add_argument("--travel-episodes", type=int, default=200)
    p.add_argument("--mwz-episodes", type=int, default=1000)
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    parts = set(args.parts.split(","))
    section: dict[str, Any] = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
    }
    for part, env_id, n in (("travel", TRAVEL, args.travel_episodes), ("multiwoz", MWZ, args.mwz_episodes)):
        if part not in parts:
            continue
        plain = run(env_id, "oracle", "agenda", n)
        para = run(env_id, "paraphrase_oracle", "agenda", n)
        section[f"{part}_oracle_agreement"] = agreement(plain, para)
        section[f"{part}_oracle_template"] = plain
        section[f"{part}_oracle_paraphrased"] = para
        print(json.dumps({k: section[k] for k in section if k.startswith(part)}, indent=1), flush=True)
        if part == "travel":
            rp = run(TRAVEL, "rule", "paraphrase_agenda", n)
            rp.pop("_verdicts")
            section["travel_rule_paraphrase_user"] = rp
            print(json.dumps(rp), flush=True)
    if "baselines" in parts:
        for label, env_id, pol, user, n in (("travel_rule_template", TRAVEL, "rule", "agenda", args.travel_episodes),
                                            ("multiwoz_rule_template", MWZ, "rule", "agenda", args.mwz_episodes),
                                            ("multiwoz_gold_replay", MWZ, "gold_replay", "replay", args.mwz_episodes)):
            r = run(env_id, pol, user, n)
            r.pop("_verdicts")
            section[label] = r
            print(json.dumps(r), flush=True)
    path = Path(args.out)
    results = json.loads(path.read_text()) if path.is_file() else {}
    results[args.tag] = {**results.get(args.tag, {}), **section}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {path}")
    return section


if __name__ == "__main__":
    main()
