"""The repository stands alone: its documents link only to files it holds, and the
product contract (docs/contract.md) names every page and log parameter, and lists
exactly the code's states, transitions and kinds of e-mail (its tables are read)."""

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


def test_nothing_cites_a_specification_the_repository_does_not_hold():
    # The product contract is docs/contract.md; a citation of the team's own
    # specification (spelled in parts so that this file does not cite it) sends a
    # reader to a document a clone lacks.
    spec = re.compile(r"\b" + "SP" + r"EC\b")
    offenders = [
        str(path.relative_to(ROOT))
        for suffix in (".py", ".md", ".html", ".txt", ".toml")
        for path in _project_files(suffix)
        if spec.search(path.read_text(encoding="utf-8"))
    ]
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
            "CASELOG_SITE_URL": "https://caselog.example",
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


# --- the contract's tables against the code's ------------------------------------

_TICKED = re.compile(r"`([a-z_]+)`")


def _table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped, header and rule left out) of the first table after
    `heading` in the contract; fails when the heading or its table is missing."""
    lines = CONTRACT.read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip() == heading)
    rows = []
    for line in lines[start + 1 :]:
        text = line.strip()
        if text.startswith("#"):
            break
        if text.startswith("|"):
            rows.append([cell.strip() for cell in text.strip("|").split("|")])
        elif rows:
            break
    assert len(rows) > 2, f"no table under {heading!r}"
    return rows[2:]


def _ticked(cell: str) -> list[str]:
    return _TICKED.findall(cell)


def _sources(cell: str) -> frozenset[str]:
    """`any state`, `any state but …`, `— (…)` or a list of states."""
    if cell.startswith("any state but"):
        return frozenset(CaseState.values) - set(_ticked(cell))
    if cell == "any state":
        return frozenset(CaseState.values)
    if cell.startswith("—"):
        return frozenset()
    return frozenset(_ticked(cell))


def test_the_contract_lists_exactly_the_codes_states():
    written = [_ticked(row[0])[0] for row in _table_after("## Case states")]
    assert sorted(written) == sorted(CaseState.values)
    for value, english, _french, *_ in _table_after("## Case states"):
        assert english == str(CaseState(_ticked(value)[0]).label)


def test_the_contract_lists_exactly_the_codes_transitions():
    from cases.models import TRANSITIONS

    written = {}
    for event, _what, sources, target in _table_after("### Transitions"):
        (name,) = _ticked(event)
        first = _ticked(target)[0]
        kept = re.search(r"from ([^:]*): stays", target)
        written[name] = (_sources(sources), first, frozenset(_ticked(kept[1]) if kept else ()))
    in_code = {
        str(event): (move.sources, str(move.target), move.keeps)
        for event, move in TRANSITIONS.items()
    }
    assert written == in_code


def test_the_contract_lists_exactly_the_codes_kinds_of_e_mail():
    from correspondence.notifications import SELLER_EVENTS, SUPPORT_EVENTS

    rows = _table_after("## E-mails")
    to_support = {_ticked(kind)[0] for kind, to, _when in rows if to == "the support inbox"}
    to_sellers = {_ticked(kind)[0] for kind, to, _when in rows if to != "the support inbox"}
    assert to_support == {str(kind) for kind in SUPPORT_EVENTS}
    assert to_sellers == {str(kind) for kind in SELLER_EVENTS}
