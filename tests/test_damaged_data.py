"""Damaged datasets (issue 16): each damage of experiments/damaged_data.py is one error naming the file,
in both check modes, on a representative subset (only the files a case needs are copied)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import need_data

from coalm_env import data, data_check
from coalm_env.errors import DataCorruptError, DataNotFoundError
from experiments.damaged_data import ROOT, _apply, damages

pytestmark = pytest.mark.data

#: (dataset, the files copied: a folder is copied whole, a file alone; the damaged file)
CASES = {
    "multiwoz-ontology": ("multiwoz24", ["ontology.json", "testListFile.json", "valListFile.json"], "ontology.json"),
    "multiwoz-list": ("multiwoz24", ["ontology.json", "testListFile.json", "valListFile.json"], "testListFile.json"),
    "bfcl-func-doc": ("bfcl", ["."], "multi_turn_func_doc/math_api.json"),
    "apibank-sample": ("apibank", ["api_descriptions.json", "lv3_api_descriptions.json",
                                   "lv1-lv2-samples/level-1-given-desc"],
                       "lv1-lv2-samples/level-1-given-desc/AddAgenda-level-1-1.jsonl"),
}
DAMAGES = ["empty file", "truncated (half the bytes)", "half the entries (valid)", "emptied (valid, no entries)",
           "one entry duplicated", "garbage bytes", "UTF-8 BOM added", "a Latin-1 byte inside", "missing",
           "a folder in its place", "replaced by another file"]


def _copy(name: str, parts: list[str], tmp: Path) -> Path:
    src = need_data(name)
    dest = tmp / "data" / data.DATASETS[name].subdir
    for part in parts:
        if (src / part).is_dir():
            shutil.copytree(src / part, dest / part, dirs_exist_ok=True)
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / part, dest / part)
    return dest


def _read(name: str, rel: str) -> None:
    """What a loader does: require the file (or its listed folder), then parse it."""
    folder = rel.rsplit("/", 1)[0] if rel.endswith(".jsonl") else None
    if folder:
        data.require(name, *folder.split("/"))
    if not rel.endswith(".jsonl") and not rel.endswith("ListFile.json"):
        data.read_json(name, *rel.split("/")) if name != "bfcl" else data.read_jsonl(name, *rel.split("/"))
    else:
        data.require(name, *rel.split("/"))


@pytest.mark.parametrize("mode", ["checksum", "schema"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_damage_is_an_error_naming_the_file(case: str, mode: str, tmp_path: Path, monkeypatch) -> None:
    name, parts, rel = CASES[case]
    src = data.dataset_dir(name)
    folder = _copy(name, parts, tmp_path)
    monkeypatch.setenv("COALM_ENV_DATA", str(tmp_path / "data"))
    monkeypatch.setenv(data_check.ENV_VAR, mode)
    _read(name, rel)  # the intact copy passes
    replacement = {"multiwoz24": "valListFile.json", "bfcl": "multi_turn_func_doc/message_api.json",
                   "apibank": "lv3_api_descriptions.json"}[name]
    table = damages(name, rel)
    for damage in DAMAGES:
        if damage not in table:
            continue
        path = folder / rel
        _apply(path, table[damage], (src / rel).read_bytes(), (src / replacement).read_bytes())
        try:
            with pytest.raises((DataCorruptError, DataNotFoundError)) as info:
                _read(name, rel)
            assert Path(rel).name in str(info.value), (damage, str(info.value))
            assert "hint:" in str(info.value)
        finally:
            if path.is_dir():
                shutil.rmtree(path)
            shutil.copy2(src / rel, path)
        _read(name, rel)  # restored: passes again


def test_a_listed_folder_must_hold_exactly_the_known_files(tmp_path: Path, monkeypatch) -> None:
    name, parts, rel = CASES["apibank-sample"]
    folder = _copy(name, parts, tmp_path)
    monkeypatch.setenv("COALM_ENV_DATA", str(tmp_path / "data"))
    extra = folder / "lv1-lv2-samples/level-1-given-desc/Injected-level-1-1.jsonl"
    shutil.copy2(folder / rel, extra)
    with pytest.raises(DataCorruptError, match="Injected-level-1-1.jsonl: not a file of apibank"):
        data.require(name, "lv1-lv2-samples", "level-1-given-desc")


def test_an_intact_mirror_passes_both_modes(monkeypatch) -> None:
    for mode in data_check.MODES:
        monkeypatch.setenv(data_check.ENV_VAR, mode)
        for name in ("bfcl", "apibank"):
            root = need_data(name)
            data_check.verify(name, root, root)  # the whole dataset, every file
    monkeypatch.setenv(data_check.ENV_VAR, "sha1")
    with pytest.raises(Exception, match="not a check mode"):
        data_check.mode()


def test_the_func_doc_loader_takes_only_public_method_names(tmp_path: Path, monkeypatch) -> None:
    from coalm_env.domains.bfcl import entries

    folder = _copy("bfcl", ["."], tmp_path)
    path = folder / "multi_turn_func_doc" / "math_api.json"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows[0]["name"] = "_load_scenario"  # same structure: only the name check can refuse it
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setenv("COALM_ENV_DATA", str(tmp_path / "data"))
    monkeypatch.setenv(data_check.ENV_VAR, "schema")
    entries.load_func_docs.cache_clear()
    try:
        with pytest.raises(DataCorruptError, match=r"math_api.json:1: .*'_load_scenario' is not a public method"):
            entries.load_func_docs()
    finally:
        entries.load_func_docs.cache_clear()


def test_the_cli_on_a_damaged_file_is_one_error_line(tmp_path: Path) -> None:
    folder = _copy("bfcl", ["."], tmp_path)
    path = folder / "multi_turn_func_doc" / "math_api.json"
    path.write_bytes(path.read_bytes()[:1000])
    env = {**os.environ, "COALM_ENV_DATA": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "coalm_env.cli", "rollout", "coalm/BFCL-MultiTurn-v0", "--episodes",
                           "1", "--no-progress", "--out", str(tmp_path / "run")], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300, check=False)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: dataset file unreadable: ") and "math_api.json" in lines[0]
    assert "coalm-env data fetch bfcl --force" in lines[0]
