"""BFCL strict mode on perturbed ground truths: official vs strict pass rates per perturbation kind.

Each kind alters the ground truth of real entries (all four categories) in one seeded way; an entry
where the kind does not apply (no write to duplicate, no empty turn, ...) is skipped. Harmless kinds
must pass both verdicts; every other kind must fail strict with its own reason
(:mod:`coalm_env.domains.bfcl.strict`). The official verdict is the project's checker, matched entry
for entry with ``bfcl_eval``'s (tests/test_bfcl_checker.py); ``--bfcl-eval`` also runs the official
code itself on every perturbed result (its ``eval`` only ever sees the dataset's ground truth and the
call strings written below) and reports where it disagrees.

    python experiments/bfcl_strict_eval.py                              # all 800 entries, seed 0
    python experiments/bfcl_strict_eval.py --per-category 50 --seed 1
    python experiments/bfcl_strict_eval.py --out experiments/results/bfcl_strict/table.md --bfcl-eval
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import platform
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repo root holds coalm_env
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coalm_env.domains.bfcl.apis import full_graph
from coalm_env.domains.bfcl.calls import parse_call
from coalm_env.domains.bfcl.checker import check_entry, gold_calls
from coalm_env.domains.bfcl.entries import CATEGORIES, BFCLEntry, load_entries
from coalm_env.domains.bfcl.runtime import signatures
from coalm_env.domains.bfcl.strict import strict_check, turn_dependencies
from coalm_env.types import ToolCall

#: read-only calls that succeed in every state of every entry (checked over all 800 entries, each turn)
READS = {
    "GorillaFileSystem": ("pwd()", "ls()", "ls(a=True)"),
    "MathAPI": ("add(a=2, b=3)", "sum_values(numbers=[1, 2, 3])"),
    "MessageAPI": ("list_users()", "message_get_login_status()"),
    "TwitterAPI": ("posting_get_login_status()",),
    "TicketAPI": ("ticket_get_login_status()",),
    "TradingBot": ("get_current_time()", "trading_get_login_status()", "get_watchlist()"),
    "TravelAPI": ("list_all_airports()", "travel_get_login_status()", "get_budget_fiscal_year()"),
    "VehicleControlAPI": ("check_tire_pressure()", "get_current_speed()", "displayCarStatus(option='fuel')"),
}
#: read-only calls that error in every state of every entry (same check)
ERRORS = {
    "GorillaFileSystem": ("cd(folder='zz_no_such_folder')", "cat(file_name='zz_no_such_file.txt')"),
    "MathAPI": ("divide(a=1, b=0)", "square_root(number=-4, precision=2)"),
    "MessageAPI": ("get_user_id(user='zz_nobody')",),
    "TwitterAPI": ("get_tweet(tweet_id=987654)",),
    "TicketAPI": ("get_ticket(ticket_id=-1)",),
    "TradingBot": ("get_stock_info(symbol='ZZZZ')", "get_order_details(order_id=987654)"),
    "TravelAPI": ("compute_exchange_rate(base_currency='ZZZ', target_currency='YYY', value=1.0)",),
    "VehicleControlAPI": ("displayCarStatus(option='zz_part')", "estimate_distance(cityA='00000', cityB='99999')"),
}

Flat = list[list[ToolCall]]  # the calls of each turn, in order
Perturb = Callable[[BFCLEntry, random.Random], "Flat | None"]


def gold_flat(entry: BFCLEntry) -> Flat:
    return [list(turn) for turn in gold_calls(entry)]


def layout(turns: Flat, split: bool = False) -> list[list[list[ToolCall]]]:
    """BFCL's result layout: per turn, per step; one step per turn, or one call per step."""
    return [[[c] for c in calls] if split else ([list(calls)] if calls else []) for calls in turns]


def _call(text: str) -> ToolCall:
    return parse_call(text, signatures(READS))


def _insert(turns: Flat, call: ToolCall, rng: random.Random) -> Flat:
    t = rng.randrange(len(turns))
    turns[t].insert(rng.randrange(len(turns[t]) + 1), call)
    return turns


def _writes(call: ToolCall) -> bool:
    return full_graph().spec(call.name).writes


# -- harmless ---------------------------------------------------------------------------------
def extra_read(entry: BFCLEntry, rng: random.Random) -> Flat:
    """A read-only call of one of the entry's classes, anywhere."""
    call = _call(rng.choice(READS[rng.choice(entry.involved_classes)]))
    return _insert(gold_flat(entry), call, rng)


def split_steps(entry: BFCLEntry, rng: random.Random) -> Flat:
    """Every turn played one call per step (see :func:`layout`)."""
    return gold_flat(entry)


def swap_reads(entry: BFCLEntry, rng: random.Random) -> Flat | None:
    """Two different ground-truth reads of a turn, with only reads between them and no data dependency
    linking either to the other or to a call between them, swapped."""
    turns, deps = gold_flat(entry), turn_dependencies(entry)
    pairs = []
    for t, calls in enumerate(turns):
        for i, j in itertools.combinations(range(len(calls)), 2):
            if all(not _writes(c) for c in calls[i : j + 1]) and calls[i] != calls[j] and not any(
                    {a, b} & {i, j} and i <= min(a, b) and max(a, b) <= j for a, b, _ in deps[t]):
                pairs.append((t, i, j))
    if not pairs:
        return None
    t, i, j = rng.choice(pairs)
    turns[t][i], turns[t][j] = turns[t][j], turns[t][i]
    return turns


# -- must fail strict -------------------------------------------------------------------------
def unknown_function(entry: BFCLEntry, rng: random.Random) -> Flat:
    """A call of a function of a class the entry does not involve (it exists nowhere for the entry)."""
    others = [c for c in READS if c not in entry.involved_classes]
    return _insert(gold_flat(entry), _call(rng.choice(READS[rng.choice(others)])), rng)


def errored_call(entry: BFCLEntry, rng: random.Random) -> Flat:
    """A read of one of the entry's classes that errors, anywhere."""
    return _insert(gold_flat(entry), _call(rng.choice(ERRORS[rng.choice(entry.involved_classes)])), rng)


def duplicated_write(entry: BFCLEntry, rng: random.Random) -> Flat | None:
    """A ground-truth write made once more, later in the same turn."""
    turns = gold_flat(entry)
    spots = [(t, i) for t, calls in enumerate(turns) for i, c in enumerate(calls) if _writes(c)]
    if not spots:
        return None
    t, i = rng.choice(spots)
    turns[t].insert(rng.randrange(i + 1, len(turns[t]) + 1), turns[t][i])
    return turns


def moved_to_other_turn(entry: BFCLEntry, rng: random.Random) -> Flat | None:
    """A turn's last ground-truth call made at the start of the next turn, or its first call at the end
    of the previous turn."""
    turns = gold_flat(entry)
    moves = [(t, d) for t, calls in enumerate(turns) if calls for d in (-1, 1) if 0 <= t + d < len(turns)]
    if not moves:
        return None
    t, d = rng.choice(moves)
    if d == 1:
        turns[t + 1].insert(0, turns[t].pop())
    else:
        turns[t - 1].append(turns[t].pop(0))
    return turns


def dependent_swapped(entry: BFCLEntry, rng: random.Random) -> Flat | None:
    """A ground-truth call moved before the call whose result it uses."""
    turns, deps = gold_flat(entry), turn_dependencies(entry)
    spots = [(t, i, j) for t, ds in enumerate(deps) for i, j, _ in ds]
    if not spots:
        return None
    t, i, j = rng.choice(spots)
    turns[t].insert(i, turns[t].pop(j))
    return turns


def write_in_empty_turn(entry: BFCLEntry, rng: random.Random) -> Flat | None:
    """The first write of a later turn made early, in a turn whose ground truth is empty (as a model
    that acts before the user gave the missing value or before the function was added)."""
    turns = gold_flat(entry)
    spots = []
    for t, calls in enumerate(turns):
        if not calls:
            later = next((c for u in turns[t + 1:] for c in u if _writes(c)), None)
            if later is not None:
                spots.append((t, later))
    if not spots:
        return None
    t, call = rng.choice(spots)
    turns[t].append(call)
    return turns


#: kind -> (perturbation, must pass strict, the reason expected when not)
KINDS: dict[str, tuple[Perturb, bool, str | None]] = {
    "gold": (lambda e, r: gold_flat(e), True, None),
    "extra_read": (extra_read, True, None),
    "split_steps": (split_steps, True, None),
    "swap_independent_reads": (swap_reads, True, None),
    "unknown_function": (unknown_function, False, "unknown_function"),
    "errored_call": (errored_call, False, "errored_call"),
    "duplicated_write": (duplicated_write, False, "repeated_write"),
    "moved_to_other_turn": (moved_to_other_turn, False, "missing_gold_call"),
    "dependent_order_swapped": (dependent_swapped, False, "dependency_order"),
    "write_in_empty_turn": (write_in_empty_turn, False, "write_in_empty_turn"),
}


def perturbed(kind: str, entry: BFCLEntry, seed: int) -> list[list[list[ToolCall]]] | None:
    """The result layout of ``kind`` on ``entry`` (``None`` when the kind does not apply)."""
    flat = KINDS[kind][0](entry, random.Random(f"{seed}:{kind}:{entry.id}"))
    return None if flat is None else layout(flat, split=kind == "split_steps")


NOTES = ("n: entries where the kind applies. Pass official: the project's checker (matched entry for entry with "
         "bfcl_eval); the last column, where present, is the share where bfcl_eval's own checker gives the same "
         "verdict. Expected reason: share of entries whose strict reasons include it.")

_RUN = itertools.count()


def bfcl_eval_valid(entry: BFCLEntry, turns: Sequence[Sequence[Sequence[ToolCall]]]) -> bool:
    """The verdict of the official ``bfcl_eval`` code itself (turn count, then its checker)."""
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker

    if len(turns) != len(entry.ground_truth):
        return False
    strings = [[[c.signature() for c in step] for step in turn if step] for turn in turns]
    test_entry = {"id": entry.id, "initial_config": entry.initial_config, "involved_classes": entry.involved_classes}
    out = multi_turn_checker(strings, entry.ground_truth, test_entry, entry.category, f"coalm_strict_{next(_RUN)}")
    return bool(out["valid"])


def evaluate(entries: Sequence[BFCLEntry], seed: int, with_bfcl_eval: bool = False) -> list[dict]:
    rows = []
    for kind, (_, must_pass, reason) in KINDS.items():
        n = official = strict = reasoned = agree = 0
        for entry in entries:
            turns = perturbed(kind, entry, seed)
            if turns is None:
                continue
            verdict = check_entry(entry, turns)
            sv = strict_check(entry, turns, verdict)
            n += 1
            official += verdict.valid
            strict += sv.valid
            reasoned += reason in sv.kinds if reason else sv.valid
            if with_bfcl_eval:
                agree += bfcl_eval_valid(entry, turns) == verdict.valid
        share = (lambda k: k / n if n else None)
        row = {"kind": kind, "expect": "pass" if must_pass else "fail", "n": n, "official": share(official),
               "strict": share(strict), "reason": share(reasoned) if reason else None, "reason_kind": reason}
        if with_bfcl_eval:
            row["bfcl_eval_agree"] = share(agree)
        rows.append(row)
    return rows


def dependency_stats(entries: Sequence[BFCLEntry]) -> str:
    """How the data-flow dependencies compare with the API graph's doc edges on the ground truths."""
    edges = {(d.source, d.target) for d in full_graph().dependencies()}
    flow = flow_on_edge = turns = doc_pairs = doc_only = 0
    for entry in entries:
        for calls, deps in zip(gold_calls(entry), turn_dependencies(entry)):
            pairs = {(i, j) for i, j, _ in deps}
            turns += bool(pairs)
            flow += len(pairs)
            flow_on_edge += sum((calls[i].name, calls[j].name) in edges for i, j in pairs)
            for i, j in itertools.combinations(range(len(calls)), 2):
                if (calls[i].name, calls[j].name) in edges and calls[i].name != calls[j].name:
                    doc_pairs += 1
                    doc_only += (i, j) not in pairs
    return (f"Data dependencies in the ground truths: {flow} in {turns} turns, {flow_on_edge} of them along a doc "
            f"edge of the API graph; {doc_pairs} ordered pairs of ground-truth calls of a turn are joined by a doc "
            f"edge, {doc_only} of them without a value flowing.")


def markdown(rows: Sequence[dict]) -> str:
    agree = "bfcl_eval_agree" in rows[0]
    head = "| kind | strict should | n | pass official | pass strict | expected reason (share) |"
    head += " official = bfcl_eval |" if agree else ""
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    for r in rows:
        why = f"`{r['reason_kind']}` ({rate(r['reason'])})" if r["reason_kind"] else "-"
        line = f"| {r['kind']} | {r['expect']} | {r['n']} | {rate(r['official'])} | {rate(r['strict'])} | {why} |"
        lines.append(line + (f" {rate(r['bfcl_eval_agree'])} |" if agree else ""))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-category", type=int, default=None, help="first N entries of each category")
    parser.add_argument("--bfcl-eval", action="store_true", help="also run the official bfcl_eval checker")
    parser.add_argument("--out", type=Path, default=None, help="write the table (markdown) there too")
    args = parser.parse_args(argv)
    entries = [e for c in CATEGORIES for e in load_entries(c)[: args.per_category]]
    rows = evaluate(entries, args.seed, args.bfcl_eval)
    table, deps = markdown(rows), dependency_stats(entries)
    print(table + "\n\n" + deps)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        command = "python experiments/bfcl_strict_eval.py " + " ".join(argv if argv is not None else sys.argv[1:])
        when = f"{datetime.date.today().isoformat()}, {platform.node() or 'unknown host'} ({platform.python_version()})"
        args.out.write_text(f"# BFCL strict mode on perturbed ground truths\n\n{table}\n\n{deps}\n\n"
                            f"Command: `{command.strip()}` over {len(entries)} entries ({', '.join(CATEGORIES)}), "
                            f"seed {args.seed}; {when}. {NOTES}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
