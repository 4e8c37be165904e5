"""The project uses Django's public API only: a private helper (a name starting
with `_`) can change or vanish in any release without notice."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", "staticfiles", "var"}


def _sources():
    for path in ROOT.rglob("*.py"):
        if not SKIP.intersection(path.relative_to(ROOT).parts):
            yield path


def test_no_module_imports_a_private_django_name():
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django"):
                parts = (node.module or "").split(".")
                names = [alias.name for alias in node.names]
                if any(part.startswith("_") for part in parts) or any(
                    name.startswith("_") for name in names
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("django") and any(
                        part.startswith("_") for part in alias.name.split(".")
                    ):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
