"""A SQLite file database and its attachments, backed up online, restored elsewhere:
every case, message and file is found again, byte for byte (scripts/backup.py)."""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return sys.modules[name]


loadtest = _load("loadtest")
backup_script = _load("backup")

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="SQLite file backups: run in the SQLite half of the suite",
)

MAKE_DATA = """
from django.core.files.uploadedfile import SimpleUploadedFile
from cases.models import Membership, SellerAccount
from correspondence.models import Message
from correspondence.services import case_open, message_post
from django.contrib.auth import get_user_model
user = get_user_model().objects.create_user("backup@example.com", "x-backup-pass-1")
account = SellerAccount.objects.create(name="Backup Shop")
Membership.objects.create(account=account, user=user)
PDF = b"%PDF-1.4\\n%%EOF\\n"
for i in range(5):
    first = case_open(account=account, author=user, subject=f"Case {i} été", body=f"Body {i}",
                      files=[SimpleUploadedFile(f"doc-{i}.pdf", PDF + bytes([i]))])
    message_post(case=first.case, author=user, direction=Message.Direction.FROM_SELLER,
                 body=f"Follow-up {i}",
                 files=[SimpleUploadedFile(f"notes-{i}.txt", f"note {i}".encode()),
                        SimpleUploadedFile(f"more-{i}.txt", f"more {i}".encode())])
"""

SNAPSHOT = """
import hashlib
from cases.models import Case
from correspondence.models import Attachment, Message
print(json.dumps({
    "cases": sorted([c.pk, c.short_description, c.state] for c in Case.objects.all()),
    "messages": sorted([m.case_id, m.body] for m in Message.objects.all()),
    "files": sorted(
        [a.original_name, hashlib.sha256(a.file.open("rb").read()).hexdigest()]
        for a in Attachment.objects.all()
    ),
}))
"""


def test_a_restored_backup_holds_every_case_message_and_file(tmp_path):
    live_db, live_media = tmp_path / "live" / "db.sqlite3", tmp_path / "live" / "media"
    live_db.parent.mkdir()
    env = loadtest.server_env(f"sqlite:///{live_db}", live_media)
    loadtest.django_python(
        env, "from django.core.management import call_command\ncall_command('migrate', verbosity=0)"
    )
    loadtest.django_python(env, MAKE_DATA)
    before = json.loads(loadtest.django_python(env, SNAPSHOT))
    assert len(before["cases"]) == 5
    assert len(before["messages"]) == 10
    assert len(before["files"]) == 15

    # Online: another connection is reading (and the WAL is in use) during the backup.
    reader = sqlite3.connect(live_db)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM cases_case").fetchone()
    archive = backup_script.backup(live_db, live_media, tmp_path / "backups")
    reader.close()

    restored_db, restored_media = tmp_path / "restored" / "db.sqlite3", tmp_path / "restored" / "m"
    backup_script.restore(archive, restored_db, restored_media)
    restored_env = loadtest.server_env(f"sqlite:///{restored_db}", restored_media)
    after = json.loads(loadtest.django_python(restored_env, SNAPSHOT))

    assert after == before


def test_restore_refuses_to_overwrite_and_rejects_a_damaged_archive(tmp_path):
    db, media = tmp_path / "db.sqlite3", tmp_path / "media"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE correspondence_attachment (file TEXT)")
    conn.execute("INSERT INTO correspondence_attachment VALUES ('attachments/ab/abc')")
    conn.commit()
    conn.close()
    (media / "attachments" / "ab").mkdir(parents=True)
    (media / "attachments" / "ab" / "abc").write_bytes(b"data")
    archive = backup_script.backup(db, media, tmp_path / "out")

    with pytest.raises(SystemExit, match="already holds data"):
        backup_script.restore(archive, db, media)
    assert backup_script.verify(archive) == {"attachments": 1}

    (media / "attachments" / "ab" / "abc").unlink()  # a file lost before the backup
    broken = backup_script.backup(db, media, tmp_path / "out2")
    with pytest.raises(SystemExit, match="missing"):
        backup_script.verify(broken)
