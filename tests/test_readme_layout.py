"""The README's layout table lists every module of the apps, and only modules that exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("caselog", "cases", "correspondence", "background")
_CODE = re.compile(r"`([^`]+)`")


def _layout_paths() -> set[str]:
    """The backticked names in the first column of the README's "Layout" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in _CODE.findall(row.split("|")[1])}


def _modules() -> set[str]:
    """The apps' modules (tracked or new, not ignored), without packages' `__init__`
    and migrations (one row covers those)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return {
        name
        for name in listed.split("\0")
        if name.startswith(tuple(f"{app}/" for app in APPS))
        and name.endswith(".py")
        and not name.endswith("__init__.py")
        and "/migrations/" not in name
        and (ROOT / name).is_file()
    }


def test_every_module_of_the_apps_is_in_the_readme_layout():
    missing = sorted(_modules() - _layout_paths())
    assert not missing, f"Add these to the README's Layout table: {missing}"


def test_every_path_in_the_readme_layout_exists():
    gone = sorted(
        name
        for name in _layout_paths()
        if "*" not in name and not (ROOT / name.rstrip("/")).exists()
    )
    assert not gone, f"The README's Layout table lists what is not there: {gone}"
