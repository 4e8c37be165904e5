"""The repository stands alone: its documents link only to files it holds, and the
product contract (docs/contract.md) names every page, log parameter and state."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from cases.filters import CaseFilter
from cases.models import CaseState

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "docs" / "contract.md"
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _project_files(suffix: str = "") -> list[Path]:
    """The repository's files: tracked, or new and not ignored (no venv, caches,
    build metadata or anything a run writes)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    paths = (ROOT / name for name in listed.split("\0") if name.endswith(suffix) and name)
    return [path for path in paths if path.is_file()]


# The team's folder beside a checkout, which a clone does not have (spelled in
# parts so that this file does not name it).
OUTSIDE = ("/".join(["..", "shared"]), "/".join(["", "work", "shared"]))


def test_nothing_in_the_repository_points_outside_it():
    offenders = []
    for path in _project_files():
        if path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if any(outside in text for outside in OUTSIDE):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_relative_link_in_the_documents_resolves_inside_the_repository():
    broken = []
    for document in _project_files(".md"):
        for target in _LINK.findall(document.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            resolved = (document.parent / target).resolve()
            if not resolved.exists() or ROOT not in [resolved, *resolved.parents]:
                broken.append(f"{document.relative_to(ROOT)} → {target}")
    assert broken == []


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    routes = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith("admin/") and not route.startswith("accounts/"):
                routes += _routes(entry, route)
        elif isinstance(entry, URLPattern):
            routes.append("/" + route)
    return routes


def test_the_contract_names_every_seller_page():
    contract = CONTRACT.read_text(encoding="utf-8")
    shown = re.sub(r"<(?:int|str):(\w+)>", r"<\1>", " ".join(_routes(get_resolver())))
    missing = []
    for route in shown.split():
        written = route.replace("<case_id>", "<id>").replace("<account_id>", "<account id>")
        if f"`{written}" not in contract:
            missing.append(route)
    assert missing == []


def test_the_contract_names_every_log_parameter_and_state():
    contract = CONTRACT.read_text(encoding="utf-8")
    for name in [*CaseFilter.base_filters, "page"]:
        assert f"`{name}`" in contract, name
    for state in CaseState:
        assert f"`{state.value}`" in contract, state
        assert str(state.label) in contract, state


def test_the_documented_nginx_sends_the_compressed_static_files(tmp_path, settings):
    """Issue #23.8: the example served /static/ uncompressed. collectstatic writes the
    .gz copies (WhiteNoise's storage in production); the proxy must send them."""
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    nginx = re.search(r"```nginx\n(.*?)```", deploy, re.DOTALL)
    assert nginx is not None
    static = re.search(r"location /static/ \{(.*?)\}", nginx.group(1), re.DOTALL)
    assert static is not None
    assert re.search(r"^\s*gzip_static on;", static.group(1), re.MULTILINE)

    production = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.STORAGES['staticfiles']['BACKEND'])",
        ],
        env={
            "DJANGO_SETTINGS_MODULE": "caselog.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x" * 60,
            "PATH": "",
        },
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    backend = production.stdout.strip()
    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage", production.stderr
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": backend}}
    call_command("collectstatic", "--noinput", verbosity=0)
    stylesheets = list((tmp_path / "static" / "css").glob("caselog.*.css.gz"))
    assert stylesheets, "collectstatic wrote no gzip copy of the stylesheet"
