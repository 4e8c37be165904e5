"""Tasks of the correspondence app."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.tasks import task
from django.utils import timezone

from cases.access import case_for_system
from correspondence.limits import ORPHAN_MIN_AGE
from correspondence.notifications import SELLER, notify_seller, notify_support
from correspondence.selectors import message_for_system, stored_file_names
from correspondence.services import bulk_job_run, held_files_expire

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
    message = message_for_system(message_id)
    notify = notify_seller if audience == SELLER else notify_support
    notify(case, event, message)


@task()
def run_bulk_job(job_id: int) -> None:
    """An agent's action on a large selection (`correspondence.services.bulk_job_start`)."""
    bulk_job_run(job_id=job_id)


# Stored names looked up per query (on the index `attachment_file`): the sweep costs
# one query per this many files, not one per folder.
SWEEP_BATCH = 1000


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
    stored: list[str] = []
    for prefix in prefixes:
        folder = f"{ATTACHMENTS}/{prefix}"
        _sub, names = default_storage.listdir(folder)
        stored += (f"{folder}/{name}" for name in names)
        if len(stored) >= SWEEP_BATCH:
            deleted += _delete_unknown(stored, cutoff if min_age_seconds else None)
            stored = []
    deleted += _delete_unknown(stored, cutoff if min_age_seconds else None)
    if deleted:
        logger.warning("Deleted %d attachment file(s) without a row", deleted)
    return deleted


def _delete_unknown(stored: list[str], cutoff: datetime | None) -> int:
    """Delete the stored files no attachment row names (modified before `cutoff`)."""
    deleted = 0
    for start in range(0, len(stored), SWEEP_BATCH):
        batch = stored[start : start + SWEEP_BATCH]
        known = stored_file_names(batch)
        for name in sorted(set(batch) - known):
            if cutoff and default_storage.get_modified_time(name) > cutoff:
                continue
            default_storage.delete(name)
            deleted += 1
    return deleted


# How long the files carried by "Add a reply there" wait for the reply to be sent.
HELD_FOR = timedelta(days=1)


@task()
def sweep_held_files() -> int:
    """Delete the held files of replies never sent (`correspondence.models.HeldFile`)."""
    return held_files_expire(before=timezone.now() - HELD_FOR)
