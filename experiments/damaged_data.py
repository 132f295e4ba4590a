"""Damaged-dataset harness (issue 16): every damage to a dataset file is one clear ``error:`` line.

    python -m experiments.damaged_data [--mode checksum|schema] [--only SUBSTRING] [--out DIR]

The mirror (``COALM_ENV_DATA`` or ../shared/data) is copied, one dataset at a time, into a temporary
data root holding only that dataset. For each case (a file of the dataset and a damage: emptied,
truncated, half its entries, replaced by another file, garbage bytes, a BOM, a Latin-1 byte, a torn
JSON line, a duplicated entry, a folder in its place, deleted; an extra or a missing file in a folder
the loaders list) the damage is applied to the copy, then ``coalm-env list`` and ``coalm-env rollout``
of the dataset's env run in fresh processes against it, and the copy is restored. Each command's
outcome is one of:

- ``error``: exit status 2 and exactly one stderr line, ``error: ...`` naming the damaged file
  (``list``: the env's row names the file instead of ``ready``);
- ``error, file not named``: an ``error:`` line that does not name the file;
- ``traceback``: a Python traceback (must never happen);
- ``accepted``: exit status 0 (``list``: the row says ``ready``): the damage went unnoticed (must
  never happen);
- ``other``: anything else.

An intact run of every command comes first (it must be ``accepted``). The table goes to
``experiments/results/damaged_data/table.md`` (``table-schema.md`` for ``--mode schema``), with the
counts, the machine and the date; ``cases.json`` beside it holds every case's stderr tail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MIRROR = ROOT.parent / "shared" / "data"
OUT = ROOT / "experiments" / "results" / "damaged_data"

#: dataset -> (folder under the data root, env id played, files damaged)
DATASETS: dict[str, tuple[str, str, list[str]]] = {
    "multiwoz24": ("multiwoz24", "coalm/MultiWOZ-v0", [
        "ontology.json", "testListFile.json", "db/restaurant_db.json", "db_convlab2/police_db.json",
        "convlab_mwz21_valtest/test.json", "dialogues/mwz24_test_reconstructed.json",
    ]),
    "apibank": ("api-bank", "coalm/APIBank-v0", [
        "api_descriptions.json", "lv3_api_descriptions.json", "init_database/Agenda.json", "test-data/level-3.json",
        "lv1-lv2-samples/level-1-given-desc/AddAgenda-level-1-1.jsonl",
        "lv1-lv2-samples/level-2-toolsearcher/AddAgenda-level-3-1.jsonl",
    ]),
    "bfcl": ("bfcl/v3", "coalm/BFCL-MultiTurn-v0", [
        "BFCL_v3_multi_turn_base.json", "possible_answer/BFCL_v3_multi_turn_base.json",
        "multi_turn_func_doc/math_api.json", "BFCL_v3_multi_turn_miss_func.json",
    ]),
}
#: the file another file is replaced by (a valid file of the same dataset, of another structure)
REPLACEMENT = {"multiwoz24": "db/hotel_db.json", "apibank": "lv3_api_descriptions.json",
               "bfcl": "multi_turn_func_doc/message_api.json"}
LISTED = {"apibank": ["lv1-lv2-samples/level-1-given-desc", "lv1-lv2-samples/level-2-toolsearcher"]}


def _kind(dataset: str, rel: str) -> str:
    if rel.endswith("ListFile.json"):
        return "text"
    if rel.endswith(".jsonl") or dataset == "bfcl":
        return "jsonl"
    return "json"


def _lines(raw: bytes) -> list[bytes]:
    return [line for line in raw.split(b"\n") if line.strip()]


def _half_entries(kind: str, raw: bytes) -> bytes:
    if kind != "json":
        lines = _lines(raw)
        return b"\n".join(lines[: max(1, len(lines) // 2)]) + b"\n"
    value = json.loads(raw)
    if isinstance(value, list):
        value = value[: len(value) // 2]
    elif isinstance(value, dict):
        value = dict(list(value.items())[: len(value) // 2])
    return json.dumps(value, indent=1).encode()


def _duplicated(kind: str, raw: bytes) -> bytes:
    if kind != "json":
        lines = _lines(raw)
        return b"\n".join([*lines, lines[0]]) + b"\n"
    value = json.loads(raw)
    if isinstance(value, list) and value:
        return json.dumps([*value, value[0]]).encode()
    if isinstance(value, dict) and value:
        first = next(iter(value))
        return json.dumps({**value, f"{first}_copy": value[first]}).encode()
    return raw + b" "


def _torn(kind: str, raw: bytes) -> bytes:
    lines = _lines(raw)
    return b"\n".join(lines[:-1] + [lines[-1][: len(lines[-1]) // 2]]) + b"\n"


def _emptied(kind: str, raw: bytes) -> bytes:
    if kind != "json":
        return b""
    return b"[]" if raw.lstrip().startswith(b"[") else b"{}"


def _wrong_type(kind: str, raw: bytes) -> bytes:
    if kind != "json":
        return b'{"not": "a line"}\n' if kind == "jsonl" else b"{}\n"
    return b"[" + raw + b"]"


def damages(dataset: str, rel: str) -> dict[str, Any]:
    """``{damage name: bytes -> bytes | None (delete) | "folder"}`` that apply to ``rel``."""
    kind = _kind(dataset, rel)
    rng = random.Random(f"{dataset}/{rel}")
    out: dict[str, Any] = {
        "empty file": lambda raw: b"",
        "truncated (half the bytes)": lambda raw: raw[: len(raw) // 2],
        "half the entries (valid)": lambda raw: _half_entries(kind, raw),
        "emptied (valid, no entries)": lambda raw: _emptied(kind, raw),
        "one entry duplicated": lambda raw: _duplicated(kind, raw),
        "another type (valid)": lambda raw: _wrong_type(kind, raw),
        "garbage bytes": lambda raw: bytes(rng.randrange(256) for _ in range(min(len(raw), 4096))),
        "UTF-8 BOM added": lambda raw: b"\xef\xbb\xbf" + raw,
        "a Latin-1 byte inside": lambda raw: raw[: len(raw) // 2] + b"\xe9" + raw[len(raw) // 2:],
        "a folder in its place": lambda raw: "folder",
        "missing": lambda raw: None,
    }
    if kind == "jsonl":
        out["torn last line"] = lambda raw: _torn(kind, raw)
    if rel != REPLACEMENT[dataset]:
        out["replaced by another file"] = "replace"
    return out


# -- running one case -------------------------------------------------------------------------------------
def _commands(env_id: str, out_dir: Path) -> dict[str, list[str]]:
    return {
        "list": ["list"],
        "rollout": ["rollout", env_id, "--policy", "oracle", "--episodes", "1", "--no-progress", "--out", str(out_dir)],
    }


def _run(argv: list[str], root: Path, mode: str, timeout: float = 600.0) -> tuple[int, str, str, float]:
    env = {**os.environ, "COALM_ENV_DATA": str(root), "COALM_ENV_DATA_CHECK": mode, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "coalm_env.cli", *argv], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout, check=False)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start


def classify(command: str, env_id: str, rc: int, stdout: str, stderr: str, needle: str | None) -> str:
    """The outcome of one command (see the module docstring); ``needle``: the damaged file's name."""
    if "Traceback (most recent call last)" in stderr or "Traceback (most recent call last)" in stdout:
        return "traceback"
    if command == "list":
        rows = [line for line in stdout.splitlines() if line.startswith(env_id + " ")]
        if rc != 0 or not rows:
            return "other"
        if rows[0].rstrip().endswith("ready"):
            return "accepted"
        return "error" if needle is None or needle in rows[0] else "error, file not named"
    if rc == 0:
        return "accepted"
    lines = [line for line in stderr.splitlines() if line.strip()]
    if rc == 2 and len(lines) == 1 and lines[0].startswith("error: "):
        return "error" if needle is None or needle in lines[0] else "error, file not named"
    return "other"


def _apply(path: Path, damage: Any, raw: bytes, replacement: bytes) -> None:
    if damage == "replace":
        path.write_bytes(replacement)
        return
    result = damage(raw)
    path.unlink()
    if result == "folder":
        path.mkdir()
    elif result is not None:
        path.write_bytes(result)


def _restore(path: Path, original: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    shutil.copy2(original, path)


def _case(mirror: Path, dataset: str, root: Path, rel: str, dname: str, damage: Any, mode: str) -> dict[str, Any]:
    """Apply one damage to the copy under ``root``, run every command, restore the copy."""
    sub, env_id, _ = DATASETS[dataset]
    folder, out_dir = root / sub, root.parent / "run"
    commands = _commands(env_id, out_dir)
    path, original = folder / rel, mirror / sub / rel
    if damage == "extra":
        target = path / "Injected-level-1-1.jsonl"
        shutil.copy2(next(iter(sorted(original.glob("*.jsonl")))), target)
        needle = target.name
    else:
        _apply(path, damage, original.read_bytes(), (mirror / sub / REPLACEMENT[dataset]).read_bytes())
        needle = Path(rel).name
    row: dict[str, Any] = {"dataset": dataset, "file": rel, "damage": dname}
    try:
        for name, argv in commands.items():
            rc, so, se, wall = _run(argv, root, mode)
            row[name] = classify(name, env_id, rc, so, se, needle)
            row[f"{name}_s"] = round(wall, 1)
            lines = se.strip().splitlines() or [""]
            row[f"{name}_stderr"] = (lines[-1] if row[name] != "traceback" else se[-1500:])[:600]
            if name == "list":
                shown = [line for line in so.splitlines() if line.startswith(env_id + " ")]
                row["list_row"] = shown[0][:600] if shown else so[-300:]
    finally:
        if damage == "extra":
            target.unlink()
        else:
            _restore(path, original)
    print(f"{dataset} {rel} | {dname}: list={row['list']} rollout={row['rollout']}", flush=True)
    return row


def run_cases(mirror: Path, mode: str, only: str | None, workers: int = 1) -> tuple[list[dict[str, Any]],
                                                                                    list[dict[str, Any]]]:
    """Every case, ``workers`` at a time (each worker damages its own copy of the dataset)."""
    import queue
    from concurrent.futures import ThreadPoolExecutor

    cases, baseline = [], []
    for dataset, (sub, env_id, files) in DATASETS.items():
        if only and only not in dataset and not any(only in f for f in files):
            continue
        with tempfile.TemporaryDirectory(prefix="damaged-") as tmp:
            roots: queue.Queue[Path] = queue.Queue()
            for k in range(max(1, workers)):
                root = Path(tmp) / f"w{k}" / "data"
                shutil.copytree(mirror / sub, root / sub)
                roots.put(root)
            first = roots.queue[0]
            for name, argv in _commands(env_id, first.parent / "run").items():  # intact: every command passes
                rc, so, se, wall = _run(argv, first, mode)
                baseline.append({"dataset": dataset, "command": name, "outcome": classify(name, env_id, rc, so, se, None),
                                 "wall_s": round(wall, 1), "stderr": se[-500:]})
                print(f"[intact] {dataset} {name}: {baseline[-1]['outcome']} ({wall:.1f} s)", flush=True)
            plan: list[tuple[str, str, Any]] = []
            for rel in files:
                if only and only not in dataset and only not in rel:
                    continue
                plan.extend((rel, dname, dmg) for dname, dmg in damages(dataset, rel).items())
            for listed in LISTED.get(dataset, []):
                plan.append((listed, "extra file in the folder", "extra"))

            def one(item: tuple[str, str, Any]) -> dict[str, Any]:
                root = roots.get()
                try:
                    return _case(mirror, dataset, root, *item, mode)
                finally:
                    roots.put(root)

            with ThreadPoolExecutor(max(1, workers)) as pool:
                cases.extend(pool.map(one, plan))  # in plan order
    return cases, baseline


def _machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_avg": [round(x, 2) for x in os.getloadavg()]}


def table(cases: list[dict[str, Any]], baseline: list[dict[str, Any]], mode: str, wall: float) -> str:
    outcomes = Counter(row[c] for row in cases for c in ("list", "rollout"))
    tracebacks = sum(1 for r in cases if "traceback" in (r["list"], r["rollout"]))
    silent = sum(1 for r in cases if "accepted" in (r["list"], r["rollout"]))
    unnamed = sum(1 for r in cases if "error, file not named" in (r["list"], r["rollout"]))
    lines = [
        f"# Damaged-dataset harness (`COALM_ENV_DATA_CHECK={mode}`)", "",
        f"`python -m experiments.damaged_data --mode {mode}`: {len(cases)} cases (a file of a dataset x a damage), "
        f"each run with `coalm-env list` and `coalm-env rollout ENV --policy oracle --episodes 1` in fresh processes.",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; machine: {json.dumps(_machine())}; "
        f"wall {wall:.0f} s",
        f"- intact copies: " + ", ".join(f"{b['dataset']} {b['command']} {b['outcome']}" for b in baseline),
        f"- **cases ending in a traceback: {tracebacks}**; **cases silently accepted: {silent}**; "
        f"error not naming the file: {unnamed}",
        f"- command outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())), "",
        "| dataset | file | damage | list | rollout | the error line (rollout) |",
        "|---|---|---|---|---|---|",
    ]
    for r in cases:
        msg = r["rollout_stderr"].replace("|", "\\|").replace("\n", " ")
        if len(msg) > 230:
            msg = msg[:230] + "..."
        lines.append(f"| {r['dataset']} | `{r['file']}` | {r['damage']} | {r['list']} | {r['rollout']} | {msg} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("checksum", "schema"), default="checksum")
    parser.add_argument("--mirror", default=os.environ.get("COALM_ENV_DATA") or str(DEFAULT_MIRROR))
    parser.add_argument("--only", help="only the datasets or files whose name holds this")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--workers", type=int, default=1, help="cases run at once (each on its own copy)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    cases, baseline = run_cases(Path(args.mirror), args.mode, args.only, args.workers)
    wall = time.perf_counter() - start
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.mode == "checksum" else f"-{args.mode}"
    (out / f"table{suffix}.md").write_text(table(cases, baseline, args.mode, wall), encoding="utf-8")
    (out / f"cases{suffix}.json").write_text(json.dumps({"mode": args.mode, "machine": _machine(), "baseline": baseline,
                                                          "cases": cases}, indent=1) + "\n", encoding="utf-8")
    bad = sum(1 for r in cases if {"traceback", "accepted"} & {r["list"], r["rollout"]})
    print(f"{len(cases)} cases, {bad} with a traceback or silently accepted; wrote {out}/table{suffix}.md")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
