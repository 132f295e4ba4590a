"""Imports point one way: metric code and the backend know no domain; domains know no loop, runner or
plug-in; simulators and policies know nothing of each other, nor of any domain's internals (they get
the vocabulary through the user context and ``info["vocab"]``).

Static, over the source (:mod:`ast`), so imports inside functions count too; the companion
``test_import_isolation.py`` checks what actually gets loaded at import time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (package whose files are checked, forbidden module prefixes)
RULES = [
    ("coalm_env.scoring", ("coalm_env.domains",)),
    ("coalm_env.backend", ("coalm_env.domains",)),
    ("coalm_env.domains", ("coalm_env.env", "coalm_env.rollout", "simulators", "policies", "experiments")),
    ("simulators", ("policies", "coalm_env.domains")),
    ("policies", ("simulators", "coalm_env.domains")),
]
#: exceptions (none: the gold-replay policy reads MultiWOZ's replay through the env's ``oracle_hints``)
ALLOWED: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    return _imports_of(path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py")


def _imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` imports (relative imports resolved; ``from a import b`` gives ``a`` and ``a.b``)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                source_module = ".".join(base + ([node.module] if node.module else []))
            else:
                source_module = node.module or ""
            found.add(source_module)
            found.update(f"{source_module}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def _files(package: str) -> list[Path]:
    folder = ROOT.joinpath(*package.split("."))
    return sorted(folder.rglob("*.py")) if folder.is_dir() else []


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in _files(package):
        for name in sorted(_imports(path)):
            if (str(path.relative_to(ROOT)), name) in ALLOWED:
                continue
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                out.append(f"{path.relative_to(ROOT)} imports {name}")
    return out


@pytest.mark.parametrize(("package", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_imports_point_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    assert _files(package), f"no source files found for {package}"
    assert _violations(package, forbidden) == []


def test_the_checker_sees_relative_and_lazy_imports() -> None:
    source = "from ..env import ConversationEnv\nfrom . import apis\n\ndef f():\n    import policies.oracle\n"
    found = _imports_of(source, "coalm_env.domains.probe")
    assert {"coalm_env.env", "coalm_env.env.ConversationEnv", "coalm_env.domains.apis", "policies.oracle"} <= found
    assert "coalm_env.tod.apis" in _imports_of("from ..tod import apis", "coalm_env.domains", is_package=True)
