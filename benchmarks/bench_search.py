"""Benchmark the full-text search of the case log at 100,000 cases × 5 messages.

    .venv/bin/python benchmarks/bench_search.py                    # SQLite
    .venv/bin/python benchmarks/bench_search.py --cases 2000       # smoke run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_search_caselog \\
        .venv/bin/python benchmarks/bench_search.py                # PostgreSQL

Its own database (default benchmarks/.data/bench_search.sqlite3; a PostgreSQL
database is created if missing), migrated, with
one account "Search Shop" holding --cases cases of 5 messages each; the search
entries are written in bulk (the FTS5 triggers / GIN index keep up as they would
for messages posted one by one). A later run reuses a seed of the right size.
Requests go through the real URLs with django.test.Client, in process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from bench.setup import start_django  # noqa: E402 - importable once BENCH_DIR is on the path
from bench.timing import stats, timed  # noqa: E402

DEFAULT_DB = BENCH_DIR / ".data" / "bench_search.sqlite3"
ACCOUNT = "Search Shop"
EMAIL = "search-seller@bench.example"
BATCH = 5000
WORDS = [
    "order",
    "refund",
    "parcel",
    "invoice",
    "payment",
    "listing",
    "account",
    "warehouse",
    "courier",
    "label",
    "return",
    "customer",
    "shipment",
    "inventory",
    "price",
    "report",
    "settlement",
    "fee",
    "storage",
    "brand",
    "claim",
]
# Rare words: one case in 1,000 mentions one of them in a message body.
RARE = ["heliotrope", "quokka", "zanzibar"]
URLS = [
    ("common word 'refund'", "/cases/?q=refund"),
    ("rare word 'heliotrope'", "/cases/?q=heliotrope"),
    ("two words 'courier label'", "/cases/?q=courier+label"),
    ("prefix 'invo'", "/cases/?q=invo"),
    ("no match 'xylophone'", "/cases/?q=xylophone"),
    ("rare word, export", "/cases/export.csv?q=heliotrope"),
    ("admin: owner e-mail, exact", f"/admin/cases/case/?q={EMAIL}"),
    ("admin: owner e-mail, prefix", "/admin/cases/case/?q=search-sel"),
    ("admin: rare word", "/admin/cases/case/?q=heliotrope"),
]
AGENT = "search-agent@bench.example"


def setup(db: str | None) -> None:
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    start_django(db, DEFAULT_DB)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def seed(cases: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from cases.models import (
        Case,
        CaseSearchEntry,
        CaseSearchTerm,
        CaseState,
        Membership,
        SellerAccount,
        User,
    )
    from cases.search import case_terms, entry_text
    from correspondence.models import Message

    account, _new = SellerAccount.objects.get_or_create(name=ACCOUNT)
    user = User.objects.filter(email=EMAIL).first() or User.objects.create_user(EMAIL, "bench-pass")
    Membership.objects.get_or_create(account=account, user=user)
    if Case.objects.filter(account=account).count() == cases:
        print(f"seed: reusing {cases} cases")
        return
    started = time.perf_counter()
    Case.objects.filter(account=account).delete()
    rng = random.Random(20261127)
    now = timezone.now()
    states = [s for s in CaseState.values if s != CaseState.RESOLVED]
    used: set[int] = set()
    for first in range(0, cases, BATCH):
        batch_cases, batch_messages = [], []
        for number in range(first, min(cases, first + BATCH)):
            case_id = rng.randint(1_000_000_000, 9_999_999_999)
            while case_id in used:
                case_id = rng.randint(1_000_000_000, 9_999_999_999)
            used.add(case_id)
            created = now - dt.timedelta(minutes=number * 5)
            subject = " ".join(rng.sample(WORDS, 3)).capitalize()
            batch_cases.append(
                Case(
                    id=case_id,
                    account=account,
                    created_at=created,
                    last_activity_at=created,
                    state=rng.choice(states),
                    primary_email=EMAIL,
                    short_description=subject,
                    opened_by=user,
                )
            )
            for index in range(5):
                words = rng.choices(WORDS, k=40)
                if index == 2 and number % 1000 == 0:
                    words.insert(20, RARE[number // 1000 % len(RARE)])
                batch_messages.append(
                    Message(
                        case_id=case_id,
                        author=user,
                        direction="seller" if index % 2 == 0 else "support",
                        subject=subject if index == 0 else f"RE: {subject}",
                        body=" ".join(words),
                        sent_at=created + dt.timedelta(hours=index),
                    )
                )
        with transaction.atomic():
            Case.objects.bulk_create(batch_cases)
            messages = Message.objects.bulk_create(batch_messages)
            if connection.vendor == "postgresql" or messages[0].pk is None:
                messages = list(Message.objects.filter(case_id__in=[c.id for c in batch_cases]))
            # Entry ids hold their case (CaseSearchEntry.key): 0 the description,
            # then the messages in order.
            entries = [
                CaseSearchEntry(
                    id=CaseSearchEntry.key(c.id, 0), case_id=c.id, subject=c.short_description
                )
                for c in batch_cases
            ]
            ordinals: dict[int, int] = {}
            for m in sorted(messages, key=lambda m: m.pk):
                ordinals[m.case_id] = ordinals.get(m.case_id, 0) + 1
                entries.append(
                    CaseSearchEntry(
                        id=CaseSearchEntry.key(m.case_id, ordinals[m.case_id]),
                        case_id=m.case_id,
                        message_id=m.pk,
                        subject=m.subject,
                        body=m.body,
                    )
                )
            CaseSearchEntry.objects.bulk_create(entries)
            # The terms as the services write them (`cases.search.case_terms`).
            texts: dict[int, list[str]] = {}
            for entry in entries[len(batch_cases) :]:
                texts.setdefault(entry.case_id, []).append(
                    entry_text(entry.subject, entry.body, entry.file_names)
                )
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {CaseSearchTerm._meta.db_table} (term, case_id, account_id)"
                    " VALUES (%s, %s, %s)",
                    [
                        (term, c.id, c.account_id)
                        for c in batch_cases
                        for term in case_terms(
                            description=c.short_description,
                            email=c.primary_email,
                            texts=texts.get(c.id, []),
                        )
                    ],
                )
        print(f"\rseed: {min(cases, first + BATCH)}/{cases}", end="", flush=True)
    with connection.cursor() as cursor:
        # VACUUM on PostgreSQL: index-only scans of the term index need the visibility map.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "PRAGMA optimize")
    print(f"\nseed: {cases} cases, {cases * 5} messages in {time.perf_counter() - started:.0f} s")


def measure(repeat: int) -> list[tuple[str, float, float, float, int, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cases.models import User

    seller_client = Client()
    seller_client.force_login(User.objects.get(email=EMAIL))
    agent = User.objects.filter(email=AGENT).first() or User.objects.create_superuser(
        AGENT, "bench-pass"
    )
    admin_client = Client()
    admin_client.force_login(agent)
    results = []
    for label, url in URLS:
        client = admin_client if url.startswith("/admin/") else seller_client

        def get(client: Client = client, url: str = url) -> None:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)

        times, _ = timed(get, repeat)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if response.streaming:
                rows = b"".join(response.streaming_content).count(b"\n") - 1
            else:
                rows = response.content.count(b'class="case-id fw-semibold"')
                rows += response.content.count(b'name="_selected_action"')
        ms = {k: v * 1000 for k, v in stats(times).items()}
        results.append((label, ms["median"], ms["min"], ms["max"], len(queries), rows))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", help="SQLite file or database URL (overrides DATABASE_URL)")
    args = parser.parse_args(argv)
    setup(args.db)
    from django.db import connection

    seed(args.cases)
    print(f"\n{connection.vendor}, {args.cases} cases × 5 messages, {args.repeat} runs each")
    print(f"{'request':32} {'median':>9} {'min':>9} {'max':>9} {'queries':>8} {'rows':>6}")
    for label, med, low, high, queries, rows in measure(args.repeat):
        print(f"{label:32} {med:7.1f}ms {low:7.1f}ms {high:7.1f}ms {queries:8} {rows:6}")


if __name__ == "__main__":
    main()
