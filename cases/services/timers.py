"""The automatic-resolution clock: the seller keeps a case open, the timers claim
its reminder and resolve it when the clock runs out."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.access import case_for_system
from cases.models import WAITING_ON_SELLER, Case, CaseEvent, CaseHistory, User
from cases.notices import REMINDER, case_notify
from cases.selectors import announced_q
from cases.services.lifecycle import _clock_end, case_transition
from cases.services.locked import CaseStateError, _record, _save_locked


def case_keep_open(*, case: Case, actor: User) -> Case:
    """ "Keep this case open": restart the automatic-resolution clock (in the history)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.is_expired or locked.state not in WAITING_ON_SELLER:
            raise CaseStateError(
                locked,
                "keep_open",
                _("Case %(id)s is not waiting for you: there is no clock to restart.")
                % {"id": locked.pk},
            )
        now = timezone.now()
        old = locked.auto_resolve_at
        locked.auto_resolve_at, locked.reminder_sent_at = _clock_end(now), None
        locked.last_activity_at = now
        _save_locked(
            locked,
            [
                "auto_resolve_at",
                "reminder_sent_at",
                "last_activity_at",
            ],
        )
        _record(
            case=locked,
            actor=actor,
            field=CaseHistory.Field.AUTO_RESOLVE,
            old=old.isoformat() if old else "",
            new=locked.auto_resolve_at.isoformat(),
            note=_("Kept open by the seller"),
        )
    return locked


# The least time a reminder gives before the automatic resolution (see case_claim_reminder).
MIN_NOTICE = timedelta(days=1)


def case_claim_reminder(*, case_id: int, now: datetime) -> Case | None:
    """Take the reminder of `case_id` for sending, once: a conditional update, so two
    runs of the timers at once cannot both send it; the e-mail is queued with it.
    None when it is not due (any more)."""
    due = Case.objects.filter(
        pk=case_id,
        state__in=WAITING_ON_SELLER,
        reminder_sent_at__isnull=True,
        auto_resolve_at__lte=now + timedelta(days=settings.CASELOG_REMINDER_BEFORE_DAYS),
    )
    # A reminder is an announcement: if the job did not run in time (the clock
    # already ran out or nearly), the seller still gets MIN_NOTICE to answer.
    notice = Greatest(F("auto_resolve_at"), Value(now + MIN_NOTICE))
    with transaction.atomic():
        if not due.update(reminder_sent_at=now, auto_resolve_at=notice):
            return None
        case = case_for_system(case_id)
        if case is not None:
            case_notify(event=REMINDER, cases=[case])
    return case


def case_auto_resolve(*, case_id: int, now: datetime) -> Case | None:
    """Resolve `case_id` if its clock ran out; None when it did not (or another run did it).

    The row is locked and the clock read again under the lock: a seller who kept
    the case open or replied a moment ago wins.
    """
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update()
            .filter(
                announced_q(), pk=case_id, state__in=WAITING_ON_SELLER, auto_resolve_at__lte=now
            )
            .first()
        )
        if locked is None or locked.is_expired:
            return None
        return case_transition(case=locked, event=CaseEvent.AUTO_RESOLVED, actor=None)
