"""Upkeep that runs apart from any page: the conversation's clocks (`case_timers_run`)
and the rebuild of the search index's text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from cases.search import case_search_entries_rebuild
from cases.selectors import case_timer_ids
from cases.services import case_auto_resolve, case_claim_reminder
from correspondence.models import Attachment, Message


@dataclass(frozen=True)
class TimersRun:
    reminded: int
    resolved: int


def case_timers_run(*, now: datetime | None = None) -> TimersRun:
    """The conversation's clocks (`manage.py run_case_timers`): remind, then resolve.

    Each case is decided on its own (a conditional update for the reminder, a
    locked re-read for the resolution), so the job can run twice at once, or be
    interrupted and run again: every reminder is sent once, every case resolved
    once, and a seller who replied or kept the case open a moment ago wins.
    """
    now = now or timezone.now()
    reminder_ids, end_ids = case_timer_ids(now=now)
    reminded = resolved = 0
    for case_id in reminder_ids:
        # Each service queues its e-mail (reminder, resolution) with its own write.
        reminded += case_claim_reminder(case_id=case_id, now=now) is not None
    for case_id in end_ids:
        resolved += case_auto_resolve(case_id=case_id, now=now) is not None
    return TimersRun(reminded=reminded, resolved=resolved)


def search_index_rebuild(*, case_ids: list[int]) -> int:
    """Re-index the text of `case_ids` (messages written in bulk, e.g. demo data);
    internal notes are indexed as such (the agents' search only)."""
    NOTE = Message.Direction.NOTE
    names: dict[int, list[str]] = {}
    for message_id, name in Attachment.objects.filter(message__case_id__in=case_ids).values_list(
        "message_id", "original_name"
    ):
        names.setdefault(message_id, []).append(name)
    messages = (
        (case_id, message_id, subject, body, names.get(message_id, []), direction == NOTE)
        for message_id, case_id, subject, body, direction in Message.objects.filter(
            case_id__in=case_ids
        ).values_list("id", "case_id", "subject", "body", "direction")
    )
    return case_search_entries_rebuild(case_ids=case_ids, messages=messages)
