"""Reads of a case's thread, each in a constant number of queries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from cases.access import AnyUser, Viewer, cases_for_support, cases_visible_to
from correspondence.models import Attachment, Message


def thread_of(case_id: int) -> list[Message]:
    """Messages oldest first, with author and attachments, in two queries."""
    return list(
        Message.objects.filter(case_id=case_id)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id"))
        )
        .order_by("sent_at", "id")
    )


def attachments_visible_to(viewer: Viewer) -> QuerySet[Attachment]:
    """Attachments reach their case through the one door, cases.access."""
    return Attachment.objects.filter(message__case__in=cases_visible_to(viewer).values("pk"))


def attachments_for_support(user: AnyUser) -> QuerySet[Attachment]:
    """Every attachment for a Seller Support agent (the admin), none for anyone else."""
    return Attachment.objects.filter(message__case__in=cases_for_support(user).values("pk"))
