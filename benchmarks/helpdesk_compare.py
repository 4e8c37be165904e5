"""Peer comparison: django-helpdesk's ticket lists beside caselog's log, same data, same run.

    .venv/bin/python benchmarks/helpdesk_compare.py            # after a bench_log.py seed
    .venv/bin/python benchmarks/helpdesk_compare.py --repeat 3

1. Creates benchmarks/.venv-helpdesk (git-ignored) and installs the PyPI package
   django-helpdesk there (its own Django, whatever pip resolves).
2. Writes a minimal project under benchmarks/.data/helpdesk/ (nothing committed).
3. Copies the 100,000 cases of the benchmark's large account from caselog's
   bench database (SQLite: benchmarks/.data/bench.sqlite3) into 100,000 tickets:
   same ids as ticket numbers, descriptions as titles, primary e-mails as
   submitters, same creation dates; states mapped (resolved and expired →
   Closed, resolved → Resolved, reopened → Reopened, every other → Open).
4. Measures, with django.test.Client in each project, median/min/max of the same
   number of runs: caselog's log page (the seller) beside django-helpdesk's
   customer list ("my tickets" page + the JSON it loads), and caselog's admin case
   list (the agent) beside its staff ticket list (page + datatables JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import bench_seed  # noqa: E402 - the benchmark's modules, importable once BENCH_DIR is on the path
from bench.log_pages import measure_pages  # noqa: E402
from bench.setup import setup_django  # noqa: E402

ROOT = BENCH_DIR.parent
VENV = BENCH_DIR / ".venv-helpdesk"
PROJECT = BENCH_DIR / ".data" / "helpdesk"
RESULTS = BENCH_DIR / "results"

SETTINGS = """
from pathlib import Path
BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "helpdesk-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "hd_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "hd.sqlite3",
    "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Europe/Paris"
STATIC_URL = "static/"
LOGIN_URL = "/helpdesk/login/"
HELPDESK_PUBLIC_ENABLED = True
HELPDESK_ENABLE_DEPENDENCIES_ON_TICKET = False
# Without pinax-teams (not installed by django-helpdesk): its documented switch.
HELPDESK_TEAMS_MODE_ENABLED = False
"""

URLS = """
from django.contrib import admin
from django.urls import include, path
urlpatterns = [path("admin/", admin.site.urls), path("helpdesk/", include("helpdesk.urls"))]
"""

RUNNER = '''
"""Runs inside the django-helpdesk venv: load tickets, or measure the lists."""
import base64, json, os, statistics, sys, time
os.environ["DJANGO_SETTINGS_MODULE"] = "hd_settings"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from helpdesk.models import Queue, Ticket

User = get_user_model()
STAFF, CUSTOMER = "agent@bench.example", sys.argv[3] if len(sys.argv) > 3 else ""


def load(path):
    call_command("migrate", verbosity=0, interactive=False)
    Ticket.objects.all().delete()
    queue, _ = Queue.objects.get_or_create(slug="bench", defaults={"title": "Bench"})
    staff = User.objects.filter(username="agent").first() or User.objects.create_user(
        "agent", STAFF, "x", is_staff=True)
    customer = User.objects.filter(username="customer").first() or User.objects.create_user(
        "customer", CUSTOMER, "x")
    customer.email = CUSTOMER
    customer.save()
    rows = json.load(open(path))
    from datetime import datetime
    batch = []
    for case_id, created, status, email, title, modified in rows:
        batch.append(Ticket(
            id=None, title=title, queue=queue, created=datetime.fromisoformat(created),
            modified=datetime.fromisoformat(modified), submitter_email=email, status=status,
            priority=3, description=title))
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)
    # bulk_create skips save(), which sets created/modified itself: keep ours.
    print(json.dumps({"tickets": Ticket.objects.count()}))


def measure(repeat):
    staff = User.objects.get(username="agent")
    customer = User.objects.get(username="customer")
    out = []
    query = base64.urlsafe_b64encode(json.dumps({
        "filtering": {"status__in": [1, 2]}, "sorting": "created", "search_string": "",
        "sortreverse": False}).encode()).decode()
    table = ("?draw=1&start=0&length=25&order%5B0%5D%5Bcolumn%5D=0"
             "&order%5B0%5D%5Bdir%5D=desc&search%5Bvalue%5D=")
    for who, user, label, url in [
        ("customer", customer, "customer list page", "/helpdesk/tickets/my-tickets/"),
        ("customer", customer, "customer list data (JSON)", "/helpdesk/api/user_tickets/"),
        ("staff", staff, "staff list page", "/helpdesk/tickets/"),
        ("staff", staff, "staff list data (datatables JSON)",
         f"/helpdesk/datatables_ticket_list/{query}" + table),
    ]:
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        with CaptureQueriesContext(connection) as q:
            response = client.get(url)
        if response.status_code != 200:
            out.append({"who": who, "label": label, "url": url,
                        "error": f"HTTP {response.status_code}"})
            continue
        times = []
        client.get(url)
        for _ in range(repeat):
            t = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        out.append({"who": who, "label": label, "url": url, "queries": len(q.captured_queries),
                    "median_ms": statistics.median(times), "min_ms": min(times),
                    "max_ms": max(times), "bytes": len(response.content)})
    print(json.dumps(out))


if sys.argv[1] == "load":
    load(sys.argv[2])
else:
    measure(int(sys.argv[2]))
'''


def _python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> str:
    """The venv with django-helpdesk; returns the installed versions."""
    if not _python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = [str(_python()), "-c", "import helpdesk, django; print(django.get_version())"]
    if subprocess.run(probe, capture_output=True).returncode != 0:
        installed = subprocess.run(
            [str(_python()), "-m", "pip", "install", "--quiet", "django-helpdesk"],
            capture_output=True,
            text=True,
        )
        if installed.returncode != 0:
            raise SystemExit(f"pip install django-helpdesk failed:\n{installed.stderr}")
    listing = subprocess.run(
        [str(_python()), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    versions = {p["name"].lower(): p["version"] for p in json.loads(listing)}
    return f"django-helpdesk {versions.get('django-helpdesk')}, Django {versions.get('django')}"


def write_project() -> None:
    PROJECT.mkdir(parents=True, exist_ok=True)
    (PROJECT / "hd_settings.py").write_text(textwrap.dedent(SETTINGS))
    (PROJECT / "hd_urls.py").write_text(textwrap.dedent(URLS))
    (PROJECT / "hd_run.py").write_text(RUNNER)


def _status(state: str, resolved_at: Any, cutoff: Any) -> int:
    # helpdesk: 1 Open, 2 Reopened, 3 Resolved, 4 Closed
    if state == "resolved":
        return 4 if resolved_at is not None and resolved_at < cutoff else 3
    return 2 if state == "reopened" else 1


def export_tickets(path: Path) -> dict[str, Any]:
    """The large account's cases from caselog's bench database, as ticket rows."""
    setup_django(db=None)  # bench_log.py's database: DATABASE_URL or its SQLite file
    from cases.models import Case, SellerAccount, expiry_cutoff

    account = SellerAccount.objects.get(name=bench_seed.BIG_ACCOUNT)
    cutoff = expiry_cutoff()
    rows = (
        Case.objects.filter(account=account)
        .order_by("id")
        .values_list(
            "id",
            "created_at",
            "state",
            "primary_email",
            "short_description",
            "resolved_at",
            "last_activity_at",
        )
    )
    tickets = [
        [
            case_id,
            created.isoformat(),
            _status(state, resolved, cutoff),
            email,
            title,
            activity.isoformat(),
        ]
        for case_id, created, state, email, title, resolved, activity in rows.iterator(5000)
    ]
    path.write_text(json.dumps(tickets))
    return {"tickets": len(tickets), "seller": bench_seed.SELLER_EMAIL}


def measure_ours(repeat: int) -> list[dict[str, Any]]:
    from django.test import Client
    from django.test.utils import override_settings

    from cases.models import User

    rows = []
    with override_settings(DEBUG=False):
        seller = Client(SERVER_NAME="localhost")
        seller.force_login(User.objects.get(email=bench_seed.SELLER_EMAIL))
        agent = Client(SERVER_NAME="localhost")
        agent.force_login(User.objects.get(email=bench_seed.AGENT_EMAIL))
        for row in measure_pages(seller, [("log page", "/cases/")], repeat):
            rows.append({**row, "who": "customer"})
        admin = [("admin case list (1M cases)", "/admin/cases/case/")]
        admin.append(("admin list, large account", "/admin/cases/case/?account__id__exact=1"))
        for row in measure_pages(agent, admin, repeat):
            rows.append({**row, "who": "staff"})
        # The same lists without the date hierarchy (its year query scans every row).
        from django.contrib import admin as django_admin

        from cases.models import Case

        model_admin = django_admin.site._registry[Case]
        hierarchy, model_admin.date_hierarchy = model_admin.date_hierarchy, None
        try:
            plain = [(f"{label}, no date_hierarchy", url) for label, url in admin]
            for row in measure_pages(agent, plain, repeat):
                rows.append({**row, "who": "staff (no date_hierarchy)"})
        finally:
            model_admin.date_hierarchy = hierarchy
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    versions = ensure_venv()
    print(f"venv: {versions}")
    write_project()
    data = PROJECT / "tickets.json"
    exported = export_tickets(data)
    print(f"tickets: {exported['tickets']:,} exported from caselog's bench database")
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    run = [str(_python()), str(PROJECT / "hd_run.py")]
    loaded = subprocess.run(
        [*run, "load", str(data), exported["seller"]],
        env=env,
        capture_output=True,
        text=True,
    )
    if loaded.returncode != 0:
        raise SystemExit(f"django-helpdesk could not load the tickets:\n{loaded.stderr[-3000:]}")
    print(f"helpdesk: {loaded.stdout.strip()}")
    ours = measure_ours(args.repeat)
    measured = subprocess.run(
        [*run, "measure", str(args.repeat), exported["seller"]],
        env=env,
        capture_output=True,
        text=True,
    )
    if measured.returncode != 0:
        raise SystemExit(f"django-helpdesk could not be measured:\n{measured.stderr[-3000:]}")
    theirs = json.loads(measured.stdout.strip().splitlines()[-1])
    report = render(versions, exported["tickets"], ours, theirs, args.repeat)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-helpdesk.md").write_text(report)
    print(f"written: {RESULTS / 'latest-helpdesk.md'} ({time.perf_counter() - started:.0f} s)")
    return {"ours": ours, "theirs": theirs}


def render(versions: str, tickets: int, ours: list, theirs: list, repeat: int) -> str:
    from django.db import connection

    lines = [
        f"# caselog vs {versions} — {tickets:,} tickets/cases, SQLite ({connection.vendor})",
        "",
        f"{repeat} timed runs after 1 warm-up, server time in process (django.test.Client).",
        "django-helpdesk renders its lists in two requests: the page, then the JSON its",
        "JavaScript loads; the sum is what a user waits for.",
        "",
        "| side | who | request | median ms | min ms | max ms | queries |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for side, rows in (("caselog", ours), ("django-helpdesk", theirs)):
        for r in rows:
            if "error" in r:
                lines.append(f"| {side} | {r['who']} | {r['label']} | {r['error']} | | | |")
                continue
            lines.append(
                f"| {side} | {r['who']} | {r['label']} | {r['median_ms']:.1f} | "
                f"{r['min_ms']:.1f} | {r['max_ms']:.1f} | {r['queries']} |"
            )

    def total(rows: list, who: str) -> float:
        return sum(r["median_ms"] for r in rows if r["who"] == who and "error" not in r)

    ours_customer = next(r["median_ms"] for r in ours if r["who"] == "customer")
    lines += [
        "",
        "Ratio = django-helpdesk's time ÷ caselog's (above 1: caselog is faster).",
        "",
        f"- customer list: django-helpdesk {total(theirs, 'customer'):.1f} ms (page + data) vs "
        f"caselog's log page {ours_customer:.1f} ms: "
        f"**{total(theirs, 'customer') / ours_customer:.1f}×**",
    ]
    for r in ours:
        if r["who"].startswith("staff"):
            lines.append(
                f"- staff list: django-helpdesk {total(theirs, 'staff'):.1f} ms (page + data, "
                f"{tickets:,} tickets) vs caselog {r['label']} {r['median_ms']:.1f} ms: "
                f"**{total(theirs, 'staff') / r['median_ms']:.2f}×**"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
