"""The thread of a case: messages between the seller and Seller Support, with files."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case


def new_token() -> str:
    return secrets.token_urlsafe(24)


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random and carries no part of the user's file name.
    return f"attachments/{instance.token[:2]}/{instance.token}"


class Message(models.Model):
    class Direction(models.TextChoices):
        FROM_SELLER = "seller", _("From seller")
        FROM_SUPPORT = "support", _("From Seller Support")
        # An agents' internal note: never shown, sent or searchable to a seller
        # (`SELLER_VISIBLE` below is the condition every seller-side read applies).
        NOTE = "note", _("Internal note")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    # The one-time token of the form that sent this message: a second submission
    # of the same form (double click, browser resubmit) finds it and adds nothing.
    client_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["case", "sent_at"], name="message_case_time")]

    def __str__(self) -> str:
        return self.subject or self.body[:60]

    @property
    def from_support(self) -> bool:
        return self.direction == self.Direction.FROM_SUPPORT

    @property
    def is_note(self) -> bool:
        return self.direction == self.Direction.NOTE


# What a seller may ever read of a thread: every message but the internal notes.
SELLER_VISIBLE = ~models.Q(direction=Message.Direction.NOTE)


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        # The orphan-file sweep looks stored names up (correspondence.tasks).
        indexes = [models.Index(fields=["file"], name="attachment_file")]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("attachment", args=[self.token])


class BulkJob(models.Model):
    """An agent's action on a large selection of cases, run by the worker
    (`correspondence.tasks.run_bulk_job`): one transaction and one e-mail per
    case; a case already where the action would take it is skipped, so running
    the job again changes nothing twice. The admin shows its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    event = models.CharField(_("action"), max_length=32)
    team = models.ForeignKey(
        "cases.SupportTeam",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("support team"),
    )
    note = models.TextField(_("note"), blank=True, default="")
    case_ids = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("cases"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} × {self.total}"

    @property
    def processed(self) -> int:
        return self.done + self.skipped + self.failed


def held_path(instance: HeldFile, filename: str) -> str:
    # Apart from attachments/: the orphan sweep there knows only attachment rows.
    return f"held/{instance.token[:2]}/{instance.token}"


class HeldFile(models.Model):
    """A file the contact form carried to a case's reply form ("Add a reply there"),
    kept until that reply is sent (it then becomes an attachment) or HELD_FOR has
    passed (`correspondence.tasks.sweep_held_files`). Only its user sees it."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(_("file"), upload_to=held_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100)
    held_at = models.DateTimeField(_("held at"), default=timezone.now)

    class Meta:
        verbose_name = _("held file")
        verbose_name_plural = _("held files")
        ordering = ["held_at", "id"]
        indexes = [models.Index(fields=["user", "case"], name="heldfile_user_case")]

    def __str__(self) -> str:
        return self.original_name


class SavedReply(models.Model):
    """A reply agents start from: picked on the admin reply form, in the owner's language.

    Managed in the admin by whoever has the permission (Support agents may view
    and use them; their leads add and change them).
    """

    title = models.CharField(_("title"), max_length=120, unique=True)
    body_en = models.TextField(_("text in English"))
    body_fr = models.TextField(_("text in French"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def body_in(self, language: str) -> str:
        """The text in `language` when it exists, else the English one."""
        if language.startswith("fr") and self.body_fr.strip():
            return self.body_fr
        return self.body_en

    def text_for(self, language: str, *, case_id: int, seller_email: str, agent_name: str) -> str:
        """The text in `language` with its placeholders (`PLACEHOLDERS`) filled in."""
        values = {"case_id": str(case_id), "seller_email": seller_email, "agent_name": agent_name}
        text = self.body_in(language)
        for name in PLACEHOLDERS:
            text = text.replace(f"{{{name}}}", values[name])
        return text


# What a saved reply may hold, each filled for the case it is used on (`text_for`).
PLACEHOLDERS = {
    "case_id": _("the case ID"),
    "seller_email": _("the case owner's e-mail"),
    "agent_name": _("your name"),
}


class OverviewSnapshot(models.Model):
    """The lead's overview figures as last computed (correspondence.overview): one
    row, rewritten by a periodic task, so the page reads one row at any size."""

    computed_at = models.DateTimeField(_("computed at"))
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("overview snapshot")
        verbose_name_plural = _("overview snapshots")

    def __str__(self) -> str:
        return f"Overview of {self.computed_at:%Y-%m-%d %H:%M}"
