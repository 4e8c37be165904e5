"""The e-mails a write to a case causes, queued in the transaction of that write.

A case service knows *that* someone must be told (an event on some cases, with
the message that caused it, if any), not how the e-mail reads: the
correspondence app composes it, in the recipient's language and zone, and
registers its composer here (`CorrespondenceConfig.ready`). So the case domain
imports nothing from correspondence (a layering contract in pyproject.toml),
and every kind of e-mail takes the same road:

    service (inside its transaction) → `case_notify` → the registered composer
    → `EmailMessage.send()` → `background.mail.QueuedEmailBackend` → a task row

`background.tasks.queue_with_transaction` runs the composer inside the write's
transaction: with the queue in this database the e-mail's task row commits with
the write, so a process killed right after the commit still delivers it (the
worker sends it). A failure to compose is logged; the write still commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction

from background.tasks import queue_with_transaction

if TYPE_CHECKING:
    from cases.models import Case

# Notices that are not moves of the state table (those are named by their CaseEvent).
REMINDER = "reminder"  # the automatic resolution is near (run_case_timers)
NEW_OWNER = "new_owner"  # the case's primary e-mail changed to this owner
ESCALATED = "escalated"  # the seller asked for escalation

# (event, cases, id of the message that caused it or None) → queues the e-mails.
Composer = Callable[[str, list["Case"], int | None], object]
_composers: list[Composer] = []


def register_composer(composer: Composer) -> None:
    """Called once by the app that writes the e-mails (correspondence), in `ready()`."""
    if composer not in _composers:
        _composers.append(composer)


def case_notify(*, event: str, cases: Sequence[Case], message_id: int | None = None) -> None:
    """Queue the e-mails about `event` on `cases`, inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case_notify belongs inside the transaction of the write it reports")
    if not cases:
        return
    chosen = list(cases)
    for composer in _composers:
        queue_with_transaction(partial(composer, event, chosen, message_id))
