"""``.ci/run`` runs exactly the README's install and test commands, so the README's set-up is what CI checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SECTIONS = re.compile(r"^(install|test)", re.IGNORECASE)
_SHELL = ("", "bash", "sh", "shell", "console")


def _section_commands(markdown: str) -> list[str]:
    """Command lines of the shell code blocks under the README's "Install..." and "Test..." headings."""
    commands, heading, in_block, shell = [], "", False, False
    for line in markdown.splitlines():
        fence = re.match(r"^\s*```\s*(\w*)", line)
        if fence:
            in_block, shell = not in_block, fence.group(1).lower() in _SHELL
            continue
        if not in_block and line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif in_block and shell and _SECTIONS.match(heading):
            command = line.strip().removeprefix("$ ").strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def _ci_commands(script: str) -> list[str]:
    skip = ("#", "set ", "cd ")
    return [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith(skip)]


def test_ci_runs_exactly_the_readme_commands() -> None:
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md not written yet")
    documented = _section_commands(readme.read_text(encoding="utf-8"))
    assert any(c.startswith("pip install") for c in documented), "no install command under an Install heading"
    assert any("pytest" in c for c in documented), "no test command under a Test heading"
    assert _ci_commands((ROOT / ".ci" / "run").read_text(encoding="utf-8")) == documented


def test_section_parser() -> None:
    text = "# T\n## Install\n```bash\n$ pip install x\n# comment\n```\n```python\nimport x\n```\n"
    text += "## Usage\n```\nrun\n```\n"
    assert _section_commands(text + "## Testing\n```sh\npython -m pytest -q\n```\n") == [
        "pip install x",
        "python -m pytest -q",
    ]
