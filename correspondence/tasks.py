"""Tasks of the correspondence app."""

from __future__ import annotations

from django.tasks import task

from cases.models import Case
from correspondence.models import Message
from correspondence.notifications import SELLER, notify_seller, notify_support


@task()
def notify_case_event(audience: str, case_id: int, event: str, message_id: int | None) -> None:
    """Compose a case notification now and queue it (the worker composes, not the migration).

    Used by migration 0006 for the notifications the old outbox still held.
    """
    # A system task acts for no user: there is no access door to go through.
    case = Case.objects.filter(pk=case_id).first()
    if case is None:  # deleted since: nobody to tell
        return
    message = Message.objects.filter(pk=message_id).first() if message_id else None
    notify = notify_seller if audience == SELLER else notify_support
    notify(case, event, message)
