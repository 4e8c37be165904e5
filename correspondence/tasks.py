"""Tasks of the correspondence app."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.files.storage import default_storage
from django.tasks import task
from django.utils import timezone

from cases.access import case_for_system
from correspondence.models import Attachment, Message
from correspondence.notifications import SELLER, notify_seller, notify_support
from correspondence.services import bulk_job_run

logger = logging.getLogger(__name__)
ATTACHMENTS = "attachments"  # the folder of every stored file (models.attachment_path)


@task()
def notify_case_event(audience: str, case_id: int, event: str, message_id: int | None) -> None:
    """Compose a case notification now and queue it (the worker composes, not the migration).

    Used by migration 0006 for the notifications the old outbox still held.
    """
    case = case_for_system(case_id)
    if case is None:  # deleted since: nobody to tell
        return
    message = Message.objects.filter(pk=message_id).first() if message_id else None
    notify = notify_seller if audience == SELLER else notify_support
    notify(case, event, message)


@task()
def run_bulk_job(job_id: int) -> None:
    """An agent's action on a large selection (`correspondence.services.bulk_job_start`)."""
    bulk_job_run(job_id=job_id)


# Longer than any upload takes: a younger file may belong to a message still being saved.
ORPHAN_MIN_AGE = timedelta(hours=1)


@task()
def sweep_orphan_files(min_age_seconds: int = int(ORPHAN_MIN_AGE.total_seconds())) -> int:
    """Delete stored attachment files that no attachment row names; return how many.

    A failed save deletes its own files, but a process killed between writing a
    file and committing its row (a node lost mid-upload) cannot: this finds
    those, in the filesystem or the object store alike.
    """
    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)
    deleted = 0
    try:
        prefixes, _files = default_storage.listdir(ATTACHMENTS)
    except FileNotFoundError:  # nothing stored yet
        return 0
    for prefix in prefixes:
        folder = f"{ATTACHMENTS}/{prefix}"
        _sub, names = default_storage.listdir(folder)
        stored = {f"{folder}/{name}" for name in names}
        known = set(
            Attachment.objects.filter(file__startswith=f"{folder}/").values_list("file", flat=True)
        )
        for name in sorted(stored - known):
            if min_age_seconds and default_storage.get_modified_time(name) > cutoff:
                continue
            default_storage.delete(name)
            deleted += 1
    if deleted:
        logger.warning("Deleted %d attachment file(s) without a row", deleted)
    return deleted
