"""Load test: gunicorn (3 workers) on loopback, writers posting replies, readers browsing.

Run from the project root:

    .venv/bin/python scripts/loadtest.py                       # SQLite, 60 s, 20 + 20 clients
    .venv/bin/python scripts/loadtest.py --seconds 8 --clients 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python scripts/loadtest.py

It never touches the development database. SQLite: a fresh file in a temporary
folder. PostgreSQL (DATABASE_URL): the server in that URL, but its own database,
`loadtest_caselog` (or --pg-name), dropped and created for the run and dropped
after; the database named in the URL is only used to issue CREATE/DROP DATABASE.
Attachments go to a temporary MEDIA_ROOT. Only 127.0.0.1 is contacted.

Writers log in and post replies, some with 1-3 small real files, each carrying
the one-time `submission_id` of the form it came from; now and then a writer
sends the same form twice (a double click). Readers browse the log with filters,
sorts and pages, open cases and export CSV. Everything is bounded by time
(--seconds) and by a total request budget (--max-requests).

Afterwards the database and the disk are compared with what the server
acknowledged (a 302 after the POST): no acknowledged message missing, none
saved twice, every attachment row has its file and every file its row. The
exit status is 1 when a goal is missed: server errors, "database is locked" in
the server log, lost or duplicated messages, orphan or missing files, a foreign
case shown to a reader, or a write p99 of 1 s or more.

`run(...)` returns the figures as a dict, for tests.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-pass-4821"  # noqa: S105 - a throwaway database
ACCOUNT = "Load Shop"
OTHER_ACCOUNT = "Other Load Store"
P99_GOAL_SECONDS = 1.0
REQUEST_TIMEOUT = 30
SAFE_PG_REFUSED = {"test", "postgres", "template0", "template1"}

# Small real files: they pass the content checks of correspondence.rules.
FILES = [
    ("facture.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"),
    ("écran.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17),
    ("notes.txt", "text/plain", b"Commande 402-1234 : remboursement attendu.\n"),
]
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


# --- the throwaway database ---------------------------------------------------


def _pg_urls(base_url: str, name: str) -> tuple[str, str]:
    """(admin URL: the database in base_url, target URL: the same server, database `name`)."""
    if name in SAFE_PG_REFUSED:
        raise SystemExit(f"refusing to use the database {name!r} for a load test")
    parts = urlsplit(base_url)
    return base_url, urlunsplit(parts._replace(path=f"/{name}"))


def _pg_admin(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


@contextmanager
def throwaway_database(database_url: str | None, pg_name: str, workdir: Path) -> Iterator[str]:
    if not database_url or database_url.startswith("sqlite"):
        yield f"sqlite:///{workdir / 'loadtest.sqlite3'}"
        return
    admin_url, target_url = _pg_urls(database_url, pg_name)
    _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    _pg_admin(admin_url, f'CREATE DATABASE "{pg_name}"')
    try:
        yield target_url
    finally:
        _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def server_env(database_url: str, media_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "caselog.settings",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(media_root),
            # DEBUG on: plain HTTP on loopback, no collected static files needed.
            "DJANGO_DEBUG": "1",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_LOG_LEVEL": "WARNING",
            "EMAIL_URL": "dummy://",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def django_python(env: dict[str, str], code: str, *args: str, timeout: int = 600) -> str:
    """Run `code` in a Django-configured interpreter with `env`; return its stdout."""
    prelude = "import django, sys, json; django.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"Django subprocess failed:\n{result.stderr[-4000:]}")
    return result.stdout


SEED_CODE = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from cases.models import Case, CaseState, Membership, SellerAccount, new_case_id
from django.contrib.auth.hashers import PBKDF2PasswordHasher
User = get_user_model()
users, password = int(sys.argv[1]), sys.argv[2]
# A throwaway database: few hash iterations, so logging in is not the load measured
# (the stored iteration count is what a login checks against).
hashed = PBKDF2PasswordHasher().encode(password, "loadtestsalt", iterations=1000)
def create_user(email, **flags):
    user = User.objects.create_user(email, None, **flags)
    user.password = hashed
    user.save(update_fields=["password"])
    return user
states = [CaseState.OPEN, CaseState.PENDING_SUPPORT, CaseState.ANSWERED,
          CaseState.NEEDS_ATTENTION, CaseState.TRANSFERRED, CaseState.REOPENED]
def account(name, emails, count):
    acc = SellerAccount.objects.create(name=name)
    for email in emails:
        Membership.objects.create(account=acc, user=create_user(email))
    now = timezone.now()
    cases = [Case(id=new_case_id(), account=acc, created_at=now - timedelta(hours=i),
                  last_activity_at=now - timedelta(hours=i), state=states[i % len(states)],
                  primary_email=emails[i % len(emails)], cc_list=[],
                  short_description=f"{name} case {i} refund order {1000 + i}")
             for i in range(count)]
    Case.objects.bulk_create(cases)
    return [c.id for c in cases]
emails = [f"load{i}@load.example" for i in range(users)]
mine = account(ACCOUNT, emails, 120)
foreign = account(OTHER, ["other@load.example"], 30)
from django.contrib.auth.models import Group
agents = [f"agent{i}@support.example" for i in range(2)]
for email in agents:
    create_user(email, is_staff=True).groups.add(
        Group.objects.get(name="Support agents"))
print(json.dumps({"emails": emails, "cases": mine, "foreign": foreign, "agents": agents}))
""".replace("ACCOUNT", repr(ACCOUNT)).replace("OTHER", repr(OTHER_ACCOUNT))

CHECK_CODE = """
from pathlib import Path
from django.conf import settings
from django.db.models import Count
from correspondence.models import Attachment, Message
tokens = Message.objects.exclude(client_token=None).values_list("client_token", flat=True)
per_token = Counter(tokens)
rows = {a.file.name: a.message.client_token for a in Attachment.objects.select_related("message")}
root = Path(settings.MEDIA_ROOT)
on_disk = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
attachments = dict(Counter(rows.values()))
print(json.dumps({
    "messages": Message.objects.count(),
    "per_token": per_token,
    "attachments_per_token": attachments,
    "attachment_rows": len(rows),
    "files": len(on_disk),
    "orphans": sorted(on_disk - set(rows))[:20],
    "orphan_count": len(on_disk - set(rows)),
    "missing_count": len(set(rows) - on_disk),
}))
""".replace("from pathlib import Path", "from pathlib import Path\nfrom collections import Counter")


# --- the server -------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def gunicorn(env: dict[str, str], workdir: Path, *, workers: int = 3) -> Iterator[Server]:
    """gunicorn on 127.0.0.1 and a free port; stopped (its own process group) on exit."""
    port = free_port()
    log_path = workdir / "gunicorn.log"
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn_bin) if gunicorn_bin.exists() else "gunicorn",
        "caselog.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(port, process, log_path)
    try:
        _wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


@contextmanager
def background_worker(env: dict[str, str], workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`manage.py run_worker` beside the server, as in production: it sends the e-mails."""
    with (workdir / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def _wait_until_up(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log_text()[-4000:]}")
        try:
            Browser(server.port).get("/accounts/login/")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{server.log_text()[-4000:]}")


# --- a tiny HTTP client (stdlib only) -------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Browser:
    """One user on loopback: cookies, CSRF tokens, a new connection per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            payload = raw.read()
            for value in raw.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return Response(raw.status, dict(raw.headers.items()), payload)
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        return self.request(
            "POST",
            path,
            urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def post_multipart(
        self, path: str, fields: dict[str, str], files: list[tuple[str, str, bytes]]
    ) -> Response:
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
        for filename, content_type, content in files:
            parts.append(
                (
                    f"--{boundary}\r\nContent-Disposition: form-data; "
                    f'name="attachments"; filename="{filename}"\r\n'
                    f"Content-Type: {content_type}\r\n\r\n"
                ).encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def login(self, email: str, password: str) -> None:
        page = self.get("/accounts/login/")
        token = _CSRF.search(page.text)
        assert token, "no CSRF token on the login page"
        response = self.post_form(
            "/accounts/login/",
            {"username": email, "password": password, "csrfmiddlewaretoken": token.group(1)},
        )
        if response.status != 302:
            raise RuntimeError(f"login of {email} failed: {response.status}")


# --- the clients --------------------------------------------------------------


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    write_latencies: list[float] = field(default_factory=list)
    read_latencies: list[float] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # token -> files sent
    resubmitted: int = 0
    exports: int = 0
    foreign_rows: int = 0

    def take_request(self, budget: int) -> bool:
        with self.lock:
            if self.requests >= budget:
                return False
            self.requests += 1
            return True

    def count(self, response: Response | None, error: str | None = None) -> None:
        with self.lock:
            if response is not None:
                self.statuses[response.status] += 1
                if response.status >= 500:
                    self.errors.append(f"{response.status}: {response.text[:200]}")
            if error:
                self.errors.append(error)


@dataclass
class Plan:
    port: int
    deadline: float
    budget: int
    case_ids: list[int]
    emails: list[str]
    foreign: set[str]
    tally: Tally
    rng_seed: int
    think: float  # mean pause between two requests of one client, in seconds

    def pause(self, rng: random.Random) -> None:
        if self.think > 0:
            time.sleep(
                min(rng.uniform(0, 2 * self.think), max(self.deadline - time.monotonic(), 0))
            )


def _writer(plan: Plan, browser: Browser, index: int) -> None:
    rng = random.Random(plan.rng_seed * 1000 + index)
    tally = plan.tally
    while time.monotonic() < plan.deadline and tally.take_request(plan.budget):
        plan.pause(rng)
        case_id = rng.choice(plan.case_ids)
        try:
            page = browser.get(f"/cases/{case_id}/")
            tally.count(page)
            csrf, submission = _CSRF.search(page.text), _SUBMISSION.search(page.text)
            if page.status != 200 or not csrf or not submission:
                continue
            files = rng.sample(FILES, rng.choice([1, 2, 3])) if rng.random() < 0.4 else []
            fields = {
                "csrfmiddlewaretoken": csrf.group(1),
                "submission_id": submission.group(1),
                "subject": f"Load {index}",
                "body": f"Load test message {submission.group(1)} — merci, ça marche ?",
            }
            sends = 2 if rng.random() < 0.05 else 1  # now and then, a double click
            plan.pause(rng)  # the time to type
            for attempt in range(sends):
                if not tally.take_request(plan.budget):
                    break
                started = time.perf_counter()
                response = browser.post_multipart(f"/cases/{case_id}/reply/", fields, files)
                elapsed = time.perf_counter() - started
                tally.count(response)
                with tally.lock:
                    tally.write_latencies.append(elapsed)
                    if response.status == 302:
                        if attempt:
                            tally.resubmitted += 1
                        else:
                            tally.acknowledged[submission.group(1)] = len(files)
        except OSError as error:
            tally.count(None, f"writer {index}: {error!r}")


def _reader_path(rng: random.Random, plan: Plan) -> str:
    params: list[tuple[str, str]] = []
    if rng.random() < 0.4:
        params += [("state", s) for s in rng.sample(["open", "pending_support", "answered"], 2)]
    if rng.random() < 0.3:
        params.append(("q", rng.choice(["refund", "order 10", "case 1", "zzz", "1"])))
    if rng.random() < 0.3:
        params.append(("email", rng.choice(plan.emails)))
    if rng.random() < 0.2:
        params.append(("mine", "1"))
    if rng.random() < 0.5:
        params.append(("o", rng.choice(["created", "-id", "state", "-email", "description"])))
    if rng.random() < 0.3:
        params.append(("per_page", rng.choice(["25", "50", "100"])))
    if rng.random() < 0.3:
        params.append(("page", rng.choice(["1", "2", "3"])))
    base = "/cases/export.csv" if rng.random() < 0.25 else "/cases/"
    return base + ("?" + urlencode(params) if params else "")


def _reader(plan: Plan, browser: Browser, index: int) -> None:
    rng = random.Random(plan.rng_seed * 2000 + index)
    tally = plan.tally
    while time.monotonic() < plan.deadline and tally.take_request(plan.budget):
        plan.pause(rng)
        path = (
            f"/cases/{rng.choice(plan.case_ids)}/"
            if rng.random() < 0.2
            else _reader_path(rng, plan)
        )
        try:
            started = time.perf_counter()
            response = browser.get(path)
            elapsed = time.perf_counter() - started
            tally.count(response)
            foreign = sum(1 for case_id in plan.foreign if case_id in response.text)
            with tally.lock:
                tally.read_latencies.append(elapsed)
                tally.exports += path.startswith("/cases/export.csv") and response.status == 200
                tally.foreign_rows += foreign
        except OSError as error:
            tally.count(None, f"reader {index}: {error!r}")


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- the run --------------------------------------------------------------------


def run(
    *,
    seconds: float = 60,
    clients: int = 20,
    readers: int | None = None,
    max_requests: int = 100_000,
    workers: int = 3,
    database_url: str | None = None,
    pg_name: str = "loadtest_caselog",
    seed: int = 7,
    think: float = 0.5,
) -> dict[str, Any]:
    started = time.monotonic()
    with stack(
        database_url=database_url, pg_name=pg_name, users=max(2, min(clients, 10)), workers=workers
    ) as live:
        setup_seconds = time.monotonic() - started
        figures = run_on(
            live,
            seconds=seconds,
            clients=clients,
            readers=readers,
            max_requests=max_requests,
            seed=seed,
            think=think,
            stop=True,
        )
    figures["setup_seconds"] = round(setup_seconds, 1)
    return figures


def run_on(
    live: Stack,
    *,
    seconds: float,
    clients: int,
    readers: int | None = None,
    max_requests: int = 100_000,
    seed: int = 7,
    think: float = 0.5,
    stop: bool = False,
) -> dict[str, Any]:
    """Drive the load against a running stack, then compare the database and the disk."""
    readers = clients if readers is None else readers
    results = _drive(live.server, live.seeded, seconds, clients, readers, max_requests, seed, think)
    if stop:  # every request has been answered and every worker has exited
        live.stop()
    figures = _summarize(
        results, live.check(), live.server.log_text(), 0.0, live.database_url, clients, readers
    )
    figures["think_seconds"] = think
    return figures


@dataclass
class Stack:
    """A migrated, seeded throwaway database with gunicorn serving it."""

    server: Server
    env: dict[str, str]
    database_url: str
    seeded: dict[str, Any]
    workdir: Path
    _stop: Any

    def stop(self) -> None:
        self._stop()

    def check(self) -> dict[str, Any]:
        return json.loads(django_python(self.env, CHECK_CODE))


@contextmanager
def stack(
    *, database_url: str | None, pg_name: str = "loadtest_caselog", users: int = 4, workers: int = 3
) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="caselog-load-") as tmp:
        workdir = Path(tmp)
        with throwaway_database(database_url, pg_name, workdir) as db_url:
            env = server_env(db_url, workdir / "media")
            django_python(
                env,
                "from django.core.management import call_command\n"
                "call_command('migrate', verbosity=0)",
            )
            seeded = json.loads(django_python(env, SEED_CODE, str(users), PASSWORD))
            with background_worker(env, workdir), gunicorn(env, workdir, workers=workers) as server:

                def stop() -> None:
                    if server.process.poll() is None:
                        os.killpg(server.process.pid, signal.SIGTERM)
                        server.process.wait(timeout=15)

                yield Stack(server, env, db_url, seeded, workdir, stop)


def _drive(
    server: Server,
    seeded: dict[str, Any],
    seconds: float,
    clients: int,
    readers: int,
    max_requests: int,
    seed: int,
    think: float,
) -> dict[str, Any]:
    tally = Tally()
    emails = seeded["emails"]
    writer_browsers = [Browser(server.port) for _ in range(clients)]
    reader_browsers = [Browser(server.port) for _ in range(readers)]
    # Log everybody in before the clock starts: password hashing is not the load.
    for i, browser in enumerate(writer_browsers + reader_browsers):
        browser.login(emails[i % len(emails)], PASSWORD)
    plan = Plan(
        port=server.port,
        deadline=time.monotonic() + seconds,
        budget=max_requests,
        case_ids=seeded["cases"],
        emails=emails,
        foreign={str(case_id) for case_id in seeded["foreign"]},
        tally=tally,
        rng_seed=seed,
        think=think,
    )
    threads = [
        threading.Thread(target=_writer, args=(plan, b, i), daemon=True)
        for i, b in enumerate(writer_browsers)
    ] + [
        threading.Thread(target=_reader, args=(plan, b, i), daemon=True)
        for i, b in enumerate(reader_browsers)
    ]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT * 3)
    return {"tally": tally, "elapsed": time.monotonic() - began}


def _summarize(
    results: dict[str, Any],
    check: dict[str, Any],
    log: str,
    setup_seconds: float,
    db_url: str,
    clients: int,
    readers: int,
) -> dict[str, Any]:
    tally: Tally = results["tally"]
    acknowledged = tally.acknowledged
    per_token: dict[str, int] = check["per_token"]
    files_per_token: dict[str, int] = check["attachments_per_token"]
    lost = [t for t in acknowledged if per_token.get(t, 0) == 0]
    duplicated = [t for t, n in per_token.items() if n > 1]
    wrong_files = [
        t for t, n in acknowledged.items() if per_token.get(t) and files_per_token.get(t, 0) != n
    ]
    writes = tally.write_latencies
    figures = {
        "database": "PostgreSQL" if db_url.startswith("postgres") else "SQLite",
        "seconds": round(results["elapsed"], 1),
        "writers": clients,
        "readers": readers,
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / max(results["elapsed"], 0.001), 1),
        "statuses": dict(sorted(tally.statuses.items())),
        "server_errors": sum(n for s, n in tally.statuses.items() if s >= 500)
        + len([e for e in tally.errors if not e[:3].isdigit()]),
        "database_locked": log.lower().count("database is locked"),
        "tracebacks_in_log": log.count("Traceback (most recent call last)"),
        "acknowledged": len(acknowledged),
        "resubmissions_refused": tally.resubmitted,
        "messages_in_db": check["messages"],
        "lost": len(lost),
        "duplicated": len(duplicated),
        "unacknowledged_saved": len([t for t in per_token if t not in acknowledged]),
        "attachments_sent": sum(acknowledged.values()),
        "attachment_rows": check["attachment_rows"],
        "attachment_mismatch": len(wrong_files),
        "files_on_disk": check["files"],
        "orphans": check["orphan_count"],
        "missing_files": check["missing_count"],
        "exports": tally.exports,
        "foreign_rows": tally.foreign_rows,
        "write_p50": round(_percentile(writes, 0.50), 3),
        "write_p99": round(_percentile(writes, 0.99), 3),
        "write_max": round(max(writes, default=0.0), 3),
        "read_p50": round(_percentile(tally.read_latencies, 0.50), 3),
        "read_p99": round(_percentile(tally.read_latencies, 0.99), 3),
        "setup_seconds": round(setup_seconds, 1),
        "first_errors": tally.errors[:5],
    }
    figures["failures"] = goals_missed(figures)
    return figures


def goals_missed(f: dict[str, Any]) -> list[str]:
    missed = []
    for key in [
        "server_errors",
        "database_locked",
        "tracebacks_in_log",
        "lost",
        "duplicated",
        "attachment_mismatch",
        "orphans",
        "missing_files",
        "foreign_rows",
    ]:
        if f[key]:
            missed.append(f"{key} = {f[key]} (goal: 0)")
    if f["write_p99"] >= P99_GOAL_SECONDS:
        missed.append(f"write p99 = {f['write_p99']} s (goal: < {P99_GOAL_SECONDS} s)")
    if not f["acknowledged"]:
        missed.append("no message was acknowledged: the load did not run")
    return missed


def print_table(figures: dict[str, Any]) -> None:
    rows = [
        ("database", figures["database"]),
        ("duration (s)", figures["seconds"]),
        ("clients (writers + readers)", f"{figures['writers']} + {figures['readers']}"),
        ("mean pause per client (s)", figures["think_seconds"]),
        ("requests (per second)", f"{figures['requests']} ({figures['requests_per_second']})"),
        ("HTTP statuses", figures["statuses"]),
        ("server errors (5xx, resets)", figures["server_errors"]),
        ('"database is locked" in log', figures["database_locked"]),
        ("tracebacks in server log", figures["tracebacks_in_log"]),
        ("messages acknowledged (302)", figures["acknowledged"]),
        ("double submissions refused", figures["resubmissions_refused"]),
        ("messages in database", figures["messages_in_db"]),
        ("lost / duplicated", f"{figures['lost']} / {figures['duplicated']}"),
        ("saved but not acknowledged", figures["unacknowledged_saved"]),
        (
            "attachments sent / rows / files",
            (
                f"{figures['attachments_sent']} / {figures['attachment_rows']} / "
                f"{figures['files_on_disk']}"
            ),
        ),
        ("orphan files / missing files", f"{figures['orphans']} / {figures['missing_files']}"),
        ("CSV exports", figures["exports"]),
        ("foreign case IDs shown", figures["foreign_rows"]),
        (
            "write p50 / p99 / max (s)",
            (f"{figures['write_p50']} / {figures['write_p99']} / {figures['write_max']}"),
        ),
        ("read p50 / p99 (s)", f"{figures['read_p50']} / {figures['read_p99']}"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    if figures["first_errors"]:
        print("  first errors:")
        for error in figures["first_errors"]:
            print(f"    {error}")
    print("RESULT:", "FAIL — " + "; ".join(figures["failures"]) if figures["failures"] else "PASS")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20, help="writers (and readers)")
    parser.add_argument("--readers", type=int, default=None, help="default: --clients")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL server to use (default: $DATABASE_URL); otherwise a temporary SQLite file",
    )
    parser.add_argument("--pg-name", default="loadtest_caselog")
    parser.add_argument(
        "--think",
        type=float,
        default=0.5,
        help="mean pause between a client's requests, s (0: as fast as possible)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(
        seconds=args.seconds,
        clients=args.clients,
        readers=args.readers,
        max_requests=args.max_requests,
        workers=args.workers,
        database_url=args.database_url,
        pg_name=args.pg_name,
        think=args.think,
    )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_table(figures)
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
