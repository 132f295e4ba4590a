"""The data module: lookup, clear errors for missing/corrupt files, fetch from a mirror or a source."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from coalm_env import data
from coalm_env.cli import main
from coalm_env.errors import DataCorruptError, DataNotFoundError, UnknownNameError


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("COALM_ENV_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def _fake_mirror(base: Path) -> Path:
    """A minimal multiwoz24 folder holding every required file."""
    folder = base / "multiwoz24"
    for rel in data.DATASETS["multiwoz24"].required:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text("[]" if rel.endswith(".json") else "x", encoding="utf-8")
    return folder


def test_root_follows_env_var_then_user_cache(root, monkeypatch, tmp_path):
    assert data.data_root() == root
    monkeypatch.delenv("COALM_ENV_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data.data_root() == tmp_path / "cache" / "coalm-env" / "data"


def test_missing_file_names_the_file_and_the_command(root):
    with pytest.raises(DataNotFoundError) as err:
        data.require("bfcl", "BFCL_v3_multi_turn_base.json")
    text = str(err.value)
    assert "BFCL_v3_multi_turn_base.json" in text and "coalm-env data fetch bfcl" in text
    assert data.status("apibank").startswith("missing: ")
    with pytest.raises(UnknownNameError, match="did you mean"):
        data.status("multiwoz")


def test_corrupt_json_names_the_file(root, monkeypatch):
    from coalm_env import data_check

    monkeypatch.setattr(data_check, "_version", lambda name: None)  # a dataset of no known version
    folder = _fake_mirror(root)
    (folder / "ontology.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(DataCorruptError, match="ontology.json"):
        data.read_json("multiwoz24", "ontology.json")
    (folder / "lines.json").write_text('{"a": 1}\n{oops\n', encoding="utf-8")
    with pytest.raises(DataCorruptError, match=r"lines.json:2"):
        data.read_jsonl("multiwoz24", "lines.json")


def test_fetch_from_a_local_mirror(root, tmp_path):
    mirror = tmp_path / "mirror"
    _fake_mirror(mirror)
    assert data.status("multiwoz24") != "ready"
    assert data.fetch("multiwoz24", mirror) == root / "multiwoz24"
    assert data.status("multiwoz24") == "ready"
    with pytest.raises(DataNotFoundError, match="--from must be"):
        data.fetch("apibank", mirror)


def test_fetch_from_remote_sources(root, tmp_path, monkeypatch):
    src = tmp_path / "remote"
    src.mkdir()
    remotes = []
    for rel in data.DATASETS["multiwoz24"].required:
        name = rel.replace("/", "_")
        if rel.startswith("convlab"):
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                zf.writestr(Path(rel).name, json.dumps({"SNG1": {}}))
            (src / f"{name}.zip").write_bytes(buf.getvalue())
            remotes.append(data.Remote((src / f"{name}.zip").as_uri(), rel, member=Path(rel).name))
        else:
            (src / name).write_text("[]", encoding="utf-8")
            remotes.append(data.Remote((src / name).as_uri(), rel))
    monkeypatch.setitem(data.REMOTES, "multiwoz24", tuple(remotes))
    data.fetch("multiwoz24")
    assert data.status("multiwoz24") == "ready"
    assert json.loads((root / "multiwoz24" / "convlab_mwz21_valtest" / "test.json").read_text()) == {"SNG1": {}}
    with pytest.raises(DataCorruptError, match=r"test.json: holds 1 entries, the dataset has 1000"):
        data.read_json("multiwoz24", "convlab_mwz21_valtest", "test.json")  # not the known version
    monkeypatch.setitem(data.REMOTES, "multiwoz24", (data.Remote((src / "nope.json").as_uri(), "x.json"),))
    with pytest.raises(DataNotFoundError, match="--from DIR"):
        data.fetch("multiwoz24", force=True)
    assert data.status("multiwoz24") == "ready"  # a failed download leaves the old copy in place


def test_cli_data_commands(root, tmp_path, capsys):
    mirror = tmp_path / "mirror"
    _fake_mirror(mirror)
    assert main(["data", "fetch", "multiwoz24", "--from", str(mirror)]) == 0
    assert main(["data", "status"]) == 0
    out = capsys.readouterr().out
    assert "multiwoz24" in out and "ready" in out
    assert main(["data", "fetch", "apibank"]) == 2
    assert "error: dataset file not found" in capsys.readouterr().err
