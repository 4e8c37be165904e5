"""The case record."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from background.mail import validate_sendable_address
from cases.models.people import (
    DEFAULT_RESPONSE_TARGET_HOURS,
    SellerAccount,
    SupportTeam,
    canonical_email,
)
from cases.models.states import (
    STATES,
    TRANSITIONS,
    CaseEvent,
    CaseState,
    EscalationReason,
    StateFacts,
    Turn,
)

CASE_ID_MIN = 1_000_000_000
CASE_ID_MAX = 9_999_999_999
MAX_CC = 10
SHORT_DESCRIPTION_MAX = 200


def new_case_id() -> int:
    """A random 10-digit case number: unique by retry, never sequential."""
    return CASE_ID_MIN + secrets.randbelow(CASE_ID_MAX - CASE_ID_MIN + 1)


@dataclass(frozen=True, slots=True)
class TimeLeft:
    """A delay as a page says it: in hours under two days, in days beyond
    (`cases/_closes_in.html`). Rounded up: "in 1 h" until the very end."""

    hours: int
    days: int
    in_hours: bool

    @classmethod
    def of(cls, left: timedelta) -> TimeLeft:
        hours = -(-int(left.total_seconds()) // 3600)
        return cls(hours=hours, days=-(-hours // 24), in_hours=hours < 48)


class UrgencyField(models.PositiveSmallIntegerField):
    """The urgency of the instance's state, kept in step by every save and bulk
    create (a plain column: adding a state or moving its rank rewrites no row)."""

    # The fields it is computed from: a save that writes one writes this too
    # (`cases.services.locked._save_locked` reads it).
    derived_from: tuple[str, ...] = ("state",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", 0)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> int:
        rank = STATES[CaseState(model_instance.serializable_value("state"))].urgency
        setattr(model_instance, self.attname, rank)
        return rank


class QueueRank(models.IntegerChoices):
    """The agents' queue: escalated cases first within support's turn, then the
    rest of support's turn, then everything else (each by the longest wait)."""

    ESCALATED = 0, _("Escalated, support's turn")
    SUPPORT = 1, _("Support's turn")
    OTHER = 2, _("Not support's turn")


def queue_rank_of(state: str, escalated: bool) -> int:
    if STATES[CaseState(state)].turn != Turn.SUPPORT:
        return QueueRank.OTHER
    return QueueRank.ESCALATED if escalated else QueueRank.SUPPORT


class QueueRankField(models.PositiveSmallIntegerField):
    """The case's place in the agents' queue (`queue_rank_of` its state and
    escalation), kept in step by every save and bulk create, like UrgencyField; the
    services' locked write adds it whenever it writes what it derives from."""

    derived_from: tuple[str, ...] = ("state", "escalated_at")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", QueueRank.OTHER)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> int:
        rank = queue_rank_of(
            model_instance.serializable_value("state"),
            getattr(model_instance, "escalated_at", None) is not None,
        )
        setattr(model_instance, self.attname, rank)
        return rank


class Case(models.Model):
    id = models.BigIntegerField(_("case ID"), primary_key=True, default=new_case_id, editable=False)
    account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="cases", verbose_name=_("account")
    )
    created_at = models.DateTimeField(_("creation date"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=20, choices=CaseState.choices, default=CaseState.OPEN
    )
    primary_email = models.EmailField(_("primary e-mail"), validators=[validate_sendable_address])
    cc_list = models.JSONField(_("CC list"), default=list, blank=True)
    short_description = models.CharField(_("short description"), max_length=SHORT_DESCRIPTION_MAX)
    support_team = models.ForeignKey(
        SupportTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("support team"),
    )
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Bumped on every write; an edit form carries the version it was read at so a
    # stale save is refused instead of silently overwriting a colleague.
    version = models.PositiveIntegerField(default=0, editable=False)
    # Who wrote the first message. Kept on the case (set once by `case_create`)
    # so the log shows it without a subquery per row.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    # The state's urgency (StateFacts.urgency), stored so that `o=state` is an index
    # range scan in every language. Derived from `state` whenever a case is saved
    # (UrgencyField.pre_save), so it is never written by hand.
    state_rank = UrgencyField(editable=False)
    # The agents' queue order (see QueueRank), derived from state and escalation.
    queue_rank = QueueRankField(editable=False)
    # The agent who handles the case (cases.services.case_assign); empty: unassigned.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
        # Indexed by case_queue_assignee, which it leads.
        db_index=False,
    )
    # --- the conversation (kept by cases.services.case_transition) --------
    # When support last acted (message, state change, transfer): the log's
    # "Updated" mark compares it with when the user last opened the case.
    support_activity_at = models.DateTimeField(_("last support activity"), null=True, blank=True)
    # Since when the seller waits on support (set when it becomes support's turn;
    # empty on anyone else's turn). Past the team's target, the case is overdue.
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    # The automatic resolution of a case waiting on the seller, and its reminder.
    auto_resolve_at = models.DateTimeField(_("automatic resolution"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    answer_not_accepted = models.BooleanField(_("answer not accepted"), default=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalation_reason = models.CharField(
        _("escalation reason"),
        max_length=20,
        choices=EscalationReason.choices,
        blank=True,
        default="",
    )
    escalation_text = models.TextField(_("escalation details"), blank=True, default="")
    # A case opened as a follow-up of another case of the same account.
    related_case = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("related case"),
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("act_on_case", _("Can reply to, transfer, resolve and reopen cases")),
        ]
        indexes = [
            # One index per sortable column of the log, led by the account so a
            # seller's view is a range scan that comes out already sorted. Each
            # ends with state and resolved_at: the default view's "not expired"
            # test is answered from the index, so a count or a deep page walks
            # index entries only, never table rows.
            models.Index(
                fields=["account", "created_at", "id", "state", "resolved_at"],
                name="case_acct_created",
            ),
            models.Index(fields=["account", "id", "state", "resolved_at"], name="case_acct_id"),
            # A state filter's count, and the default view's (`not_expired_ranges`).
            models.Index(
                fields=["account", "state", "resolved_at", "id"], name="case_acct_state_resolved"
            ),
            models.Index(
                fields=["account", "primary_email", "id", "state", "resolved_at"],
                name="case_acct_email",
            ),
            models.Index(
                fields=["account", "short_description", "id", "state", "resolved_at"],
                name="case_acct_desc",
            ),
            # `o=activity` and `o=state` (urgency), like the other sortable columns.
            models.Index(
                fields=["account", "last_activity_at", "id", "state", "resolved_at"],
                name="case_acct_activity",
            ),
            models.Index(
                fields=["account", "state_rank", "last_activity_at", "id", "state", "resolved_at"],
                name="case_acct_urgency",
            ),
            # run_case_timers: the cases whose clock runs, soonest first.
            models.Index(fields=["auto_resolve_at"], name="case_auto_resolve"),
            # The admin's default view: who has waited longest.
            models.Index(fields=["waiting_since", "id"], name="case_waiting_since"),
            # The agents' queue (escalated first, then the longest wait), and the
            # same order under its state, "assigned to me" and "unassigned" filters.
            models.Index(fields=["queue_rank", "waiting_since", "id"], name="case_queue"),
            models.Index(
                fields=["state", "queue_rank", "waiting_since", "id"], name="case_queue_state"
            ),
            models.Index(
                fields=["assignee", "queue_rank", "waiting_since", "id"],
                name="case_queue_assignee",
            ),
            # The header's "needs your attention" count (yours / all), index only.
            models.Index(
                fields=["account", "state", "primary_email", "id"], name="case_acct_state_email"
            ),
            models.Index(fields=["state", "resolved_at"], name="case_state_resolved"),
            # Support agents and the admin list: every account, newest first.
            models.Index(fields=["created_at", "id"], name="case_created"),
            # The case page lists follow-ups oldest first; without it SQLite walks
            # the account's date index instead (54 ms at 100,000 cases).
            models.Index(fields=["related_case", "created_at", "id"], name="case_follow_ups"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(id__gte=CASE_ID_MIN) & Q(id__lte=CASE_ID_MAX),
                name="case_id_ten_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} — {self.short_description}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.id])

    @property
    def state_facts(self) -> StateFacts:
        return STATES[CaseState(self.state)]

    @property
    def state_meaning(self) -> str:
        return str(self.state_facts.meaning)

    @property
    def state_badge(self) -> str:
        return self.state_facts.badge

    @property
    def turn(self) -> Turn:
        return self.state_facts.turn

    @property
    def is_closed(self) -> bool:
        return self.state_facts.closed

    def allows(self, event: str) -> bool:
        """Whether the state table lets `event` happen to this case now (an expired
        case takes no move but reopening). Pages ask this instead of comparing states."""
        if self.is_expired and event != CaseEvent.REOPENED:
            return False
        return self.state in TRANSITIONS[event].sources

    @property
    def can_reopen(self) -> bool:
        return self.allows(CaseEvent.REOPENED)

    @property
    def can_resolve(self) -> bool:
        """Support may resolve it (and reply, transfer): the conversation goes on."""
        return self.allows(CaseEvent.RESOLVED)

    @property
    def seller_can_resolve(self) -> bool:
        """ "My issue is solved" is offered."""
        return self.allows(CaseEvent.SELLER_RESOLVED)

    @property
    def response_target_hours(self) -> int:
        if self.support_team_id and self.support_team:
            return self.support_team.response_target_hours
        return DEFAULT_RESPONSE_TARGET_HOURS

    @property
    def response_target(self) -> timedelta:
        return timedelta(hours=self.response_target_hours)

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_at(timezone.now())

    def is_overdue_at(self, now: datetime) -> bool:
        """Support's turn, and the seller has waited longer than the team's target
        (`overdue_q`)."""
        return (
            self.turn == Turn.SUPPORT
            and self.waiting_since is not None
            and now - self.waiting_since > self.response_target
        )

    @property
    def closes_in(self) -> TimeLeft | None:
        """How long until the automatic resolution, once the reminder is out ("Closes
        automatically in 23 h"); None before the reminder, after the moment, or when
        the case is not waiting for the seller."""
        if self.reminder_sent_at is None or self.auto_resolve_at is None or self.is_expired:
            return None
        left = self.auto_resolve_at - timezone.now()
        if left <= timedelta(0):
            return None
        return TimeLeft.of(left)

    @property
    def waited(self) -> timedelta | None:
        """How long the seller has waited for Seller Support (their turn only)."""
        if self.turn != Turn.SUPPORT or self.waiting_since is None:
            return None
        return timezone.now() - self.waiting_since

    @property
    def needs_attention(self) -> bool:
        """The seller's turn (`needs_attention_q`)."""
        return self.turn == Turn.SELLER

    def is_owned_by(self, email: str) -> bool:
        """`email` is the primary e-mail: the case is theirs, "mine" (`owned_by_q`)."""
        return self.primary_email == canonical_email(email)

    def copies(self, email: str) -> bool:
        """The CC list holds `email` (`copied_q`)."""
        return canonical_email(email) in self.cc_list

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None

    @property
    def may_escalate(self) -> bool:
        """The seller may ask for escalation: overdue, or right after "No"."""
        return (
            not self.is_escalated
            and not self.is_expired
            and (self.is_overdue or (self.answer_not_accepted and self.turn == Turn.SUPPORT))
        )

    @property
    def expires_at(self) -> datetime | None:
        if not self.is_closed or self.resolved_at is None:
            return None
        return self.resolved_at + timedelta(days=settings.CASELOG_EXPIRE_AFTER_DAYS)

    @property
    def is_expired(self) -> bool:
        return self.is_expired_at(timezone.now())

    def is_expired_at(self, now: datetime) -> bool:
        """Resolved more than `CASELOG_EXPIRE_AFTER_DAYS` ago (`expired_q`)."""
        expires_at = self.expires_at
        return expires_at is not None and expires_at < now

    @property
    def days_until_expiry(self) -> int | None:
        expires_at = self.expires_at
        if expires_at is None or self.is_expired:
            return None
        return max(0, (expires_at - timezone.now()).days)
