"""Reads of a case's thread, each in a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from cases.access import AnyUser, Viewer, cases_for_support, cases_visible_to
from cases.display import Moment, links, moments
from cases.models import Case, CaseHistory
from correspondence.models import SELLER_VISIBLE, Attachment, HeldFile, Message

# What a case page shows before "show all": the newest messages in full and the
# newest files, so that the page's cost does not grow with the thread. The
# seller's case page and the agents' case page both stop here.
NEWEST_SHOWN = 20


@dataclass(frozen=True, slots=True)
class FileLink:
    """A file as the seller's case page links it (`_thread.html#file-link`): its
    download URL, size and upload date, worked out once a file (a file shows under
    its message and in the file list)."""

    attachment: Attachment
    url: str
    size: str
    uploaded: Moment


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """A message of the case page, when it was sent, and its files (oldest first)."""

    message: Message
    sent: Moment
    files: list[FileLink]


@dataclass(frozen=True, slots=True)
class FileRow:
    """A row of the case page's file list: the file and the message it came with.
    `message_shown`: the page shows that message (its link stays on the page)."""

    link: FileLink
    message: Message
    message_shown: bool


@dataclass(frozen=True, slots=True)
class Thread:
    """What a case page shows of its correspondence: the newest messages (oldest
    first, with their files), the newest files, and how many of each the case holds."""

    items: list[ThreadItem]
    message_count: int
    files: list[FileRow]
    file_count: int

    @property
    def all_messages_shown(self) -> bool:
        return len(self.items) == self.message_count

    @property
    def all_files_shown(self) -> bool:
        return len(self.files) == self.file_count


def thread_of(
    case: Case,
    *,
    messages: int | None = NEWEST_SHOWN,
    files: int | None = NEWEST_SHOWN,
    notes: bool = False,
) -> Thread:
    """The newest `messages` messages of a case that came through the door, with
    their author and files, and its newest `files` files (None: all of either), in
    four queries whatever the thread's length. The agents' internal notes only with
    `notes` (the admin): a seller's page never asks for them.

    The attachments are read by message and handed out here rather than by
    `prefetch_related`, whose bookkeeping per message took a third of the read."""
    visible = Q() if notes else SELLER_VISIBLE
    counts = Message.objects.filter(visible, case=case).aggregate(
        messages=Count("id", distinct=True), files=Count("attachments")
    )
    newest = Message.objects.filter(visible, case=case).select_related("author")
    newest = newest.order_by("-sent_at", "-id")
    shown = list(newest if messages is None else newest[:messages])
    shown.reverse()
    by_message: dict[int, list[Attachment]] = {message.pk: [] for message in shown}
    for attachment in Attachment.objects.filter(message__in=list(by_message)).order_by(
        "uploaded_at", "id"
    ):
        by_message[attachment.message_id].append(attachment)
    # The file list follows the thread's order: by message, then by upload.
    newest_files = (
        Attachment.objects.filter(message__case=case)
        .filter(Q(message__in=Message.objects.filter(visible, case=case)) if not notes else Q())
        .select_related("message")
        .order_by("-message__sent_at", "-message_id", "-uploaded_at", "-id")
    )
    listed = list(newest_files if files is None else newest_files[:files])
    listed.reverse()
    moment = moments()
    link = _file_links(moment)
    return Thread(
        items=[
            ThreadItem(m, moment(m.sent_at), [link(a) for a in by_message[m.pk]]) for m in shown
        ],
        message_count=counts["messages"],
        files=[FileRow(link(a), a.message, a.message_id in by_message) for a in listed],
        file_count=counts["files"],
    )


def _file_links(moment: Callable[[datetime], Moment]) -> Callable[[Attachment], FileLink]:
    """A page's file links: each file's once, its URL from one `reverse()` (the
    token is its only part), its date from the page's `moment`."""
    made: dict[int, FileLink] = {}
    url = links(reverse("attachment", args=["-"]), "-")

    def link(attachment: Attachment) -> FileLink:
        if attachment.pk not in made:
            made[attachment.pk] = FileLink(
                attachment,
                url(attachment.token),
                filesizeformat(attachment.size),
                moment(attachment.uploaded_at),
            )
        return made[attachment.pk]

    return link


def attachments_visible_to(viewer: Viewer) -> QuerySet[Attachment]:
    """Attachments reach their case through the one door, cases.access; a seller
    never reaches the file of an internal note."""
    return Attachment.objects.filter(
        message__case__in=cases_visible_to(viewer).values("pk")
    ).exclude(message__direction=Message.Direction.NOTE)


def attachments_for_support(user: AnyUser) -> QuerySet[Attachment]:
    """Every attachment for a Seller Support agent (the admin), none for anyone else."""
    return Attachment.objects.filter(message__case__in=cases_for_support(user).values("pk"))


# --- reads for the system's own jobs (no user asked; nothing from a request) ---


def message_for_system(message_id: int | None) -> Message | None:
    """A message by its ID for the system's own jobs (the e-mail composer, queued
    tasks), or None when there is none or it was deleted since. The ID comes from a
    row the system wrote, never from a request (as `cases.access.case_for_system`)."""
    return Message.objects.filter(pk=message_id).first() if message_id else None


def first_support_answers(since: datetime) -> QuerySet[Message, tuple[Any, ...]]:
    """(case ID, team ID, case created at, first support answer at) of every case
    opened since `since` that support answered: the lead's overview."""
    return (
        Message.objects.filter(
            direction=Message.Direction.FROM_SUPPORT, case__created_at__gte=since
        )
        .order_by()
        .values_list("case_id", "case__support_team_id", "case__created_at")
        .annotate(first=Min("sent_at"))
    )


def stored_file_names(names: list[str]) -> set[str]:
    """Which of these stored file names an attachment row names (the orphan sweep)."""
    return set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))


@dataclass(frozen=True, slots=True)
class CaseChanges:
    """What happened to a case since a moment: its new messages and history
    entries, newest first (at most NEWEST_SHOWN of each)."""

    messages: list[Message]
    history: list[CaseHistory]


def case_changes_since(case: Case, since: datetime | None) -> CaseChanges:
    """What changed in `case` (read through the door already) after `since`; the
    newest of each when `since` is unknown."""
    messages = case.messages.select_related("author").order_by("-sent_at", "-id")
    history = CaseHistory.objects.filter(case=case).select_related("actor")
    if since is not None:
        messages = messages.filter(sent_at__gt=since)
        history = history.filter(changed_at__gt=since)
    return CaseChanges(
        messages=list(messages[:NEWEST_SHOWN]),
        history=list(history.order_by("-changed_at", "-id")[:NEWEST_SHOWN]),
    )


def held_files_of(user: AnyUser, case: Case) -> list[HeldFile]:
    """The files `user`'s contact form carried to the reply form of `case` (a case
    the caller reached through `cases.access`)."""
    if not user.is_authenticated:
        return []
    return list(HeldFile.objects.filter(user=user, case=case))
