"""Accounts, cases, their states and their history.

Nothing outside `cases.services` writes `Case.state`: the allowed moves are the
TRANSITIONS table below, and `case_transition` is the only code that applies it.
"""

from __future__ import annotations

import json
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import get_supported_language_variant, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from background.mail import validate_sendable_address

CASE_ID_MIN = 1_000_000_000
CASE_ID_MAX = 9_999_999_999
MAX_CC = 10
SHORT_DESCRIPTION_MAX = 200


def validate_time_zone(value: str) -> None:
    """A blank value (the site's zone) or an IANA zone name this system knows."""
    if value and value not in available_time_zones():
        raise ValidationError(_("Choose a time zone from the list."), code="invalid_time_zone")


@cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def canonical_email(address: str) -> str:
    """The one stored form of an e-mail address (users, owners, CC lists): trimmed,
    lower-cased whole (Python's lower(), which knows every letter, not only ASCII).
    Rules compare canonical forms, so no database has to fold case."""
    return address.strip().lower()


def new_case_id() -> int:
    """A random 10-digit case number: unique by retry, never sequential."""
    return CASE_ID_MIN + secrets.randbelow(CASE_ID_MAX - CASE_ID_MIN + 1)


class UserManager(DjangoUserManager):
    """Users are known by their e-mail address; there is no separate username."""

    def _create_user_object(self, email: str, password: str | None, **extra_fields):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.password = ""
        if password is not None:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def _create_user(self, email: str, password: str | None, **extra_fields):
        user = self._create_user_object(email, password, **extra_fields)
        user.save(using=self._db)
        return user

    # Known by e-mail: no `username` argument, unlike the manager it extends.
    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None):
        return self.get(email__iexact=username)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    # Only addresses a mail server can be given (the admin's forms, createsuperuser).
    email = models.EmailField(
        _("e-mail address"), unique=True, validators=[validate_sendable_address]
    )
    # The language of the user's e-mails, kept from their last choice on the site;
    # blank: the site default (LANGUAGE_CODE).
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    # The IANA zone the user reads times in (site pages, e-mails, the CSV export);
    # blank: the site's TIME_ZONE. Not `choices`: the zone list comes from the system.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        default="",
        validators=[validate_time_zone],
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = canonical_email(self.email)
        super().save(*args, **kwargs)

    def remember_language(self, code: str | None) -> None:
        """Keep `code` as the language of this user's e-mails, if the site offers it."""
        try:
            code = get_supported_language_variant(code or "")
        except LookupError:
            return
        if self.pk and self.language != code:
            self.language = code
            self.save(update_fields=["language"])


@receiver(user_logged_in)
def _remember_language_on_login(sender, request, user, **kwargs) -> None:
    """The user's language is one preference across devices. Logging in from a
    device whose language was chosen (the language cookie: the header's switcher, or
    this device's last signed-in page) saves that choice; a browser's languages
    alone change a saved preference no more than they override it once signed in
    (caselog.middleware.UserLanguageMiddleware), and are kept only when none is
    saved yet. A login outside a real request (a shell, a test's force_login)
    changes nothing."""
    if not isinstance(user, User) or request is None:
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        user.remember_language(chosen)
    if not user.language:
        user.remember_language(getattr(request, "LANGUAGE_CODE", None))


class SellerAccount(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="seller_accounts",
        verbose_name=_("authorized users"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("seller account")
        verbose_name_plural = _("seller accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    account = models.ForeignKey(SellerAccount, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("authorized user")
        verbose_name_plural = _("authorized users")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account}"


DEFAULT_RESPONSE_TARGET_HOURS = 24


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


class SupportTeam(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    response_target_hours = models.PositiveIntegerField(
        _("response target (hours)"),
        default=DEFAULT_RESPONSE_TARGET_HOURS,
        help_text=_("How soon this team answers a seller, as sellers are told; past it, overdue."),
    )

    class Meta:
        verbose_name = _("support team")
        verbose_name_plural = _("support teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Turn(models.TextChoices):
    """Whose move it is in the conversation, derived from the state."""

    SELLER = "seller", _("Your turn")
    SUPPORT = "support", _("Seller Support's turn")
    NOBODY = "nobody", _("Nobody's turn")


class CaseState(models.TextChoices):
    """The states of a case. Everything else known about a state is its `StateFacts`
    in `STATES` below: one declaration per state (see docs/conversation.md,
    "Adding a state")."""

    OPEN = "open", pgettext_lazy("case state", "Open")
    PENDING_SUPPORT = "pending_support", pgettext_lazy("case state", "Pending support action")
    NEEDS_ATTENTION = "needs_attention", pgettext_lazy("case state", "Needs your attention")
    ANSWERED = "answered", pgettext_lazy("case state", "Answered")
    TRANSFERRED = "transferred", pgettext_lazy("case state", "Transferred")
    REOPENED = "reopened", pgettext_lazy("case state", "Reopened")
    RESOLVED = "resolved", pgettext_lazy("case state", "Resolved")

    @property
    def facts(self) -> StateFacts:
        return STATES[self]

    @property
    def meaning(self) -> str | Promise:
        return STATES[self].meaning

    @property
    def badge(self) -> str:
        return STATES[self].badge

    @property
    def turn(self) -> Turn:
        return STATES[self].turn


@dataclass(frozen=True)
class StateFacts:
    # What the state means to a seller (tooltips and the help page's glossary).
    meaning: str | Promise
    # The badge's colour class, chosen for WCAG AA contrast with its text.
    badge: str
    # The log's `o=state` sorts by this, smallest (most urgent) first, the same in
    # every language. Gaps of 10 leave room: a new state takes a free number, so
    # no stored row changes (the rank is stored in Case.state_rank).
    urgency: int
    # Whose move it is.
    turn: Turn
    # Support spoke last and waits on the seller: the automatic-resolution clock runs.
    support_spoke_last: bool = False
    # The conversation is over (the expiry clock runs; the seller's "Resolved" preset).
    closed: bool = False


STATES: dict[CaseState, StateFacts] = {
    CaseState.NEEDS_ATTENTION: StateFacts(
        meaning=_("Seller Support asks you to act: read their message and reply."),
        badge="text-bg-warning",
        urgency=10,
        turn=Turn.SELLER,
        support_spoke_last=True,
    ),
    CaseState.REOPENED: StateFacts(
        meaning=_("The case was resolved and Seller Support reopened it to investigate."),
        badge="text-bg-dark",
        urgency=20,
        turn=Turn.SUPPORT,
    ),
    CaseState.OPEN: StateFacts(
        meaning=_("You opened the case; Seller Support has not handled it yet."),
        badge="text-bg-primary",
        urgency=30,
        turn=Turn.SUPPORT,
    ),
    CaseState.PENDING_SUPPORT: StateFacts(
        meaning=_("You wrote last; Seller Support must answer."),
        badge="text-bg-info",
        urgency=40,
        turn=Turn.SUPPORT,
    ),
    CaseState.TRANSFERRED: StateFacts(
        meaning=_("The case was moved to another support team."),
        badge="text-bg-secondary",
        urgency=50,
        turn=Turn.SUPPORT,
    ),
    CaseState.ANSWERED: StateFacts(
        meaning=_("Seller Support answered; nothing is required from you."),
        badge="text-bg-success",
        urgency=60,
        turn=Turn.NOBODY,
        support_spoke_last=True,
    ),
    CaseState.RESOLVED: StateFacts(
        meaning=_(
            "The case is closed. You can still reply until it expires; after that, "
            "open a new case that cites its ID."
        ),
        badge="text-bg-light border",
        urgency=70,
        turn=Turn.NOBODY,
        closed=True,
    ),
}

# Derived from STATES, never written by hand.
# Most urgent first: the order of `o=state`.
STATE_URGENCY = tuple(sorted(STATES, key=lambda state: STATES[state].urgency))
# The states on support's turn: the log's "Waiting on support" preset.
WAITING_ON_SUPPORT = tuple(s for s in STATE_URGENCY if STATES[s].turn == Turn.SUPPORT)
# The states in which the automatic-resolution clock runs: support spoke last.
WAITING_ON_SELLER = tuple(s for s in STATE_URGENCY if STATES[s].support_spoke_last)
# The states of a conversation that is still going on.
NOT_CLOSED = tuple(s for s in STATE_URGENCY if not STATES[s].closed)
CLOSED = tuple(s for s in STATE_URGENCY if STATES[s].closed)


def states_of_turn(turn: str) -> list[CaseState]:
    return [state for state in STATE_URGENCY if STATES[state].turn == turn]


class CaseEvent(models.TextChoices):
    SELLER_OPENED = "seller_opened", _("Seller opened the case")
    SELLER_REPLIED = "seller_replied", _("Seller replied")
    SELLER_NOT_SOLVED = "seller_not_solved", _("Seller said the answer did not solve it")
    SELLER_RESOLVED = "seller_resolved", _("Seller resolved the case")
    SUPPORT_ANSWERED = "support_answered", _("Support answered")
    SUPPORT_NEEDS_ACTION = "support_needs_action", _("Support asked the seller to act")
    TRANSFERRED = "transferred", _("Transferred")
    RESOLVED = "resolved", _("Resolved")
    AUTO_RESOLVED = "auto_resolved", _("Resolved automatically")
    REOPENED = "reopened", _("Reopened")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    # Source states the move leaves as they are (a transfer while the seller must
    # act: the team changes, it stays the seller's turn).
    keeps: frozenset[str] = frozenset()
    # Seller Support (or the system on its behalf) makes this move: it lights the
    # log's "Updated" mark. A seller's own moves do not.
    support_side: bool = False

    def target_from(self, state: str) -> str:
        return state if state in self.keeps else self.target


_ALL = frozenset(CaseState.values)
_NOT_CLOSED = frozenset(NOT_CLOSED)

# The one table of allowed moves. `sources` of SELLER_OPENED is empty: it only
# applies to a case being created. Expired cases are refused before the table
# is consulted (see Case.is_expired).
TRANSITIONS: dict[str, Transition] = {
    CaseEvent.SELLER_OPENED: Transition(frozenset(), CaseState.OPEN),
    CaseEvent.SELLER_REPLIED: Transition(_ALL, CaseState.PENDING_SUPPORT),
    # "Did this solve your problem?" — No: the reason is the seller's message.
    CaseEvent.SELLER_NOT_SOLVED: Transition(
        frozenset(WAITING_ON_SELLER), CaseState.PENDING_SUPPORT
    ),
    # "Did this solve your problem?" — Yes, or "My issue is solved".
    CaseEvent.SELLER_RESOLVED: Transition(_NOT_CLOSED, CaseState.RESOLVED),
    CaseEvent.SUPPORT_ANSWERED: Transition(_NOT_CLOSED, CaseState.ANSWERED, support_side=True),
    CaseEvent.SUPPORT_NEEDS_ACTION: Transition(
        _NOT_CLOSED, CaseState.NEEDS_ATTENTION, support_side=True
    ),
    CaseEvent.TRANSFERRED: Transition(
        _NOT_CLOSED,
        CaseState.TRANSFERRED,
        keeps=frozenset({CaseState.NEEDS_ATTENTION}),
        support_side=True,
    ),
    CaseEvent.RESOLVED: Transition(_NOT_CLOSED, CaseState.RESOLVED, support_side=True),
    # `run_case_timers`: the seller left a support answer unanswered too long.
    CaseEvent.AUTO_RESOLVED: Transition(
        frozenset(WAITING_ON_SELLER), CaseState.RESOLVED, support_side=True
    ),
    CaseEvent.REOPENED: Transition(frozenset(CLOSED), CaseState.REOPENED, support_side=True),
}

# What Seller Support (or the system on its behalf) does: these light the log's
# "Updated" mark.
SUPPORT_SIDE_EVENTS = frozenset(event for event, move in TRANSITIONS.items() if move.support_side)


class EscalationReason(models.TextChoices):
    NO_ANSWER = "no_answer", _("No answer in time")
    NOT_SOLVED = "not_solved", _("The answer did not solve it")
    CONTRADICTORY = "contradictory", _("Answers contradict each other")
    OTHER = "other", _("Other")


# --- The rules about a case, each written once -----------------------------------
# Each is a Q for the database (the log, the export, the admin, the counts) beside
# the Case method that answers it for one case in Python; tests/cases/test_rules.py
# holds the two equal over a matrix of cases, on SQLite and PostgreSQL.


def expiry_cutoff(now: datetime | None = None) -> datetime:
    """Cases resolved before this moment are expired (read-only records)."""
    return (now or timezone.now()) - timedelta(days=settings.CASELOG_EXPIRE_AFTER_DAYS)


def expired_q(now: datetime | None = None) -> Q:
    """Expired: resolved more than `CASELOG_EXPIRE_AFTER_DAYS` ago (`Case.is_expired_at`)."""
    return Q(state__in=CLOSED, resolved_at__lt=expiry_cutoff(now))


def _turn_q(turn: Turn) -> Q:
    """The states in which it is `turn`'s move (StateFacts.turn); one state as `=`,
    as the indexes' plans were measured with."""
    states = [state.value for state in states_of_turn(turn)]
    return Q(state=states[0]) if len(states) == 1 else Q(state__in=states)


def needs_attention_q() -> Q:
    """Needs the seller's attention: it is the seller's turn (`Case.needs_attention`)."""
    return _turn_q(Turn.SELLER)


def owned_by_q(email: str) -> Q:
    """The user's own cases ("mine"): their e-mail is the primary one (`Case.is_owned_by`)."""
    return Q(primary_email=canonical_email(email))


def copied_q(email: str) -> Q:
    """Cases whose CC list holds `email` (`Case.copies`).

    Addresses are stored canonical (`canonical_email`), so this is an exact match of
    one list element. PostgreSQL: jsonb containment. SQLite has none, so the JSON
    text is searched for the address as a quoted JSON string (so "ann@x.de" does
    not match "joann@x.de"); SQLite keeps JSON ASCII-escaped ("m\\u00fcller.de")
    where older rows may hold it as typed: both spellings are looked for, so an
    address with any letter is found (SQLite's LIKE folds ASCII letters only,
    which is why the comparison is of canonical forms, never a case-folding one).
    """
    email = canonical_email(email)
    if connection.vendor == "postgresql":
        return Q(cc_list__contains=[email])
    condition = Q()
    for spelling in {json.dumps(email), json.dumps(email, ensure_ascii=False)}:
        condition |= Q(cc_list__icontains=spelling)
    return condition


def overdue_q(now: datetime | None = None) -> Q:
    """Support's turn, and the seller has waited longer than the case's team target
    (`Case.is_overdue_at`). Reads the teams' targets (one query; teams are few)."""
    now = now or timezone.now()
    waited_too_long = Q(
        support_team__isnull=True,
        waiting_since__lt=now - timedelta(hours=DEFAULT_RESPONSE_TARGET_HOURS),
    )
    for team_id, hours in SupportTeam.objects.values_list("pk", "response_target_hours"):
        waited_too_long |= Q(
            support_team_id=team_id, waiting_since__lt=now - timedelta(hours=hours)
        )
    return _turn_q(Turn.SUPPORT) & Q(waiting_since__isnull=False) & waited_too_long


def not_expired_ranges(now: datetime | None = None) -> list[Q]:
    """The cases `~expired_q(now)` keeps, as disjoint parts that are each one range
    of the index (account, state, resolved_at): every state but resolved; resolved
    since the cutoff; resolved with no date. Counting the parts reads only the
    entries counted; testing "not expired" reads every entry of the account."""
    return [
        Q(state__in=NOT_CLOSED),
        Q(state__in=CLOSED, resolved_at__gte=expiry_cutoff(now)),
        Q(state__in=CLOSED, resolved_at__isnull=True),
    ]


class UrgencyField(models.PositiveSmallIntegerField):
    """The urgency of the instance's state, kept in step by every save and bulk
    create (a plain column: adding a state or moving its rank rewrites no row)."""

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
    escalation), kept in step by every save and bulk create, like UrgencyField: a
    save(update_fields=...) that changes the state or the escalation must list it."""

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


class CaseHistory(models.Model):
    class Field(models.TextChoices):
        PRIMARY_EMAIL = "primary_email", _("Primary e-mail")
        CC_LIST = "cc_list", _("CC list")
        SHORT_DESCRIPTION = "short_description", _("Short description")
        STATE = "state", _("State")
        SUPPORT_TEAM = "support_team", _("Support team")
        AUTO_RESOLVE = "auto_resolve_at", _("Automatic resolution")
        ESCALATION = "escalation", _("Escalation")
        ASSIGNEE = "assignee", _("Assignee")

    # The agents' own bookkeeping: not on the seller's page of the case.
    AGENTS_ONLY: ClassVar[frozenset[str]] = frozenset({Field.ASSIGNEE})

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    field = models.CharField(_("field"), max_length=32, choices=Field.choices)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("case history entry")
        verbose_name_plural = _("case history")
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["case", "changed_at"], name="history_case_time")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.field}: {self.old_value} → {self.new_value}"

    def display_value(self, raw: str) -> str:
        if self.field == self.Field.STATE and raw in CaseState.values:
            return str(CaseState(raw).label)
        if self.field == self.Field.ESCALATION and raw in EscalationReason.values:
            return str(EscalationReason(raw).label)
        if self.field == self.Field.ASSIGNEE and not raw:
            return str(_("Unassigned"))
        if self.field == self.Field.AUTO_RESOLVE and raw:
            moment = parse_datetime(raw)
            if moment is not None:
                return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        return raw

    @property
    def old_display(self) -> str:
        return self.display_value(self.old_value)

    @property
    def new_display(self) -> str:
        return self.display_value(self.new_value)


class CaseView(models.Model):
    """When a user last opened a case page: the log marks cases changed since then."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(_("seen at"), default=timezone.now)

    class Meta:
        verbose_name = _("case view")
        verbose_name_plural = _("case views")
        constraints = [
            models.UniqueConstraint(fields=["user", "case"], name="caseview_user_case_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.case_id} at {self.seen_at}"


class CaseSearchEntry(models.Model):
    """The searchable text of a case: one row per message, one for the description.

    The raw text the search index (`CaseSearchTerm`) is built from, and the
    snippets of the log are cut from (see `cases.search`). `message_id` only names
    the source: `cases` does not know messages, `correspondence.services` writes
    their rows through `cases.services`.

    The primary key holds the case: `id = case_id << KEY_BITS | ordinal` (0 for
    the description, 1, 2, … for the messages in the order they were indexed; see
    `key`); a check constraint keeps every id inside its case's range. (It was
    the FTS5 rowid until `cases.0008_search_terms`.)
    """

    KEY_BITS = 20  # up to 1,048,575 messages a case; 10-digit case ids fit in 54 bits
    ORDINAL_MASK = (1 << KEY_BITS) - 1

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    message_id = models.BigIntegerField(null=True, blank=True)
    subject = models.TextField(blank=True, default="")
    body = models.TextField(blank=True, default="")
    file_names = models.TextField(blank=True, default="")
    # An agents' internal note: its terms are marked (`cases.search.NOTE_MARK`), so
    # the agents' search finds them and a seller's search never does; no snippet
    # is ever cut from it.
    internal = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(message_id__isnull=False),
                name="searchentry_message_unique",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(message_id__isnull=True),
                name="searchentry_description_unique",
            ),
            models.CheckConstraint(
                condition=Q(id__gte=F("case_id") * (1 << 20))
                & Q(id__lt=(F("case_id") + 1) * (1 << 20)),
                name="searchentry_id_holds_case",
            ),
        ]
        indexes = [models.Index(fields=["case", "message_id"], name="searchentry_case")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.message_id or '-'}"

    @classmethod
    def key(cls, case_id: int, ordinal: int) -> int:
        """The id of a case's entry number `ordinal` (0: the description)."""
        if not 0 <= ordinal <= cls.ORDINAL_MASK:
            raise ValueError(f"case {case_id} has too many search entries")
        return case_id << cls.KEY_BITS | ordinal


class CaseSearchTerm(models.Model):
    """One term a case can be found by: the search index (see `cases.search`).

    The terms come from `cases.search.case_terms` (the tokeniser), over the case's
    description, its messages (the `CaseSearchEntry` rows) and its owner's e-mail.
    The primary key `(term, case)` is the B-tree a search reads, index-only: a
    query term is a range of it. On PostgreSQL the column is compared in the "C"
    collation (code-point order, as SQLite's BINARY), so a range selects the same
    rows on both (migration `cases.0008_search_terms`).
    """

    TERM_LENGTH = 64

    pk = models.CompositePrimaryKey("term", "case")
    term = models.CharField(max_length=TERM_LENGTH)
    # (case, term) serves the probes "does this case hold a term in this range?"
    # and the deletion of a case's terms; the primary key serves "which cases".
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    # The case's account, copied (a case never changes account): (account, term)
    # is the range a seller's search reads, the matches of their own accounts
    # only, instead of every account's (a tenth of them at 50 accounts).
    account = models.ForeignKey(
        SellerAccount, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        indexes = [
            models.Index(fields=["case", "term"], name="searchterm_case_term"),
            models.Index(fields=["account", "term", "case"], name="searchterm_account_term"),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.case_id}"
