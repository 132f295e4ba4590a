"""Parity of the project's mwzeval-definition Inform/Success with mwzeval itself, dialogue by dialogue.

Inputs: a gold-replay run of the MultiWOZ test split (``coalm-env rollout coalm/MultiWOZ-v0 --policy
gold_replay --user replay --episodes 1000 --out DIR``) and a checkout of mwzeval
(github.com/Tomiinek/MultiWOZ_Evaluation) with a Python that has its requirements (fuzzywuzzy,
python-Levenshtein, sacremoses, lexical-diversity, sacrebleu).

It writes mwzeval's input file from the run: per dialogue and turn, the **gold delexicalised response** (the
dataset's system turn with its ``span_info`` spans as placeholders) and the **belief state the env scored**
(the agent's reported state at that reply), then scores it three ways:

- ``mwzeval``: mwzeval's own ``normalize_data``, active-domain estimate and ``get_dialog_success`` (run in
  mwzeval's Python; its ``goals.json`` is missing from the repository copy available here, so it is
  rebuilt from the dataset goals the way mwzeval's file is laid out, see :func:`goal_json`; its shipped
  ``booked_domains.json`` is used as is);
- ``env (delex)``: the env's ``mwz_inform``/``mwz_success`` of the run (``--run``: the gold-replay policy hands
  each reply's delexicalised form over as ``extra["delex"]``, so the env reads the same placeholders as
  mwzeval; the episode's own bookings);
- ``env (text)``: the same of a text-only run (``--text-run``: ``--policy gold_replay:delex=false``, the
  lexicalised replies read against the database, as for an LLM agent);
- ``offline``: the project's scorer on the same delexicalised file (``coalm-env score-multiwoz``'s code).

Writes ``OUT/summary.json``, ``OUT/per_dialogue.jsonl``, ``OUT/differences.jsonl`` (every dialogue where
env (delex) and mwzeval disagree, with the turns whose tokens or bookings differ), ``OUT/differences_text.jsonl``
(the same for env (text)) and ``OUT/causes.json`` (``{"delex": ..., "text": ...}``). Without a mwzeval
checkout it says so and scores only the project's sides.

    python experiments/mwzeval_parity.py --run DIR --text-run DIR2 --mwzeval /tmp/mwzeval \
        --python /tmp/mwzvenv/bin/python --out experiments/results/mwzeval_parity
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from coalm_env import data
from coalm_env.domains.multiwoz import mwzeval_def as mwzdef
from coalm_env.domains.multiwoz.jga import state_after_steps
from coalm_env.rollout import read_trajectories

_DRIVER = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
from mwzeval.normalization import normalize_data
from mwzeval.utils import get_domain_estimates_from_state, load_goals, load_booked_domains
from mwzeval.database import MultiWOZVenueDatabase
from mwzeval.metrics import get_dialog_success
data = json.load(open(sys.argv[2]))
normalize_data(data)
if not all("active_domains" in t for turns in data.values() for t in turns):
    get_domain_estimates_from_state(data)
db, goals, booked = MultiWOZVenueDatabase(), load_goals(), load_booked_domains()
out = {}
for did, turns in data.items():
    match, success = get_dialog_success(goals[did], booked[did], [t["response"] for t in turns],
                                        [t["state"] for t in turns], [t["active_domains"] for t in turns], db)
    out[did] = {"inform": int(match["total"]), "success": int(success.get("total", False)),
                "match": {k: int(v) for k, v in match.items()}, "active": [t["active_domains"] for t in turns]}
# mwzeval's get_success totals, from the same per-dialogue verdicts (it rounds 100 * mean to one decimal)
agg = {m: {"total": round(100 * sum(v[m] for v in out.values()) / len(out), 1)} for m in ("inform", "success")}
json.dump({"dialogues": out, "aggregate": agg}, open(sys.argv[3], "w"))
'''


def goal_json(goal: dict[str, mwzdef.MwzGoal], raw: dict[str, Any]) -> dict[str, Any]:
    """A goal in mwzeval's ``goals.json`` layout (informable with ``arrive``/``leave``, requestable tokens,
    booking)."""
    out = {}
    for d, g in goal.items():
        informable = {{"arriveBy": "arrive", "leaveAt": "leave"}.get(k, k): v for k, v in g.informable.items()}
        book = {k: v for k, v in ((raw.get(d) or {}).get("book") or {}).items() if k != "invalid"}
        out[d] = {"informable": informable, "requestable": sorted(g.requestable), "booking": book or []}
    return out


def build(run: Path) -> tuple[dict, dict, dict, dict, dict]:
    """mwzeval input (delexicalised gold responses + the env's states), goals, the env's per-dialogue
    scores and its per-turn readings (``lexical``: the tokens the env read, from the handed-over delex
    when the step has one, ``source`` says which)."""
    raw = data.read_json("multiwoz24", "convlab_mwz21_valtest", "test.json")
    from coalm_env.domains import get_domain

    domain = get_domain("multiwoz")
    reader = mwzdef.LexicalReader(domain.index)
    inputs, goals, env, readings, booked = {}, {}, {}, {}, {}
    for traj in read_trajectories(run):
        did = traj.scenario_id.rsplit("-", 1)[-1]
        log = raw[did]["log"]
        system = log[1::2]
        turns, read, refs, booked_now = [], [], [], set()
        for step, state in state_after_steps(traj):
            for call, result in zip(step.calls, step.results):
                if result.ok and call.name.startswith("book_") and isinstance(result.value, dict):
                    booked_now.add(call.name.removeprefix("book_"))
                    refs.append(str(result.value.get("reference", "")))
            if str(step.kind) == "reply" and step.reply:
                k = len(turns)
                if k >= len(system):
                    continue
                turns.append({"response": mwzdef.delexicalise(system[k]["text"], system[k].get("span_info") or []),
                              "state": state})
                delex = mwzdef.step_delex(step)
                tokens = mwzdef.delex_tokens(delex) if delex is not None else reader.tokens(step.reply, refs)
                read.append({"lexical": sorted(tokens), "booked": sorted(booked_now - {"taxi"}),
                             "text": step.reply, "source": "delex" if delex is not None else "text"})
        key = did.lower()
        inputs[key] = turns
        goals[key] = goal_json(mwzdef.goal_from_dataset(raw[did]["goal"]), raw[did]["goal"])
        env[key] = {"inform": int(traj.metrics.get("mwz_inform", 0)), "success": int(traj.metrics.get("mwz_success", 0)),
                    "delex_turns": float(traj.metrics.get("mwz_delex_turns", 0.0)),
                    "entity_inform": int(traj.metrics.get("inform", 0)), "entity_success": int(traj.metrics.get("success", 0))}
        readings[key] = read
        booked[key] = mwzdef.booked_domains(log)
    return inputs, goals, env, readings, booked


def offline(inputs: dict, raw_goals: dict, booked: dict) -> dict[str, dict[str, int]]:
    db = mwzdef.VenueDatabase.load()
    out = {}
    for key, turns in inputs.items():
        goal = mwzdef.goal_from_dataset(raw_goals[key])
        score = mwzdef.score_turns(goal, turns, None, booked[key], None, db)
        out[key] = {"inform": int(score.inform), "success": int(score.success)}
    return out


def run_mwzeval(checkout: Path, python: str, inputs: dict, goals: dict) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mwzeval_copy"
        shutil.copytree(checkout, root, ignore=shutil.ignore_patterns(".git", "predictions"))
        goals_path = root / "mwzeval" / "data" / "goals.json"
        if not goals_path.exists():  # absent from the repository copy here: rebuilt from the dataset goals
            goals_path.write_text(json.dumps(goals), encoding="utf-8")
        (Path(tmp) / "input.json").write_text(json.dumps(inputs), encoding="utf-8")
        (Path(tmp) / "driver.py").write_text(_DRIVER, encoding="utf-8")
        subprocess.run([python, str(Path(tmp) / "driver.py"), str(root), str(Path(tmp) / "input.json"),
                        str(Path(tmp) / "out.json")], check=True)
        return json.loads((Path(tmp) / "out.json").read_text(encoding="utf-8"))


def _agreement(a: dict, b: dict, metric: str) -> float:
    keys = sorted(set(a) & set(b))
    return sum(a[k][metric] == b[k][metric] for k in keys) / len(keys)


def _mean(side: dict, metric: str) -> float:
    return 100 * sum(v[metric] for v in side.values()) / len(side)


def _rescore(goal: dict, inputs: list, tokens: list[set[str]], booked: list) -> dict[str, int]:
    states = [mwzdef.normalise_state(t["state"]) for t in inputs]
    score = mwzdef.dialog_inform_success(goal, tokens, states, booked, mwzdef.estimate_active_domains(states),
                                         mwzdef.VenueDatabase.load())
    return {"inform": int(score.inform), "success": int(score.success)}


def cause(goal: dict, inputs: list, readings: list, gold_booked: list, theirs: dict) -> tuple[str, int | None]:
    """Why env and mwzeval disagree on a dialogue, by ablation on the env's reading: which token kind (or
    the bookings) turns the env's verdict into mwzeval's, and the first turn where it differs."""
    gold = [mwzdef.delex_tokens(t["response"]) for t in inputs]
    env = [set(r["lexical"]) for r in readings]
    env_booked = [r["booked"] for r in readings]
    target = {m: theirs[m] for m in ("inform", "success")}

    def first(kind: str, extra: bool) -> int | None:
        return next((k for k, (e, g) in enumerate(zip(env, gold)) if kind in ((e - g) if extra else (g - e))), None)

    if _rescore(goal, inputs, env, gold_booked) == target and env_booked != gold_booked[:len(env_booked)]:
        return "bookings: the env's episode booked otherwise than the dataset records", \
            next((k for k, (a, b) in enumerate(zip(env_booked, gold_booked)) if a != b), None)
    for kind in mwzdef.TOKENS:
        fewer = [e - ({kind} - g) for e, g in zip(env, gold)]
        if fewer != env and _rescore(goal, inputs, fewer, env_booked) == target:
            return f"env reads {kind} where the gold delexicalisation has none", first(kind, True)
        more = [e | ({kind} & g) for e, g in zip(env, gold)]
        if more != env and _rescore(goal, inputs, more, env_booked) == target:
            return f"gold has a {kind} placeholder the env does not read", first(kind, False)
    if _rescore(goal, inputs, gold, env_booked) == target:
        return "several token kinds differ", next((k for k, (e, g) in enumerate(zip(env, gold)) if e != g), None)
    if _rescore(goal, inputs, gold, gold_booked) == target:
        return "tokens and bookings differ", None
    values = [(k, str(v).lower()) for k, t in enumerate(inputs) for slots in t["state"].values() for v in slots.values()]
    junction = next((k for k, v in values if v == "the junction"), None)
    if junction is not None:
        return ("scorer, deliberate: mwzeval's normaliser rewrites the state's 'the junction' to 'junction theatre', "
                "a name its database lacks, so no venue matches"), junction
    hall = next((k for k, v in values if v == "concert hall"), None)
    if hall is not None:
        return ("scorer, deliberate: the state's type 'concert hall' is the database's 'concerthall' for the project; "
                "mwzeval compares it as written and finds no venue"), hall
    return ("scorer, deliberate: fuzzy names; rapidfuzz's partial_ratio (best alignment) admits another venue than "
            "fuzzywuzzy's heuristic alignment ('arbury lodge guest house' ~ 'bridge guest house': 90.9, under 85 in fuzzywuzzy)"), None


def _cause_table(causes: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = ["| cause | dialogues | example |", "|---|---:|---|"]
    for why, rows in sorted(causes.items(), key=lambda kv: -len(kv[1])):
        ex = next((r for r in rows if r["example"]), rows[0])
        detail = ""
        if ex["example"]:
            e = ex["example"]
            text = " ".join(e["env_text"].split())[:160].replace("|", "/")
            delex = " ".join(e["delex"].split())[:160].replace("|", "/")
            how = "reads (by its handed-over delex)" if e.get("env_source") == "delex" else "reads"
            detail = f" turn {e['turn']}: env {how} `{text}` as {e['env_tokens']}; gold `{delex}` has {e['gold_tokens']}"
        ids = ", ".join(r["id"] for r in rows)
        lines.append(f"| {why} | {len(rows)} | {ex['id']} (env {ex['env']['inform']}/{ex['env']['success']}, mwzeval "
                     f"{ex['mwzeval']['inform']}/{ex['mwzeval']['success']}){detail}. All: {ids} |")
    return lines


def write_readme(path: Path, summary: dict[str, Any], causes: dict[str, dict[str, list[dict[str, Any]]]],
                 command: str) -> None:
    """``README.md``: the agreement tables and every kind of remaining difference with an example."""
    import datetime
    import platform

    env, off, text = summary["env"], summary["offline"], summary.get("env_text")
    theirs = summary.get("mwzeval")
    lines = ["# mwzeval parity: the project's mwzeval-definition Inform/Success against mwzeval itself", "",
             f"Written by `experiments/mwzeval_parity.py` on {datetime.date.today().isoformat()} "
             f"({platform.machine()}, Python {platform.python_version()}):", "", f"    {command}", "",
             "Inputs: two gold replays of the 1,000 MultiWOZ test dialogues, `coalm-env rollout coalm/MultiWOZ-v0 "
             "--policy gold_replay --user replay --episodes 1000` (`--run`: the policy hands each reply's "
             "delexicalised form over as `AgentAction(text, extra={\"delex\": ...})`, the dataset's turn with its "
             "2.1 `span_info` as placeholders) and the same with `--policy gold_replay:delex=false` (`--text-run`: "
             "text only, the env reads the lexicalised reply as it does for an LLM agent). Both runs have the same "
             "states and turns (checked). mwzeval's input is, per turn, the same delexicalised gold turn and the "
             "belief state the env scored (the replayed 2.4 state). mwzeval's `goals.json` is absent from the "
             "repository copy available here (blob over the size limit), so it is rebuilt from the dataset goals "
             "in its layout (informable = `info`, requestable = `reqt` mapped to PHONE/ADDRESS/POST/TRAINID plus "
             "REFERENCE with a booking; equal, on the val/test dialogues among the first entries of a public copy "
             "(jennycs0830/Confidence_Score_DST), to SNG0073 and PMUL1635 as written there); its "
             "`booked_domains.json` is used as shipped (equal to the dataset's booking records on all 1,000 "
             "dialogues).", ""]
    heads = ["env (delex)"] + (["env (text)"] if text else []) + ["ours offline (same delexicalised file)", "mwzeval"]
    lines += [f"| Inform / Success (%) | {' | '.join(heads)} |", "|---|" + "---:|" * len(heads)]
    for m in ("inform", "success"):
        cells = [f"{env[m]:.1f}"] + ([f"{text[m]:.1f}"] if text else []) + [f"{off[m]:.1f}",
                                                                             f"{theirs[m]:.1f}" if theirs else "(not run)"]
        lines.append(f"| {m} | {' | '.join(cells)} |")
    if theirs:
        a, b = summary["agreement_env_vs_mwzeval"], summary["agreement_offline_vs_mwzeval"]
        t = summary.get("agreement_env_text_vs_mwzeval")
        heads = ["env (delex)"] + (["env (text)"] if t else []) + ["ours offline"]
        lines += ["", f"| per-dialogue agreement with mwzeval | {' | '.join(heads)} |", "|---|" + "---:|" * len(heads)]
        for m in ("inform", "success"):
            cells = [f"{100 * a[m]:.1f}%"] + ([f"{100 * t[m]:.1f}%"] if t else []) + [f"{100 * b[m]:.1f}%"]
            lines.append(f"| {m} | {' | '.join(cells)} |")
    lines += ["", f"Reply turns read from a handed-over delex (`mwz_delex_turns`, mean per episode): env (delex) "
                  f"{env['delex_turns']:.3f}" + (f", env (text) {text['delex_turns']:.3f}" if text else "") + ".",
              f"The project's entity definition on the same run (it reads the text in both runs): inform "
              f"{env['entity_inform']:.1f}, success {env['entity_success']:.1f}.", "",
              "`ours offline` isolates the scorer (same tokens, same states, same bookings as mwzeval). `env (delex)` "
              "reads the same placeholders online, with the episode's own bookings and the agent's state after each "
              "reply. `env (text)` reads the lexicalised text instead, which sees values the 2.1 span annotation "
              "leaves as plain text (the reading an LLM agent gets). mwzeval's published gold row (93.7 / 90.9) "
              "uses the MultiWOZ 2.2 spans and states, which are not available here.", ""]
    notes = {"delex": "env (delex)", "text": "env (text)"}
    for name, side_causes in causes.items():
        lines += [f"## Remaining differences, {notes[name]} against mwzeval (every disagreeing dialogue)", ""]
        if name == "delex":
            lines += ["Per dialogue and turn: `differences.jsonl`, `causes.json[\"delex\"]`. Cause found as below.", ""]
        else:
            lines += ["Cause found by ablation on the env's reading: the smallest change (one token kind added or "
                      "removed, or the dataset's bookings instead of the episode's) that gives mwzeval's verdict. A "
                      "cause `env reads X where the gold delexicalisation has none` is a value the wizard's text holds "
                      "that the 2.1 span annotation left as plain text (or put under another slot); `gold has a X "
                      "placeholder the env does not read` would be a miss of the env's reader. Per dialogue and turn: "
                      "`differences_text.jsonl`, `causes.json[\"text\"]`.", ""]
        lines += (_cause_table(side_causes) if side_causes else ["(none)"]) + [""]
    if summary.get("predictions"):
        lines += ["## Published system outputs (mwzeval's `predictions/`, with their own states)", "",
                  "`coalm-env score-multiwoz` (the offline scorer) against mwzeval on the same files:", "",
                  "| file | dialogues | Inform ours / mwzeval | Success ours / mwzeval | agreement Inform / Success |",
                  "|---|---:|---:|---:|---:|"]
        for p in summary["predictions"]:
            lines.append(f"| {p['file']} | {p['dialogues']} | {p['ours']['inform']} / {p['mwzeval']['inform']} | "
                         f"{p['ours']['success']} / {p['mwzeval']['success']} | {100 * p['agreement']['inform']:.1f}% / "
                         f"{100 * p['agreement']['success']:.1f}% |")
        lines.append("")
    lines += ["## Deliberate differences of the project's implementation", "",
              "- Fuzzy venue matching with rapidfuzz's `partial_ratio` (rounded as fuzzywuzzy rounds), not fuzzywuzzy.",
              "- State values normalised with the project's `dst_value` (mwzeval's tables and a few more forms: "
              "`4 star`, upper case, `guest houses`).",
              "- mwzeval's normaliser rewrites `the junction` to `junction theatre` (also `rosa's`, `parkside "
              "pools`, `city center b and b`), names its own database lookup then misses or only fuzzily finds: "
              "the project maps a variant only onto a name the database has.",
              "- The attraction table: mwzeval's copy spells `multiple sports`; the dataset's file `mutliple "
              "sports`: the project reads the table with the spelling fixed, as mwzeval's copy has it.",
              "- Online, every agent reply is a turn, with the agent's own state and bookings; a reference token "
              "counts once the episode booked the domain (mwzeval: the dataset's booking record).",
              "- Online, a reply with a handed-over delex is read by its placeholders only (mwzeval's reading); a "
              "reply without one is read from its text (see `env (text)`).", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def compare_predictions(files: list[Path], checkout: Path, python: str, goals: dict) -> list[dict[str, Any]]:
    """mwzeval and ``score-multiwoz``'s scorer on published system outputs in mwzeval's format (those with
    states: mwzeval would fall back to MultiWOZ 2.2 gold states, which are not here)."""
    from coalm_env.cli.score_multiwoz import score_file

    out = []
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not all("state" in t for turns in data.values() for t in turns):
            continue
        ours_rows, ours = score_file(data)
        theirs = run_mwzeval(checkout, python, data, goals)
        per = {r["id"]: r for r in ours_rows}
        keys = sorted(set(per) & set(theirs["dialogues"]))
        agree = {m: sum(per[k][m] == theirs["dialogues"][k][m] for k in keys) / len(keys) for m in ("inform", "success")}
        out.append({"file": path.name, "dialogues": len(keys), "ours": {m: ours["mwzeval"][m] for m in ("inform", "success")},
                    "mwzeval": {m: theirs["aggregate"][m]["total"] for m in ("inform", "success")}, "agreement": agree,
                    "active_domains_given": all("active_domains" in t for turns in data.values() for t in turns)})
        print(json.dumps(out[-1]), file=sys.stderr)
    return out


def differences(inputs: dict, env: dict, readings: dict, booked: dict, theirs: dict, raw_goals: dict,
                path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every dialogue where one env reading and mwzeval disagree, written to ``path`` with the turns whose
    tokens or bookings differ; returns the dialogues grouped by :func:`cause`."""
    causes: dict[str, list[dict[str, Any]]] = {}
    with open(path, "w", encoding="utf-8") as diff:
        for key in sorted(inputs):
            if all(env[key][m] == theirs[key][m] for m in ("inform", "success")):
                continue
            row = {"id": key, "env": env[key], "mwzeval": {m: theirs[key][m] for m in ("inform", "success")}}
            turns = []
            for k, (turn, read) in enumerate(zip(inputs[key], readings[key])):
                gold = sorted(mwzdef.delex_tokens(turn["response"]))
                gold_booked = booked[key][k] if k < len(booked[key]) else []
                if gold != read["lexical"] or gold_booked != read["booked"]:
                    turns.append({"turn": k, "delex": turn["response"], "gold_tokens": gold, "env_tokens": read["lexical"],
                                  "env_source": read["source"], "gold_booked": gold_booked, "env_booked": read["booked"],
                                  "active": theirs[key]["active"][k]})
            why, turn = cause(mwzdef.goal_from_dataset(raw_goals[key]), inputs[key], readings[key], booked[key],
                              theirs[key])
            example = None
            if turn is not None and turn < len(readings[key]):
                example = {"turn": turn, "delex": inputs[key][turn]["response"], "env_text": readings[key][turn]["text"],
                           "env_source": readings[key][turn]["source"],
                           "gold_tokens": sorted(mwzdef.delex_tokens(inputs[key][turn]["response"])),
                           "env_tokens": readings[key][turn]["lexical"]}
            causes.setdefault(why, []).append({"id": key, "env": env[key], "mwzeval": row["mwzeval"], "example": example})
            diff.write(json.dumps({**row, "cause": why, "mwzeval_match": theirs[key]["match"], "turns": turns}) + "\n")
    return dict(sorted(causes.items(), key=lambda kv: -len(kv[1])))


def _side(env: dict) -> dict[str, float]:
    out = {m: _mean(env, m) for m in ("inform", "success", "entity_inform", "entity_success")}
    out["delex_turns"] = sum(v["delex_turns"] for v in env.values()) / len(env)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True,
                        help="gold-replay run directory (test split; the policy hands over each reply's delex)")
    parser.add_argument("--text-run", type=Path, default=None,
                        help="a text-only gold-replay run of the same dialogues (--policy gold_replay:delex=false)")
    parser.add_argument("--mwzeval", type=Path, default=Path("/tmp/mwzeval"), help="mwzeval checkout")
    parser.add_argument("--python", default=sys.executable, help="a Python with mwzeval's requirements")
    parser.add_argument("--out", type=Path, default=Path("experiments/results/mwzeval_parity"))
    parser.add_argument("--predictions", nargs="*", type=Path, default=[],
                        help="also compare on these system-output files (mwzeval's predictions/*.json with states)")
    args = parser.parse_args(argv)
    raw = data.read_json("multiwoz24", "convlab_mwz21_valtest", "test.json")
    raw_goals = {k.lower(): v["goal"] for k, v in raw.items()}
    inputs, goals, env, readings, booked = build(args.run)
    sides = {"delex": (env, readings)}
    if args.text_run is not None:
        text_inputs, _goals, text_env, text_readings, _booked = build(args.text_run)
        if text_inputs != inputs:  # the same dialogues, states and gold responses: only the reading differs
            raise SystemExit("--text-run is not a replay of the same dialogues with the same states as --run")
        sides["text"] = (text_env, text_readings)
    ours_offline = offline(inputs, raw_goals, booked)
    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"dialogues": len(inputs), "env": _side(env),
                               "offline": {m: _mean(ours_offline, m) for m in ("inform", "success")}}
    if "text" in sides:
        summary["env_text"] = _side(sides["text"][0])
    theirs = None
    if (args.mwzeval / "mwzeval" / "metrics.py").exists():
        result = run_mwzeval(args.mwzeval, args.python, inputs, goals)
        theirs = result["dialogues"]
        summary["mwzeval"] = {m: _mean(theirs, m) for m in ("inform", "success")}
        summary["mwzeval_aggregate"] = {m: result["aggregate"][m]["total"] for m in ("inform", "success")}
        summary["agreement_env_vs_mwzeval"] = {m: _agreement(env, theirs, m) for m in ("inform", "success")}
        if "text" in sides:
            summary["agreement_env_text_vs_mwzeval"] = {m: _agreement(sides["text"][0], theirs, m)
                                                        for m in ("inform", "success")}
        summary["agreement_offline_vs_mwzeval"] = {m: _agreement(ours_offline, theirs, m) for m in ("inform", "success")}
        if args.predictions:
            all_goals = {k.lower(): goal_json(mwzdef.goal_from_dataset(v["goal"]), v["goal"]) for k, v in raw.items()}
            summary["predictions"] = compare_predictions(args.predictions, args.mwzeval, args.python, all_goals)
        summary["goals_json"] = "rebuilt from the dataset goals (absent from the checkout)" \
            if not (args.mwzeval / "mwzeval" / "data" / "goals.json").exists() else "the checkout's"
    else:
        print(f"mwzeval checkout not found at {args.mwzeval}: scored the project's sides only", file=sys.stderr)
    summary["agreement_env_vs_offline"] = {m: _agreement(env, ours_offline, m) for m in ("inform", "success")}
    with open(args.out / "per_dialogue.jsonl", "w", encoding="utf-8") as fh:
        for key in sorted(inputs):
            row = {"id": key, "env": env[key], "offline": ours_offline[key]}
            if "text" in sides:
                row["env_text"] = sides["text"][0][key]
            if theirs is not None:
                row["mwzeval"] = {m: theirs[key][m] for m in ("inform", "success")}
            fh.write(json.dumps(row) + "\n")
    causes: dict[str, dict[str, list[dict[str, Any]]]] = {}
    if theirs is not None:
        for name, (side_env, side_readings) in sides.items():
            path = args.out / ("differences.jsonl" if name == "delex" else f"differences_{name}.jsonl")
            causes[name] = differences(inputs, side_env, side_readings, booked, theirs, raw_goals, path)
    summary["causes"] = {name: {why: len(rows) for why, rows in c.items()} for name, c in causes.items()}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (args.out / "causes.json").write_text(json.dumps(causes, indent=1) + "\n", encoding="utf-8")
    command = "python -m experiments.mwzeval_parity " + " ".join(argv if argv is not None else sys.argv[1:])
    write_readme(args.out / "README.md", summary, causes, command)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
