"""Scale-out on real services: two app nodes, one worker, PostgreSQL, Redis, S3, SMTP.

Run from the project root (`make cluster-test`):

    .venv/bin/python scripts/cluster_test.py
    .venv/bin/python scripts/cluster_test.py --seconds 30 --clients 10 \\
        --pg-url postgres://postgres@127.0.0.1:5432/postgres --redis-url redis://127.0.0.1:6379/5

What runs, each in its own process and working directory (nothing on a shared disk):
- PostgreSQL: a throwaway database (`--pg-name`, dropped after) on the server of --pg-url;
- Redis (--redis-url; a `redis-server` is started if none answers): the cache, the
  sessions and the login throttle, under a key prefix of this run only;
- moto's S3 server (`moto_server`, from PyPI): the attachments, in a private bucket,
  through django-storages;
- an SMTP server (aiosmtpd, in this script) that counts what it receives;
- node A and node B: gunicorn, 2 workers each, on two ports;
- one task worker (`manage.py run_worker`): e-mails and periodic jobs.

It proves, and exits 1 naming what failed: a login on A is valid on B; a reply
with three files posted on A downloads byte-for-byte on B, streamed by the app
(no redirect, no bucket URL in the page, private objects); a lockout earned on A
holds on B; under a mixed load across both nodes, killing node A (SIGKILL) mid-run
loses no acknowledged message and stores none twice; the orphan files a killed
upload can leave are swept and none is left; no node wrote to its local disk;
every e-mail is sent exactly once (one per stored message, no repeated
Message-ID, none undelivered). Then it prints its figures.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The load test's parts: HTTP client, seed data, throwaway database, child processes.
from load import data
from load.browser import CSRF, SUBMISSION, Browser, Response
from load.data import ACCOUNT, FILES, PASSWORD
from load.django_env import django_python, throwaway_database
from load.processes import Process, start

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUCKET = "caselog-attachments"
_LINK = re.compile(r'href="(/attachments/[^"]+/)" download>([^<]+)<')


class Failure(Exception):
    pass


# --- services -------------------------------------------------------------------


class Ports:
    """Free ports from a range (18000-18099 by default), never the same one twice."""

    def __init__(self, first: int, last: int) -> None:
        self.candidates = list(range(first, last + 1))

    def take(self) -> int:
        while self.candidates:
            port = self.candidates.pop(0)
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise Failure("no free port left in the range")


def wait_for_port(process: Process, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise Failure(f"{process.name} exited:\n{process.tail()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise Failure(f"{process.name} did not listen on {port} in {timeout} s:\n{process.tail()}")


@dataclass
class Inbox:
    """The SMTP server's side: every message it accepted."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def bodies(self) -> list[str]:
        with self.lock:
            return [m.get_body(("plain",)).get_content() for m in self.messages]  # type: ignore[union-attr]


def redis_url_that_answers(
    url: str, ports: Ports, workdir: Path, stack: contextlib.ExitStack
) -> str:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return url
    except redis.RedisError as error:
        server = shutil.which("redis-server")
        if not server:
            raise Failure(f"Redis does not answer at {url}; no redis-server to start") from error
    port = ports.take()
    process = start(
        "redis",
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir / "redis",
        env=dict(os.environ),
    )
    stack.callback(process.kill)
    wait_for_port(process, port)
    return f"redis://127.0.0.1:{port}/0"


def forget_keys(url: str, prefix: str) -> None:
    """Leave the shared Redis as it was: drop this run's sessions, lockouts and schedule."""
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="cluster-test",
        aws_secret_access_key="cluster-test",  # noqa: S106 - moto accepts any key
        region_name="us-east-1",
    )


def s3_keys(endpoint: str) -> set[str]:
    keys: set[str] = set()
    for page in s3_client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


# --- the cluster ----------------------------------------------------------------


@dataclass
class Cluster:
    env: dict[str, str]
    nodes: dict[str, tuple[Process, int]]
    worker: Process
    inbox: Inbox
    s3_endpoint: str
    node_dirs: dict[str, Path]
    seeded: dict[str, Any]
    setup_seconds: float

    def port(self, node: str) -> int:
        return self.nodes[node][1]

    def query(self, code: str) -> Any:
        return json.loads(django_python(self.env, code))


def node_env(base: dict[str, str], workdir: Path) -> dict[str, str]:
    env = dict(base)
    # Each process has its own MEDIA_ROOT: it must stay empty (attachments go to S3).
    env["MEDIA_ROOT"] = str(workdir / "media")
    return env


@contextlib.contextmanager
def cluster(args: argparse.Namespace) -> Iterator[Cluster]:
    from aiosmtpd.controller import Controller

    started = time.monotonic()
    ports = Ports(*args.ports)
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="caselog-cluster-")))
        database_url = stack.enter_context(throwaway_database(args.pg_url, args.pg_name, workdir))
        if not database_url.startswith("postgres"):
            raise Failure("the cluster test needs PostgreSQL: --pg-url postgres://…")
        redis_url = redis_url_that_answers(args.redis_url, ports, workdir, stack)

        s3_port = ports.take()
        moto = start(
            "moto",
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
            cwd=workdir / "moto",
            env=dict(os.environ),
        )
        stack.callback(moto.kill)
        wait_for_port(moto, s3_port)
        s3_endpoint = f"http://127.0.0.1:{s3_port}"
        s3_client(s3_endpoint).create_bucket(Bucket=BUCKET)

        inbox = Inbox()
        smtp_port = ports.take()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        stack.callback(controller.stop)

        prefix = f"cluster-{secrets.token_hex(4)}"
        stack.callback(forget_keys, redis_url, prefix)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DJANGO_"))}
        base.update(
            {
                "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1",
                "DJANGO_SETTINGS_MODULE": "caselog.settings",
                "DJANGO_DEBUG": "1",  # plain HTTP on loopback, static files from the finders
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
                "DJANGO_LOG_LEVEL": "WARNING",
                "DATABASE_URL": database_url,
                "CACHE_URL": redis_url,
                "CACHE_KEY_PREFIX": prefix,
                "CASELOG_SESSION_ENGINE": "cache",
                "CASELOG_LOGIN_THROTTLE_STORE": "cache",
                "CASELOG_STORAGE_BACKEND": "s3",
                "AWS_STORAGE_BUCKET_NAME": BUCKET,
                "AWS_S3_ENDPOINT_URL": s3_endpoint,
                "AWS_S3_REGION_NAME": "us-east-1",
                "AWS_ACCESS_KEY_ID": "cluster-test",
                "AWS_SECRET_ACCESS_KEY": "cluster-test",
                "AWS_S3_ADDRESSING_STYLE": "path",
                "AWS_S3_USE_SSL": "0",
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                "TASKS_BACKEND": "database",
            }
        )
        setup_env = node_env(base, workdir / "setup")
        django_python(
            setup_env,
            "from django.core.management import call_command\ncall_command('migrate', verbosity=0)",
        )
        seeded = data.seed(setup_env, 8)

        nodes: dict[str, tuple[Process, int]] = {}
        node_dirs: dict[str, Path] = {}
        for name in ("A", "B"):
            port = ports.take()
            node_dirs[name] = workdir / f"node-{name}"
            process = start(
                f"node-{name}",
                [
                    str(BIN / "gunicorn"),
                    "caselog.wsgi:application",
                    "--chdir",
                    str(node_dirs[name]),
                    "--pythonpath",
                    str(ROOT),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(args.node_workers),
                    "--timeout",
                    "60",
                    "--log-level",
                    "warning",
                ],
                cwd=node_dirs[name],
                env=node_env(base, node_dirs[name]),
            )
            stack.callback(process.kill)
            nodes[name] = (process, port)
        node_dirs["worker"] = workdir / "worker"
        worker = start(
            "worker",
            [sys.executable, str(ROOT / "manage.py"), "run_worker", "--interval", "0.2"],
            cwd=node_dirs["worker"],
            env=node_env(base, node_dirs["worker"]),
        )
        stack.callback(worker.kill)
        for process, port in nodes.values():
            wait_for_port(process, port)
        yield Cluster(
            env=setup_env,
            nodes=nodes,
            worker=worker,
            inbox=inbox,
            s3_endpoint=s3_endpoint,
            node_dirs=node_dirs,
            seeded=seeded,
            setup_seconds=round(time.monotonic() - started, 1),
        )


# --- the checks -----------------------------------------------------------------


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def login_is_shared(c: Cluster) -> None:
    on_a = Browser(c.port("A"))
    on_a.login(c.seeded["emails"][0], PASSWORD)
    on_b = Browser(c.port("B"))
    check(on_b.get("/cases/").status == 302, "node B let an anonymous visitor in")
    on_b.cookies = dict(on_a.cookies)
    page = on_b.get("/cases/")
    check(page.status == 200, f"a login on A is not valid on B (status {page.status})")
    check(ACCOUNT in page.text, "node B did not show the logged-in seller's log")


def files_cross_nodes(c: Cluster) -> dict[str, Any]:
    on_a = Browser(c.port("A"))
    on_a.login(c.seeded["emails"][1], PASSWORD)
    case_id = c.seeded["cases"][0]
    page = on_a.get(f"/cases/{case_id}/")
    before = set(_LINK.findall(page.text))
    csrf = CSRF.search(page.text)
    submission = SUBMISSION.search(page.text)
    check(bool(csrf and submission), "no reply form on the case page")
    fields = {
        "csrfmiddlewaretoken": csrf.group(1),  # type: ignore[union-attr]
        "submission_id": submission.group(1),  # type: ignore[union-attr]
        "subject": "Three files",
        "body": f"Three files, posted on A {submission.group(1)}",  # type: ignore[union-attr]
    }
    posted = on_a.post_multipart(f"/cases/{case_id}/reply/", fields, FILES)
    check(posted.status == 302, f"the reply with three files was refused on A ({posted.status})")

    on_b = Browser(c.port("B"))
    on_b.login(c.seeded["emails"][2], PASSWORD)
    page = on_b.get(f"/cases/{case_id}/")
    check(page.status == 200, f"node B cannot open the case ({page.status})")
    check(c.s3_endpoint not in page.text and BUCKET not in page.text, "a bucket URL is in the page")
    # The thread and the case's file list both link each file: count each once.
    new = sorted({link for link in _LINK.findall(page.text) if link not in before})
    check(len(new) == 3, f"node B lists {len(new)} new files, not 3")
    originals = {name: content for name, _type, content in FILES}
    for url, name in new:
        download = on_b.get(url)
        check(download.status == 200, f"{name}: download on B answered {download.status}")
        check("Location" not in download.headers, f"{name}: the download redirects")
        check(download.body == originals[name], f"{name}: the bytes differ on B")
    anonymous = Browser(c.port("B")).get(new[0][0])
    check(anonymous.status in (302, 403, 404), "an anonymous visitor could download a file")
    client = s3_client(c.s3_endpoint)
    keys = s3_keys(c.s3_endpoint)
    check(len(keys) >= 3, "the files are not in the object store")
    for key in keys:
        grants = client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        public = [g for g in grants if "AllUsers" in str(g.get("Grantee", {}).get("URI", ""))]
        check(not public, f"object {key} is public")
    return {"files_checked": len(new)}


def lockout_is_shared(c: Cluster, limit: int = 5) -> dict[str, Any]:
    victim = c.seeded["emails"][-1]  # kept out of the load below
    on_a = Browser(c.port("A"))
    statuses = []
    for _ in range(limit):
        page = on_a.get("/accounts/login/")
        token = CSRF.search(page.text)
        response = on_a.post_form(
            "/accounts/login/",
            {"username": victim, "password": "wrong", "csrfmiddlewaretoken": token.group(1)},  # type: ignore[union-attr]
        )
        statuses.append(response.status)
    check(statuses[-1] == 429, f"node A did not lock the login out after {limit} failures")
    on_b = Browser(c.port("B"))
    page = on_b.get("/accounts/login/")
    token = CSRF.search(page.text)
    right = on_b.post_form(
        "/accounts/login/",
        {"username": victim, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},  # type: ignore[union-attr]
    )
    check(right.status == 429, f"the lockout earned on A does not hold on B ({right.status})")
    other = Browser(c.port("B"))
    other.login(c.seeded["emails"][4], PASSWORD)  # raises if someone else is locked out too
    return {"lockout_statuses": statuses}


# --- the load, and node A killed in the middle ------------------------------------


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    failovers: int = 0
    latencies: list[float] = field(default_factory=list)
    write_latencies: list[float] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # submission -> files


class Client:
    """A browser behind a load balancer: when its node is gone, it goes to the other one."""

    def __init__(self, c: Cluster, home: str, tally: Tally, email_: str) -> None:
        self.c, self.node, self.tally = c, home, tally
        self.browser = Browser(c.port(home))
        self.browser.login(email_, PASSWORD)

    def request(self, method: str, path: str, *args: Any) -> Response:
        for _ in range(2):
            started = time.perf_counter()
            try:
                if method == "GET":
                    response = self.browser.get(path)
                else:
                    response = self.browser.post_multipart(path, *args)
            except OSError:
                if self.node == "A":  # node A was killed: the balancer sends us to B
                    with self.tally.lock:
                        self.tally.failovers += 1
                    self.node = "B"
                    self.browser.port = self.c.port("B")
                    continue
                raise
            elapsed = time.perf_counter() - started
            with self.tally.lock:
                self.tally.requests += 1
                self.tally.latencies.append(elapsed)
                if method == "POST":
                    self.tally.write_latencies.append(elapsed)
                if response.status >= 500:
                    self.tally.errors.append(f"{method} {path}: {response.status}")
            return response
        raise OSError("both nodes are gone")


def writer(client: Client, deadline: float, rng: random.Random) -> None:
    cases = client.c.seeded["cases"]
    while time.monotonic() < deadline:
        try:
            case_id = rng.choice(cases)
            page = client.request("GET", f"/cases/{case_id}/")
            csrf = CSRF.search(page.text)
            submission = SUBMISSION.search(page.text)
            if page.status != 200 or not csrf or not submission:
                continue
            files = rng.sample(FILES, rng.choice([1, 2, 3])) if rng.random() < 0.5 else []
            token = submission.group(1)
            fields = {
                "csrfmiddlewaretoken": csrf.group(1),
                "submission_id": token,
                "subject": "Cluster",
                "body": f"Cluster message {token}",
            }
            # The same form again after a failover: the one-time token makes it idempotent.
            response = client.request("POST", f"/cases/{case_id}/reply/", fields, files)
            if response.status == 302:
                with client.tally.lock:
                    client.tally.acknowledged[token] = len(files)
        except OSError as error:
            with client.tally.lock:
                client.tally.errors.append(f"writer: {error!r}")
        time.sleep(rng.uniform(0, 0.1))


def reader(client: Client, deadline: float, rng: random.Random) -> None:
    cases = client.c.seeded["cases"]
    while time.monotonic() < deadline:
        path = rng.choice(
            [f"/cases/{rng.choice(cases)}/", "/cases/", "/cases/?q=refund", "/cases/export.csv"]
        )
        try:
            client.request("GET", path)
        except OSError as error:
            with client.tally.lock:
                client.tally.errors.append(f"reader: {error!r}")
        time.sleep(rng.uniform(0, 0.1))


def load_with_a_node_killed(c: Cluster, seconds: float, clients: int) -> dict[str, Any]:
    tally = Tally()
    emails = c.seeded["emails"][:-1]  # the last one is locked out
    people = [
        Client(c, "A" if i % 2 == 0 else "B", tally, emails[i % len(emails)])
        for i in range(clients)
    ]
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=writer if i % 2 == 0 else reader, args=(p, deadline, random.Random(i))
        )
        for i, p in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds * 0.4)
    node_a, _port = c.nodes["A"]
    os.killpg(node_a.popen.pid, signal.SIGKILL)  # no graceful shutdown: in-flight work dies
    node_a.popen.wait(timeout=10)
    killed_at = round(seconds * 0.4, 1)
    for thread in threads:
        thread.join()
    return {"tally": tally, "killed_at": killed_at}


# --- after the load: what is stored, what is in S3, what was mailed ----------------

STATE_CODE = """
from collections import Counter
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from correspondence.models import Attachment, Message
from background.models import EmailDelivery
tokens = Counter(Message.objects.exclude(client_token=None).values_list("client_token", flat=True))
print(json.dumps({
    "messages": Message.objects.count(),
    "per_token": tokens,
    "attachment_files": sorted(Attachment.objects.values_list("file", flat=True)),
    "attachments_per_token": Counter(
        Attachment.objects.values_list("message__client_token", flat=True)),
    "pending_tasks": DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).count(),
    "undelivered": EmailDelivery.objects.undelivered().count(),
    "deferred": EmailDelivery.objects.deferred().count(),
    "sent": EmailDelivery.objects.sent().count(),
}))
"""

SWEEP_CODE = """
from correspondence.tasks import sweep_orphan_files
print(json.dumps(sweep_orphan_files.call(min_age_seconds=0)))
"""


def wait_for_the_queue(c: Cluster, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = c.query(STATE_CODE)
        if state["pending_tasks"] == 0 or time.monotonic() > deadline:
            return state
        check(c.worker.alive(), f"the worker died:\n{c.worker.tail()}")
        time.sleep(1)


def verify_after_load(c: Cluster, tally: Tally) -> dict[str, Any]:
    drain_started = time.monotonic()
    state = wait_for_the_queue(c)
    drain_seconds = round(time.monotonic() - drain_started, 1)
    check(state["pending_tasks"] == 0, f"{state['pending_tasks']} tasks still queued")
    per_token = state["per_token"]
    lost = [t for t in tally.acknowledged if per_token.get(t, 0) == 0]
    doubled = [t for t, n in per_token.items() if n > 1]
    wrong_files = [
        t for t, n in tally.acknowledged.items() if state["attachments_per_token"].get(t, 0) != n
    ]
    check(not lost, f"{len(lost)} acknowledged messages are lost: {lost[:5]}")
    check(not doubled, f"{len(doubled)} messages are stored twice: {doubled[:5]}")
    check(not wrong_files, f"{len(wrong_files)} acknowledged messages lack files")

    rows = set(state["attachment_files"])
    location = "attachments/"  # AWS_LOCATION's default in caselog/scaleout.py
    objects = {key.removeprefix(location) for key in s3_keys(c.s3_endpoint)}
    orphans_before = len(objects - rows)
    swept = c.query(SWEEP_CODE)
    objects = {key.removeprefix(location) for key in s3_keys(c.s3_endpoint)}
    check(not (rows - objects), f"{len(rows - objects)} attachment rows have no object")
    check(not (objects - rows), f"{len(objects - rows)} orphan objects after the sweep")

    for name, folder in c.node_dirs.items():
        media = folder / "media"
        written = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
        check(not written, f"{name} wrote attachments to its local disk: {written[:3]}")

    bodies = c.inbox.bodies()
    with c.inbox.lock:
        message_ids = Counter(m["Message-ID"] for m in c.inbox.messages)
    repeated = [mid for mid, n in message_ids.items() if n > 1]
    check(not repeated, f"{len(repeated)} e-mails were sent more than once")
    stored_tokens = [t for t in per_token if t]
    mails_per_token = Counter()
    for body in bodies:
        for token in re.findall(r"(?:Cluster message|posted on A) (\S+)", body):
            mails_per_token[token] += 1
    not_once = [t for t in stored_tokens if mails_per_token.get(t, 0) != 1]
    unacknowledged = [t for t in stored_tokens if t not in tally.acknowledged]
    check(
        not not_once,
        f"{len(not_once)} stored messages were not e-mailed exactly once: "
        + ", ".join(
            f"{t} mailed {mails_per_token.get(t, 0)}x"
            + ("" if t in tally.acknowledged else " (never acknowledged)")
            for t in not_once[:5]
        ),
    )
    check(state["undelivered"] == 0, f"{state['undelivered']} e-mails are undelivered")
    check(len(bodies) == state["sent"], f"{len(bodies)} e-mails received, {state['sent']} sent")
    return {
        "messages_stored": state["messages"],
        "messages_acknowledged": len(tally.acknowledged),
        "stored_not_acknowledged": len(unacknowledged),
        "acknowledged_and_stored": len(tally.acknowledged) - len(lost),
        "stored_twice": len(doubled),
        "attachment_rows": len(rows),
        "s3_objects": len(objects),
        "orphan_objects_after_kill": orphans_before,
        "orphan_objects_swept": swept,
        "orphan_objects_left": len(objects - rows),
        "emails_received": len(bodies),
        "emails_repeated": len(repeated),
        "emails_undelivered": state["undelivered"],
        "queue_drained_seconds": drain_seconds,
    }


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    with cluster(args) as c:
        figures: dict[str, Any] = {"setup_seconds": c.setup_seconds}
        checks = [
            ("a login on A is valid on B", lambda: login_is_shared(c)),
            ("three files posted on A download byte-for-byte on B", lambda: files_cross_nodes(c)),
            ("a lockout earned on A holds on B", lambda: lockout_is_shared(c)),
        ]
        for title, step in checks:
            figures.update(step() or {})
            print(f"ok  {title}", flush=True)
        started = time.monotonic()
        result = load_with_a_node_killed(c, args.seconds, args.clients)
        tally: Tally = result["tally"]
        print(
            f"ok  {args.seconds:g} s of load, node A killed at {result['killed_at']} s", flush=True
        )
        check(not c.nodes["A"][0].alive(), "node A is still running")
        check(c.nodes["B"][0].alive(), f"node B died:\n{c.nodes['B'][0].tail()}")
        check(not tally.errors, f"{len(tally.errors)} errors: {tally.errors[:5]}")
        figures.update(
            {
                "load_seconds": round(time.monotonic() - started, 1),
                "clients": args.clients,
                "node_workers": args.node_workers,
                "node_a_killed_at_seconds": result["killed_at"],
                "requests": tally.requests,
                "errors": len(tally.errors),
                "failovers_to_b": tally.failovers,
                "p50_ms": round(percentile(tally.latencies, 0.50) * 1000),
                "p99_ms": round(percentile(tally.latencies, 0.99) * 1000),
                "write_p99_ms": round(percentile(tally.write_latencies, 0.99) * 1000),
            }
        )
        figures.update(verify_after_load(c, tally))
        print("ok  no acknowledged message lost or doubled, no orphan object, e-mails once")
        return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="length of the mixed load")
    parser.add_argument("--clients", type=int, default=8, help="half write, half read")
    parser.add_argument("--node-workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("CLUSTER_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL database to issue CREATE/DROP DATABASE from",
    )
    parser.add_argument("--pg-name", default="caselog_cluster", help="the throwaway database")
    parser.add_argument(
        "--redis-url", default=os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/5")
    )
    parser.add_argument(
        "--ports", type=int, nargs=2, default=[18000, 18099], metavar=("FIRST", "LAST")
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    try:
        figures = run(args)
    except (Failure, RuntimeError) as failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(figures))
    else:
        print("\nfigures")
        for key, value in figures.items():
            print(f"  {key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
