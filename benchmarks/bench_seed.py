"""The benchmark's data: reproducible, written in bulk.

`--cases` cases over `--accounts` seller accounts; the first account, "Bench Shop",
holds `--big` of them (the log and export of one large seller), the others share
the rest. One case of the big account carries 300 messages with 900 attachment
rows (the case page), another one is open for the reply measure. A support agent
(staff, in the "Support agents" group) sees every case.

Rows go in with raw `executemany` on SQLite (with the table's secondary indexes
dropped during the load and rebuilt after it, and `synchronous=OFF`) and `COPY`
on PostgreSQL: about 10x faster than `bulk_create` for 1,000,000 rows.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SEED = 20261127
BIG_ACCOUNT = "Bench Shop"
SELLER_EMAIL = "bench-seller@bench.example"
COLLEAGUE_EMAIL = "bench-colleague@bench.example"
AGENT_EMAIL = "bench-agent@bench.example"
OTHER_EMAILS = ["ops@bench.example", "accounting@bench.example", "warehouse@bench.example"]
CASE_PAGE_MESSAGES = 300
FILES_PER_MESSAGE = 3
# Bump when the generated data changes: a stamp with another version reseeds.
DATA_VERSION = 2
BATCH = 50_000

SUBJECTS = [
    "Refund not received for order {n}",
    "Refund request rejected, order {n}",
    "Listing {n} suppressed for missing images",
    "Payment on hold since {d}",
    "Question about fees on invoice {n}",
    "Inventory sync error on SKU {n}",
    "Buyer claims item not delivered ({n})",
    "Account health warning: late shipment rate",
    "Brand registry: trademark {n} pending",
    "Shipping template not applied to {n} offers",
    "Taxe TVA facturée deux fois – commande {n}",
    "Catégorie refusée pour l’offre {n}",
    "Return label generation fails for order {n}",
    "-20% promotion not shown on listing {n}",
    "=SUM(A1) appears in my report header",
    "Duplicate ASIN merge request {n}",
]
ACTIVE_STATES = [
    "open",
    "pending_support",
    "needs_attention",
    "answered",
    "transferred",
    "reopened",
]


def account_sizes(total: int, accounts: int, big: int) -> list[int]:
    """Cases per account: the big one first, the rest shared out evenly."""
    big = min(big, total)
    others = max(accounts - 1, 0)
    if not others:
        return [total]
    rest = total - big
    return [big] + [rest // others + (1 if i < rest % others else 0) for i in range(others)]


def generate(
    sizes: list[int], account_ids: list[int], emails: list[list[str]], now: dt.datetime
) -> Iterator[tuple[Any, ...]]:
    """(id, account_id, created_at, state, primary_email, description, resolved_at) rows.

    The same rows for a given seed, sizes and `now` (ages are relative to now).
    """
    from cases.models import CASE_ID_MAX, CASE_ID_MIN

    rng = random.Random(SEED)
    total = sum(sizes)
    ids = rng.sample(range(CASE_ID_MIN, CASE_ID_MAX + 1), total)
    position = 0
    three_years = 3 * 365 * 86400
    for account_id, size, choices in zip(account_ids, sizes, emails, strict=True):
        for case_id in ids[position : position + size]:
            created_at = now - dt.timedelta(seconds=rng.randint(0, three_years))
            description = rng.choice(SUBJECTS).format(
                n=rng.randint(100, 999_999), d=created_at.date().isoformat()
            )
            resolved_at = None
            if rng.random() < 0.5:
                state = "resolved"
                # Resolved within 3 weeks of opening: most are long past the expiry.
                resolved_at = min(now, created_at + dt.timedelta(hours=rng.randint(1, 21 * 24)))
            else:
                state = rng.choice(ACTIVE_STATES)
            yield (
                case_id,
                account_id,
                created_at,
                state,
                rng.choice(choices),
                description[:200],
                resolved_at,
            )
        position += size


def _users_and_accounts(sizes: list[int]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    from cases.models import Membership, SellerAccount

    user_model = get_user_model()

    def user(email: str, **extra: Any) -> Any:
        found = user_model.objects.filter(email=email).first()
        return found or user_model.objects.create_user(email=email, password=None, **extra)

    seller, colleague = user(SELLER_EMAIL), user(COLLEAGUE_EMAIL)
    agent = user(AGENT_EMAIL, is_staff=True)
    group, _ = Group.objects.get_or_create(name="Support agents")
    # What the bench agent needs, whatever a flushed test database left of the
    # data migration's group and of the permissions (get_or_create is idempotent).
    from django.contrib.contenttypes.models import ContentType

    from cases.models import Case

    ContentType.objects.clear_cache()
    case_type = ContentType.objects.get_for_model(Case)
    for codename, name in [("view_case", "Can view case"), ("act_on_case", "Can act on case")]:
        permission, _ = Permission.objects.get_or_create(
            content_type=case_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)
    agent.groups.add(group)
    agent = user_model.objects.get(pk=agent.pk)  # no stale permission cache
    from cases.access import is_support_staff

    if not is_support_staff(agent):
        raise RuntimeError(
            f"the bench agent cannot see cases: groups {list(agent.groups.values_list('name'))},"
            f" perms {sorted(agent.get_all_permissions())[:20]}"
        )
    accounts, emails = [], []
    for index in range(len(sizes)):
        name = BIG_ACCOUNT if index == 0 else f"Bench Account {index + 1:02d}"
        account, _ = SellerAccount.objects.get_or_create(name=name)
        accounts.append(account)
        if index == 0:
            for member in (seller, colleague):
                Membership.objects.get_or_create(account=account, user=member)
            emails.append([SELLER_EMAIL] * 5 + [COLLEAGUE_EMAIL] * 3 + OTHER_EMAILS)
        else:
            member = user(f"seller{index + 1:02d}@bench.example")
            Membership.objects.get_or_create(account=account, user=member)
            emails.append([member.email])
    return {
        "seller": seller,
        "colleague": colleague,
        "agent": agent,
        "accounts": accounts,
        "emails": emails,
    }


def _case_columns() -> list[Any]:
    from cases.models import Case

    return [field for field in Case._meta.concrete_fields if not field.generated]


def _row_adapter(now: dt.datetime) -> tuple[list[str], Any]:
    """Column names and a function turning a generated row into database values."""
    from django.db import connection

    known = {
        "id": 0,
        "account_id": 1,
        "created_at": 2,
        "state": 3,
        "primary_email": 4,
        "short_description": 5,
        "resolved_at": 6,
    }
    fields = _case_columns()
    columns = [f.column for f in fields]
    # Other columns (added by other features) get their default, adapted once.
    defaults: list[Any] = []
    for field in fields:
        if field.attname in known or field.attname == "last_activity_at":
            defaults.append(None)
        elif field.has_default():
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            defaults.append(None)
    plan = []
    for position, field in enumerate(fields):
        if field.attname == "last_activity_at":
            plan.append(("activity", None))
        elif field.attname == "state_rank":
            # What UrgencyField.pre_save stores: the state's urgency.
            plan.append(("rank", None))
        elif field.attname == "queue_rank":
            # What QueueRankField.pre_save stores (no bench case is escalated).
            plan.append(("queue", None))
        elif field.attname in known:
            kind = "dt" if field.get_internal_type() == "DateTimeField" else "raw"
            plan.append((kind, known[field.attname]))
        else:
            plan.append(("const", defaults[position]))
    sqlite = connection.vendor == "sqlite"
    from cases.models import STATES, CaseState, queue_rank_of

    def as_db(value: dt.datetime | None) -> Any:
        if value is None or not sqlite:
            return value
        # What Django's SQLite backend stores: naive UTC, ISO with a space.
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")

    def adapt(row: tuple[Any, ...]) -> tuple[Any, ...]:
        out = []
        for kind, arg in plan:
            if kind == "raw":
                out.append(row[arg])
            elif kind == "dt":
                out.append(as_db(row[arg]))
            elif kind == "activity":
                out.append(as_db(row[6] or row[2]))
            elif kind == "rank":
                out.append(STATES[CaseState(row[3])].urgency)
            elif kind == "queue":
                out.append(queue_rank_of(row[3], False))
            else:
                out.append(arg)
        return tuple(out)

    return columns, adapt


@contextmanager
def _secondary_indexes_dropped(cursor: Any, list_sql: str) -> Iterator[None]:
    """Drop the indexes `list_sql` lists (name, CREATE statement) during the block.

    They are rebuilt after it: one build per index instead of one insert per row
    and index.
    """
    cursor.execute(list_sql)
    indexes = cursor.fetchall()
    for name, _sql in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _name, index_sql in indexes:
        cursor.execute(index_sql)


def _load_sqlite(rows: Iterator[tuple[Any, ...]], columns: list[str], adapt: Any) -> None:
    from django.db import connection

    sql = (
        f"INSERT INTO cases_case ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with (
        connection.cursor() as cursor,
        _secondary_indexes_dropped(
            cursor,
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='cases_case'"
            " AND sql IS NOT NULL",
        ),
    ):
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(adapt(row))
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _load_postgresql(rows: Iterator[tuple[Any, ...]], columns: list[str], adapt: Any) -> None:
    from django.db import connection

    with (
        connection.cursor() as cursor,
        _secondary_indexes_dropped(
            cursor,
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_case' AND "
            "indexname NOT IN (SELECT conname FROM pg_constraint)",
        ),
    ):
        raw = cursor.cursor  # the psycopg cursor
        with raw.copy(f"COPY cases_case ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(adapt(row))
        # Django's foreign keys are DEFERRABLE: check them now, or CREATE INDEX
        # refuses a table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET maintenance_work_mem = '256MB'")


def _load_search_terms() -> None:
    """Every case's search terms (description and owner), as the services write them."""
    from django.db import connection

    from cases.search import case_terms

    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT id, account_id, short_description, primary_email FROM cases_case "
                "WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            cases = cursor.fetchall()
            if not cases:
                return
            last = cases[-1][0]
            terms = [
                (term, pk, account_id)
                for pk, account_id, description, email in cases
                for term in case_terms(description=description, email=email, texts=())
            ]
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(
                    "COPY cases_casesearchterm (term, case_id, account_id) FROM STDIN"
                ) as copy:
                    for row in terms:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    "INSERT INTO cases_casesearchterm (term, case_id, account_id)"
                    " VALUES (%s, %s, %s)",
                    terms,
                )


def _case_page(case: Any, author: Any, agent: Any, now: dt.datetime) -> None:
    """300 messages, 3 attachment rows each (the page lists them; no file is read)."""
    from correspondence.models import Attachment, Message

    rng = random.Random(SEED + 1)
    messages = []
    for index in range(CASE_PAGE_MESSAGES):
        seller = index % 2 == 0
        messages.append(
            Message(
                case=case,
                author=author if seller else agent,
                direction=Message.Direction.FROM_SELLER
                if seller
                else Message.Direction.FROM_SUPPORT,
                subject=f"Message {index + 1} about the missing refund",
                body="\n".join(
                    f"Line {line}: " + " ".join(rng.choice(SUBJECTS)[:30] for _ in range(4))
                    for line in range(6)
                ),
                sent_at=now - dt.timedelta(hours=CASE_PAGE_MESSAGES - index),
                recipients=[case.primary_email],
            )
        )
    Message.objects.bulk_create(messages, batch_size=500)
    messages = list(Message.objects.filter(case=case).order_by("sent_at", "id"))
    attachments = [
        Attachment(
            message=message,
            token=f"bench{message.pk:08d}x{number}" + "0" * 20,
            file=f"bench/{message.pk}-{number}.pdf",
            original_name=f"invoice-{message.pk}-{number}.pdf",
            size=rng.randint(10_000, 5_000_000),
            content_type="application/pdf",
            uploaded_at=message.sent_at,
        )
        for message in messages
        for number in range(FILES_PER_MESSAGE)
    ]
    Attachment.objects.bulk_create(attachments, batch_size=500)


def seed(*, total: int, accounts: int, big: int) -> dict[str, Any]:
    """Write every bench row into an empty (bench-only) database; returns who is who."""
    from django.db import connection, transaction
    from django.utils import timezone

    from cases.models import CaseState

    sizes = account_sizes(total, accounts, big)
    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        people = _users_and_accounts(sizes)
    account_ids = [a.pk for a in people["accounts"]]
    columns, adapt = _row_adapter(now)
    rows = generate(sizes, account_ids, people["emails"], now)
    sqlite = connection.vendor == "sqlite"
    if sqlite and not connection.in_atomic_block:
        # A bench database can be rebuilt: skip the fsyncs, and give the index
        # builds 256 MB of page cache (both only for this connection).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")
    with transaction.atomic():
        if sqlite:
            _load_sqlite(rows, columns, adapt)
        else:
            _load_postgresql(rows, columns, adapt)
        _load_search_terms()
    loaded = time.perf_counter() - started
    people.update(_special_cases(people, now))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Autovacuum would do this soon after a bulk load; VACUUM also sets the
            # visibility map that index-only scans need.
            if not connection.in_atomic_block:
                cursor.execute("VACUUM ANALYZE")
            else:
                cursor.execute("ANALYZE")
        elif not connection.in_atomic_block:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - started
    print(
        f"seed: {total:,} cases over {len(sizes)} accounts in {seconds:.1f} s "
        f"(rows loaded in {loaded:.1f} s)"
    )
    people.update(
        {"sizes": sizes, "seconds": seconds, "reused": False, "state_open": CaseState.OPEN}
    )
    return people


def _special_cases(people: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The case page's case and the reply's case, both in the big account."""
    from django.db import transaction

    from cases.models import Case

    big = people["accounts"][0]
    with transaction.atomic():
        base = Case.objects.filter(account=big, state="answered").order_by("-created_at")
        page_case, reply_case = list(base[:2])
        Case.objects.filter(pk=page_case.pk).update(
            short_description="Bench case page: 300 messages, 900 files"
        )
        page_case.refresh_from_db()
        _case_page(page_case, people["seller"], people["agent"], now)
    return {"page_case": page_case.pk, "reply_case": reply_case.pk}


def find_existing(expected: dict[str, Any]) -> dict[str, Any] | None:
    """Who is who in an earlier seed, when the database still holds exactly that seed."""
    from django.contrib.auth import get_user_model

    from cases.models import Case, SellerAccount

    stamp = read_stamp()
    if stamp != {**expected, "seeded_at": stamp.get("seeded_at") if stamp else None}:
        return None
    seeded_at = dt.datetime.fromisoformat(stamp["seeded_at"])
    if dt.datetime.now(dt.UTC) - seeded_at > dt.timedelta(days=7):
        return None  # ages are relative to the seed time: refresh a stale seed
    users = get_user_model().objects
    try:
        accounts = [SellerAccount.objects.get(name=BIG_ACCOUNT)]
        people = {
            "seller": users.get(email=SELLER_EMAIL),
            "colleague": users.get(email=COLLEAGUE_EMAIL),
            "agent": users.get(email=AGENT_EMAIL),
        }
    except Exception:
        return None
    if Case.objects.count() != expected["total"]:
        return None
    page_case = (
        Case.objects.filter(account=accounts[0], short_description__startswith="Bench case page")
        .values_list("pk", flat=True)
        .first()
    )
    reply_case = (
        Case.objects.filter(account=accounts[0], state="answered")
        .exclude(pk=page_case)
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if page_case is None or reply_case is None:
        return None
    return {
        **people,
        "accounts": accounts,
        "page_case": page_case,
        "reply_case": reply_case,
        "sizes": account_sizes(expected["total"], expected["accounts"], expected["big"]),
        "seconds": 0.0,
        "reused": True,
    }


STAMP: dict[str, Any] = {"path": None}


def read_stamp() -> dict[str, Any] | None:
    path = STAMP["path"]
    if path is None or not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def write_stamp(expected: dict[str, Any]) -> None:
    path = STAMP["path"]
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**expected, "seeded_at": dt.datetime.now(dt.UTC).isoformat()}))
