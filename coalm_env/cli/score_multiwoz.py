"""``coalm-env score-multiwoz FILE [--out FILE]``: score offline MultiWOZ system outputs as mwzeval does.

The file is mwzeval's input format: a JSON object, dialogue id (``"pmul4462"``, ``"PMUL4462.json"``, any
case) -> list of turns, each ``{"response": str, "state": {domain: {slot: value}} (optional),
"active_domains": [domain, ...] (optional)}``, one per system turn of the dataset dialogue (test split,
else val). Responses may be delexicalised (``[restaurant_name]``, ``[value_phone]`` ...) or lexicalised
(read against the database); a file with any placeholder is read by its placeholders only, as mwzeval
reads it. A missing ``state`` is the dataset's gold state of that turn (the 2.4 states
where the dataset has them), missing ``active_domains`` are estimated from the states, bookings are the
dataset's (all as mwzeval).

Prints Inform / Success (totals and per domain, in percent as mwzeval rounds them) in both definitions:
``mwzeval`` (:mod:`coalm_env.domains.multiwoz.mwzeval_def`) and ``entity`` (the project's: the venue named
in the text must fit the goal; only for lexicalised responses), and BLEU (sacrebleu) of the responses
against the dataset's system turns, normalised as mwzeval normalises them (lower case, placeholders to
slot tokens); delexicalised responses are compared with the delexicalised turns. ``--out`` writes one
JSON line per dialogue: ``id`` (as given), ``inform``/``success`` (0/1) and their per-domain values, in
both definitions (``entity_*`` null for a delexicalised file).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coalm_env.errors import ConfigError

__all__ = ["add_parser", "run", "score_file", "bleu_normalise"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score-multiwoz", help="score offline MultiWOZ outputs (mwzeval's input format): "
                                              "Inform/Success in the mwzeval and entity definitions, BLEU")
    p.add_argument("file", type=Path, help="JSON: dialogue id -> list of turns with 'response' "
                                           "(optional 'state', 'active_domains')")
    p.add_argument("--out", type=Path, help="write one JSON line per dialogue: id, inform, success (and per domain), "
                                            "both definitions")
    p.set_defaults(func=run)


# -- reading ------------------------------------------------------------------------------------------------
def _read(path: Path) -> dict[str, list[dict[str, Any]]]:
    if not path.is_file():
        raise ConfigError(f"file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path}: expected a non-empty JSON object of dialogue id -> list of turns")
    for did, turns in data.items():
        if not isinstance(turns, list):
            raise ConfigError(f"{path}: dialogue {did!r}: expected a list of turns, got {type(turns).__name__}")
        for i, turn in enumerate(turns):
            where = f"{path}: dialogue {did!r} turn {i}"
            if not isinstance(turn, dict) or not isinstance(turn.get("response"), str):
                raise ConfigError(f"{where}: expected an object with a string 'response'")
            state = turn.get("state")
            if state is not None and not (isinstance(state, dict) and all(isinstance(v, dict) for v in state.values())):
                raise ConfigError(f"{where}: 'state' must be an object of domain -> {{slot: value}}")
            active = turn.get("active_domains")
            if active is not None and not (isinstance(active, list) and all(isinstance(d, str) for d in active)):
                raise ConfigError(f"{where}: 'active_domains' must be a list of domain names")
    return data


def _scenarios(domain: Any) -> dict[str, Any]:
    out = {}
    for split in ("val", "test"):  # test wins on a shared id (there is none)
        for s in domain.scenarios(split):
            out[s.meta["dialogue_id"].lower()] = s
    return out


# -- BLEU -----------------------------------------------------------------------------------------------------
_SLOT = re.compile(r"\[([\w\s\d]+)\](?:es|s|-s|-es|)")
_PREFIXES = ("value", "restaurant", "hotel", "attraction", "train", "taxi", "police", "hospital", "booking")
_CANON = {"name": "NAME", "address": "ADDRESS", "area": "AREA", "phone": "PHONE", "postcode": "POST",
          "reference": "REFERENCE", "ref": "REFERENCE", "food": "FOOD", "day": "DAY", "time": "TIME",
          "leave": "TIME", "arrive": "TIME", "leaveat": "TIME", "arriveby": "TIME", "duration": "TIME",
          "departure": "PLACE", "destination": "PLACE", "place": "PLACE", "price": "PRICE", "pricerange": "PRICE",
          "entrancefee": "PRICE", "stars": "COUNT", "stay": "COUNT", "people": "COUNT", "choice": "COUNT",
          "count": "COUNT", "type": "TYPE", "car": "TYPE", "trainid": "TRAINID", "internet": "INTERNET",
          "parking": "PARKING", "department": "DEPARTMENT", "openhours": "OPEN"}


def _canonical_slot(match: re.Match[str]) -> str:
    name = match.group(1).lower().replace(" ", "")
    if name in ("train", "id", "train_id", "value_id"):
        return "TRAINID"
    prefix, _, rest = name.partition("_")
    if prefix in _PREFIXES and rest:
        if rest == "id":
            return "ID"
        name = rest.removeprefix("book")
    return _CANON.get(name, "")


def bleu_normalise(text: str) -> str:
    """A response as mwzeval compares it: lower case, each placeholder as its slot token (``NAME``,
    ``PRICE`` ...), ``-s``/``-ly`` suffixes dropped, whitespace collapsed."""
    text = _SLOT.sub(_canonical_slot, text.lower()).replace("-s", "").replace("-ly", "")
    return " ".join(text.split())


def _bleu(hyps: list[str], refs: list[str]) -> float | None:
    if not hyps:
        return None
    from sacrebleu import corpus_bleu

    return float(corpus_bleu(hyps, [refs], force=True).score)  # tokenised dataset turns: no warning about them


# -- scoring --------------------------------------------------------------------------------------------------
def score_file(data: Mapping[str, list[Mapping[str, Any]]], domain: Any = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-dialogue rows (input order) and the summary of an mwzeval-format file (see the module docstring)."""
    from coalm_env.domains import get_domain
    from coalm_env.domains.multiwoz import mwzeval_def as mwzdef
    from coalm_env.domains.multiwoz import scoring as mwz
    from coalm_env.domains.multiwoz.replay import turn_bookings
    from coalm_env.domains.tod.scoring import Booking, Episode, Reply

    domain = domain if domain is not None else get_domain("multiwoz")
    by_id = _scenarios(domain)
    db = mwzdef.VenueDatabase.load()
    reader = mwzdef.LexicalReader(domain.index)
    rows, hyps, refs = [], [], []
    # a file with placeholders is read as mwzeval reads it, placeholders only (a literal phone number in one of
    # its responses is no PHONE); a file without any is lexicalised and read against the database
    delex = any(mwzdef.is_delexicalised(str(t["response"])) for turns in data.values() for t in turns)
    for given, turns in data.items():
        key = str(given).lower().removesuffix(".json")
        scenario = by_id.get(key)
        if scenario is None:
            raise ConfigError(f"dialogue {given!r} is not a MultiWOZ val/test dialogue")
        system = scenario.meta["system_turns"]
        if len(turns) > len(system):
            raise ConfigError(f"dialogue {given!r}: {len(turns)} turns, but the dataset dialogue has {len(system)}")
        booked, seen = [], set()
        for k in range(len(turns)):
            seen |= {d for d in turn_bookings(scenario, k) if d != "taxi"}
            booked.append(sorted(seen))
        goal = mwzdef.goal_from_dataset(scenario.meta["original_goal"])
        score = mwzdef.score_turns(goal, turns, scenario.meta["gold_states"], booked, None if delex else reader, db)
        row: dict[str, Any] = {"id": given, **score.to_dict(), "delexicalised": delex}
        if delex:
            row.update({"entity_inform": None, "entity_success": None, "entity_inform_domains": None,
                        "entity_success_domains": None})
        else:
            events: list[Any] = []
            for k, t in enumerate(turns):
                events.append(Reply(str(t["response"])))
                if set(booked[k]) - set(booked[k - 1] if k else ()) and mwzdef.is_reference_text(str(t["response"])):
                    for d in set(booked[k]) - set(booked[k - 1] if k else ()):  # a reference the user got
                        events.append(Booking(d, "", {"reference": mwzdef.reference_codes(str(t["response"]))[0]}))
            match, success = mwz.entity_inform_success_domains(scenario, Episode(events), domain.index,
                                                               domain.goal_venues(scenario))
            inform = all(match.values())
            row.update({"entity_inform": int(inform), "entity_success": int(inform and all(success.values())),
                        "entity_inform_domains": {d: int(v) for d, v in match.items()},
                        "entity_success_domains": {d: int(v) for d, v in success.items()} if inform else {}})
        rows.append(row)
        for k, t in enumerate(turns):
            hyps.append(bleu_normalise(str(t["response"])))
            gold = system[k]
            if delex:
                spans = _spans(scenario)
                gold = mwzdef.delexicalise(gold, spans[k]) if k < len(spans) else gold
            refs.append(bleu_normalise(gold))
    return rows, _summary(rows, _bleu(hyps, refs))


_RAW: dict[str, Any] = {}


def _spans(scenario: Any) -> list[list]:
    """The ``span_info`` of each system turn of the scenario's dataset dialogue."""
    from coalm_env import data

    split = scenario.split
    if split not in _RAW:
        _RAW[split] = data.read_json("multiwoz24", "convlab_mwz21_valtest", f"{split}.json")
    log = _RAW[split].get(scenario.meta["dialogue_id"], {}).get("log", [])
    return [t.get("span_info") or [] for t in log[1::2]]


def _rate(values: list[int]) -> float | None:
    return round(100 * sum(values) / len(values), 1) if values else None


def _summary(rows: list[dict[str, Any]], bleu: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {"dialogues": len(rows), "bleu": None if bleu is None else round(bleu, 2)}
    for prefix in ("", "entity_"):
        scored = [r for r in rows if r[f"{prefix}inform"] is not None]
        per: dict[str, dict[str, list[int]]] = {"inform": {}, "success": {}}
        for r in scored:
            for d, v in (r[f"{prefix}inform_domains"] or {}).items():
                per["inform"].setdefault(d, []).append(v)  # as mwzeval: a domain's success over every dialogue
                per["success"].setdefault(d, []).append((r[f"{prefix}success_domains"] or {}).get(d, 0))  # with it
        name = "mwzeval" if not prefix else "entity"
        out[name] = {
            "dialogues": len(scored),
            "inform": _rate([r[f"{prefix}inform"] for r in scored]),
            "success": _rate([r[f"{prefix}success"] for r in scored]),
            "inform_domains": {d: _rate(v) for d, v in sorted(per["inform"].items())},
            "success_domains": {d: _rate(v) for d, v in sorted(per["success"].items())},
        }
    return out


def run(args: argparse.Namespace) -> int:
    data = _read(args.file)
    rows, summary = score_file(data)
    from tabulate import tabulate

    table = []
    for name in ("mwzeval", "entity"):
        s = summary[name]
        if s["dialogues"]:
            table.append([name, s["dialogues"], s["inform"], s["success"]])
        else:
            table.append([name, 0, "-", "- (needs lexicalised responses)"])
    print(tabulate(table, headers=["definition", "dialogues", "inform", "success"], disable_numparse=True))
    print(f"BLEU {summary['bleu']}")
    for d, v in summary["mwzeval"]["inform_domains"].items():
        print(f"  mwzeval {d:<11} inform {v}  success {summary['mwzeval']['success_domains'].get(d)}")
    if args.out is not None:
        with open(args.out, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row) + "\n")
    return 0
