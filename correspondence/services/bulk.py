"""The agents' moves of many cases at once, run in the background (`BulkJob`)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from background.tasks import enqueue_on_commit
from cases.access import get_case_for_support
from cases.models import TRANSITIONS, Case, CaseEvent, SupportTeam, User
from cases.services import CaseStateError, case_transition
from correspondence.models import BulkJob

# The agents' actions on more cases than this run in the background (BulkJob).
BULK_IN_BACKGROUND = 20
BULK_EVENTS = frozenset({CaseEvent.REOPENED, CaseEvent.RESOLVED, CaseEvent.TRANSFERRED})


def bulk_job_start(
    *,
    actor: User,
    event: str,
    case_ids: Sequence[int],
    team: SupportTeam | None = None,
    note: str = "",
) -> BulkJob:
    """Queue an agent's move (reopen, resolve, transfer) of `case_ids` for the worker
    (`correspondence.tasks.run_bulk_job`); the job row and its task commit together."""
    if event not in BULK_EVENTS:
        raise ValueError(f"{event} is not a bulk action")
    if not actor.has_perm("cases.act_on_case"):
        raise PermissionDenied(_("Only Seller Support agents can act on cases."))
    if event == CaseEvent.TRANSFERRED and team is None:
        raise ValueError("a transfer needs a team")
    # The task runs this module's bulk_job_run: imported here, not at the top.
    from correspondence.tasks import run_bulk_job  # noqa: PLC0415

    ids = list(dict.fromkeys(int(pk) for pk in case_ids))
    with transaction.atomic():
        job = BulkJob.objects.create(
            actor=actor, event=event, team=team, note=note, case_ids=ids, total=len(ids)
        )
        enqueue_on_commit(run_bulk_job, job.pk)
    return job


def _already_there(case: Case, event: str, team_id: int | None) -> bool:
    """`case` is where `event` would take it: a bulk job skips it (run twice, a
    job changes nothing twice)."""
    if TRANSITIONS[event].target_from(case.state) != case.state:
        return False
    return event != CaseEvent.TRANSFERRED or case.support_team_id == team_id


def _bulk_one(job: BulkJob, case_id: int) -> str:
    """Move one case of `job`, in its own transaction (the e-mail queued with it);
    returns which counter it adds to: done, skipped or failed."""
    actor = job.actor
    if actor is None:
        return "failed"
    try:
        with transaction.atomic():
            # The agent's door, locked: the check and the move see the same row.
            case = get_case_for_support(actor, case_id, for_update=True)
            if _already_there(case, job.event, job.team_id):
                return "skipped"
            # The move queues its e-mail to the seller in this transaction.
            case_transition(case=case, event=job.event, actor=actor, team=job.team, note=job.note)
    except (CaseStateError, Http404):
        return "failed"
    return "done"


def bulk_job_run(*, job_id: int) -> BulkJob | None:
    """Run `job_id` (the worker): case by case, its counters kept as it goes, so the
    admin shows the progress. Run again (a retried task), it counts afresh and
    skips every case already moved."""
    job = BulkJob.objects.select_related("actor", "team").filter(pk=job_id).first()
    if job is None:
        return None
    BulkJob.objects.filter(pk=job.pk).update(
        status=BulkJob.Status.RUNNING, done=0, skipped=0, failed=0, finished_at=None
    )
    for case_id in job.case_ids:
        counter = _bulk_one(job, case_id)
        BulkJob.objects.filter(pk=job.pk).update(**{counter: F(counter) + 1})
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job
