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
