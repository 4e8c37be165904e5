"""The case page: 300 messages and 900 files, and a case with no message beside it."""

from __future__ import annotations

from typing import Any

from bench.log_pages import measure_pages


def measure_case_page(client: Any, case_id: int, repeat: int) -> dict[str, Any]:
    """The page measure of one case page, with its count of messages and files."""
    [row] = measure_pages(client, [("case page", f"/cases/{case_id}/")], repeat)
    return {**row, **thread_size(case_id)}


def thread_size(case_id: int) -> dict[str, int]:
    """How many messages and files the case's thread holds (the seller's and the
    agents' case page show the same thread)."""
    from correspondence.models import Attachment, Message

    return {
        "messages": Message.objects.filter(case_id=case_id).count(),
        "files": Attachment.objects.filter(message__case_id=case_id).count(),
    }
