"""Files left in storage by a process killed mid-upload are swept; every file with a row stays."""

from __future__ import annotations

import os
import time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from cases.models import CaseState
from correspondence.models import Attachment
from correspondence.services import message_post
from correspondence.tasks import sweep_orphan_files
from tests.conftest import make_case
from tests.correspondence.conftest import pdf, text


def test_it_deletes_only_files_without_a_row(account, seller, on_disk):
    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    message_post(case=case, author=seller, direction="seller", body="Hi", files=[pdf(), text()])
    stray = default_storage.save("attachments/zz/left-by-a-killed-node", ContentFile(b"x"))

    assert sweep_orphan_files.call(min_age_seconds=0) == 1

    assert not default_storage.exists(stray)
    kept = {str(path.relative_to(default_storage.location)) for path in on_disk()}
    assert kept == set(Attachment.objects.values_list("file", flat=True))
    assert len(kept) == 2


def test_it_leaves_young_files_alone(db, on_disk):
    name = default_storage.save("attachments/zz/being-saved-now", ContentFile(b"x"))
    assert sweep_orphan_files.call() == 0
    assert default_storage.exists(name)

    an_hour_ago = time.time() - 3700
    os.utime(default_storage.path(name), (an_hour_ago, an_hour_ago))
    assert sweep_orphan_files.call() == 1


def test_it_copes_with_nothing_stored(db):
    assert sweep_orphan_files.call(min_age_seconds=0) == 0


def test_it_looks_files_up_in_batches_not_per_folder(
    account, seller, on_disk, monkeypatch, django_assert_num_queries
):
    from correspondence import tasks

    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    message_post(case=case, author=seller, direction="seller", body="Hi", files=[pdf(), text()])
    strays = [
        default_storage.save(f"attachments/{folder}/left-by-a-killed-node", ContentFile(b"x"))
        for folder in ["a1", "b2", "c3", "d4", "e5"]
    ]
    kept = set(Attachment.objects.values_list("file", flat=True))
    # Seven files in up to seven folders: one query; with batches of three, three.
    with django_assert_num_queries(1):
        assert sweep_orphan_files.call(min_age_seconds=0) == 5
    assert not any(default_storage.exists(name) for name in strays)
    assert {str(path.relative_to(default_storage.location)) for path in on_disk()} == kept

    strays = [
        default_storage.save(f"attachments/{folder}/left-again", ContentFile(b"x"))
        for folder in ["a1", "b2", "c3", "d4", "e5"]
    ]
    monkeypatch.setattr(tasks, "SWEEP_BATCH", 3)
    with django_assert_num_queries(3):
        assert sweep_orphan_files.call(min_age_seconds=0) == 5
    assert {str(path.relative_to(default_storage.location)) for path in on_disk()} == kept


def test_the_file_name_index_is_built_without_locking_writes_on_postgresql(transactional_db):
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Attachment._meta.db_table)
    assert constraints["attachment_file"]["columns"] == ["file"]
    sql = StringIO()
    call_command("sqlmigrate", "correspondence", "0009_attachment_file_index", stdout=sql)
    concurrently = 'CREATE INDEX CONCURRENTLY "attachment_file"' in sql.getvalue()
    assert concurrently == (connection.vendor == "postgresql"), sql.getvalue()
    assert '"attachment_file" ON "correspondence_attachment" ("file")' in sql.getvalue()
