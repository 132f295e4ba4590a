"""The rule policy's reading of human user text, on MultiWOZ **val** user turns (the envs play test).

Every user turn of the ConvLab MultiWOZ 2.1 val split is read the way the rule policy reads it: the
policy's tracker (:func:`policies.rule_state.track`'s per-message step, which calls
:func:`policies.rule_nlu.parse_user` with the domain in focus, the slots the last system turn asked
for, the entity names seen so far and the entities on offer) walks the dialogue, the wizard's turns
standing in for the policy's replies and the names the wizard mentioned (its ``dialog_act`` ``Name``
values) standing in for tool results. Gold: the belief-state change of the turn (slot values in this
turn's state, ``metadata`` of the next system turn, that differ from the previous turn's state;
``dontcare`` included).

Per slot (``domain-slot``):

- recall: gold new values that the tracked state holds after the turn (compared with the domain
  vocabulary's ``same_value``, so DB normalisation applies);
- precision: values the turn changed in the tracked state that equal the gold state's value after the
  turn;
- dontcare recall: the same recall over gold ``dontcare`` values;

and domain detection: per turn whose annotated ``dialog_act`` names a domain, whether the domains the
reader gave (``UserAct.domains``) are exactly those (and whether they include the annotated ones).
Writes ``experiments/results/rule-nlu-val.json`` (``--out``) and prints the table.

    python -m experiments.rule_nlu_eval [--limit N] [--label before|after] [--misses K]
"""

from __future__ import annotations

import argparse
import inspect
import json
import platform
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import gymnasium as gym

import coalm_env  # noqa: F401  (registers the ids)
from coalm_env import data
from coalm_env.types import Message
from policies import rule_state
from policies.rule_lexicon import Ontology

try:  # the policy's accessor of the shared understanding (absent in the code of the "before" runs)
    from policies.rule_values import understanding_of
except ImportError:  # pragma: no cover
    def understanding_of(vocab):
        return None

OUT = Path(__file__).parent / "results" / "rule-nlu-val.json"
DOMAINS = ("restaurant", "hotel", "attraction", "train", "taxi")
_EMPTY = ("", "not mentioned", "none", "not given")


def _env_context() -> tuple[Any, Any]:
    """The MultiWOZ env's tool schemas and domain vocabulary (what the policy gets)."""
    env = gym.make("coalm/MultiWOZ-v0", user="replay", split="val")
    obs, info = env.reset(seed=0)
    tools, vocab = obs["tools"], info["vocab"]
    env.close()
    return tools, vocab


def gold_state(metadata: dict) -> dict[tuple[str, str], str]:
    """``{(domain, slot): value}`` of one belief state (semi and book slots, empty values left out)."""
    out = {}
    for d in DOMAINS:
        m = metadata.get(d) or {}
        for part in ("semi", "book"):
            for s, v in (m.get(part) or {}).items():
                if s != "booked" and isinstance(v, str) and v.strip().lower() not in _EMPTY:
                    out[(d, s)] = v.strip().lower()
    return out


def tracked_state(st: rule_state.DialogueState) -> dict[tuple[str, str], str]:
    """``{(domain, slot): value}`` the policy's tracker holds (constraints, booking slots, chosen name)."""
    out = {}
    for d, ds in st.domains.items():
        if d not in DOMAINS:
            continue
        for s, v in {**ds.info, **ds.book}.items():
            out[(d, s)] = str(v)
        if ds.chosen:
            out[(d, "name")] = ds.chosen
    return out


def _act_domains(acts: dict) -> set[str]:
    return {k.split("-")[0].lower() for k in acts} & set(DOMAINS)


def _wizard_names(acts: dict, vocab: Any) -> dict[str, str]:
    out = {}
    for intent, pairs in acts.items():
        d = intent.split("-")[0].lower()
        if d not in ("restaurant", "hotel", "attraction"):
            continue
        for s, v in pairs:
            if s == "Name" and v not in ("none", "?"):
                out[vocab.resolve_name(d, v) or v] = d
    return out


class Counts:
    def __init__(self):
        self.tp, self.fp, self.fn, self.hit, self.n = Counter(), Counter(), Counter(), Counter(), Counter()

    def rows(self) -> dict[str, dict[str, Any]]:
        out = {}
        for k in sorted(set(self.tp) | set(self.fp) | set(self.fn) | set(self.n)):
            tp, fp, fn = self.tp[k], self.fp[k], self.fn[k]
            out[k] = {"precision": _r(tp, tp + fp), "recall": _r(tp, tp + fn), "support": tp + fn,
                      "dontcare_recall": _r(self.hit[k], self.n[k]), "dontcare_support": self.n[k]}
        return out


def _r(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def evaluate(folder: Path, limit: int | None = None, n_misses: int = 8) -> dict[str, Any]:
    dialogues = json.loads((folder / "convlab_mwz21_valtest" / "val.json").read_text())
    tools, vocab = _env_context()
    schemas = vocab.schemas
    per_slot, total = Counts(), Counts()
    dom_exact = dom_cover = dom_n = 0
    misses: dict[str, list[str]] = defaultdict(list)
    wrong: dict[str, list[str]] = defaultdict(list)
    turns, seconds = 0, 0.0
    for did, dialogue in list(dialogues.items())[:limit]:
        extra = [understanding_of(vocab)] if "understanding" in inspect.signature(Ontology.from_tools).parameters else []
        st = rule_state.DialogueState(Ontology.from_tools(tools, schemas, *extra))
        calls: dict = {}
        log = dialogue["log"]
        before_gold: dict[tuple[str, str], str] = {}
        for i in range(0, len(log) - 1, 2):
            text = log[i]["text"]
            after_gold = gold_state(log[i + 1].get("metadata") or {})
            before = tracked_state(st)
            t0 = time.perf_counter()
            rule_state._step(st, Message(role="user", content=text), calls)
            seconds += time.perf_counter() - t0
            turns += 1
            after = tracked_state(st)
            act = st.last_act
            new_gold = {k: v for k, v in after_gold.items()
                        if k not in before_gold or not vocab.same_value(k[1], before_gold[k], v)}
            changed = {k: v for k, v in after.items() if before.get(k) != v}
            for (d, s), v in new_gold.items():
                key = f"{d}-{s}"
                got = after.get((d, s))
                ok = got is not None and vocab.same_value(s, got, v)
                for c in (per_slot, total):
                    k = key if c is per_slot else "all"
                    c.tp[k] += ok
                    c.fn[k] += not ok
                    if v == "dontcare":
                        c.n[k] += 1
                        c.hit[k] += ok
                if not ok and len(misses[key]) < n_misses:
                    misses[key].append(f"{did}:{i} {text!r} gold={v!r} got={got!r}")
            for (d, s), v in changed.items():
                key = f"{d}-{s}"
                want = after_gold.get((d, s))
                if want is not None and vocab.same_value(s, v, want):
                    continue  # right (a true positive when new in gold, counted above; else a late catch-up)
                for c, k in ((per_slot, key), (total, "all")):
                    c.fp[k] += 1
                if len(wrong[key]) < n_misses:
                    wrong[key].append(f"{did}:{i} {text!r} got={v!r} gold={want!r}")
            gold_domains = _act_domains(log[i].get("dialog_act") or {})
            if gold_domains:
                said = set(act.domains) & set(DOMAINS) if act else set()
                dom_n += 1
                dom_exact += said == gold_domains
                dom_cover += gold_domains <= said
            before_gold = after_gold
            st.known.update({n: d for n, d in _wizard_names(log[i + 1].get("dialog_act") or {}, vocab).items()
                             if n not in st.known})
            rule_state._step(st, Message(role="assistant", content=log[i + 1]["text"]), calls)
    return {"split": "val", "dialogues": min(len(dialogues), limit or len(dialogues)), "user_turns": turns,
            "overall": total.rows().get("all", {}), "slots": per_slot.rows(),
            "domain_detection": {"turns": dom_n, "exact": _r(dom_exact, dom_n), "covers": _r(dom_cover, dom_n)},
            "speed_turns_per_s": round(turns / seconds) if seconds else None,
            "sample_misses": dict(misses), "sample_wrong": dict(wrong)}


def _print(result: dict[str, Any]) -> None:
    o, dd = result["overall"], result["domain_detection"]
    print(f"{result['user_turns']} val user turns ({result['dialogues']} dialogues); "
          f"{result['speed_turns_per_s']} turns/s")
    print(f"overall new values: P {_f(o.get('precision'))} R {_f(o.get('recall'))} (n {o.get('support')}); "
          f"dontcare R {_f(o.get('dontcare_recall'))} (n {o.get('dontcare_support')})")
    print(f"domain detection: exact {_f(dd['exact'])}, covers {_f(dd['covers'])} (n {dd['turns']})")
    print(f"\n{'slot':<24} {'P':>6} {'R':>6} {'n':>6} {'dcR':>6} {'dc n':>5}")
    for k, v in result["slots"].items():
        print(f"{k:<24} {_f(v['precision']):>6} {_f(v['recall']):>6} {v['support']:>6} "
              f"{_f(v['dontcare_recall']):>6} {v['dontcare_support']:>5}")


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N val dialogues only")
    parser.add_argument("--label", default="after", help="key the run is stored under in the results file")
    parser.add_argument("--misses", type=int, default=8, help="sample misses kept per slot")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    result = evaluate(data.require("multiwoz24"), args.limit, args.misses)
    result["machine"] = {"python": platform.python_version(), "platform": platform.platform(),
                         "processor": platform.processor() or platform.machine()}
    result["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    stored = json.loads(args.out.read_text()) if args.out.exists() else {}
    stored[args.label] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(stored, indent=1) + "\n")
    _print(result)


if __name__ == "__main__":
    main()
