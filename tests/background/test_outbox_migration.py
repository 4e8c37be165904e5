"""Migration 0006: the old outbox's unsent notifications become tasks, and are delivered."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.models import CaseEvent, CaseState
from correspondence.models import Message
from tests.background.conftest import run_worker
from tests.conftest import make_case

BEFORE = [("correspondence", "0005_pending_notification")]
AFTER = [("correspondence", "0006_move_pending_notifications_to_tasks")]


@pytest.fixture
def settings_for_outbox(settings):
    settings.MAILERS = {
        "default": {"BACKEND": "background.mail.QueuedEmailBackend"},
        "outgoing": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    }


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema(django_db_blocker):
    """The tests below move the schema back; the tests after them need all of it
    (the overview's table, the attachment-file index...)."""
    yield
    with django_db_blocker.unblock():
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_pending_notifications_become_tasks_and_are_sent_once(
    db_queue, settings_for_outbox, account, seller
):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    message = Message.objects.create(case=case, author=seller, direction="seller", body="Hello")
    old = migrate(BEFORE)
    Pending = old.get_model("correspondence", "PendingNotification")
    Pending.objects.create(
        case_id=case.pk, message_id=message.pk, audience="support", event="seller_replied"
    )
    Pending.objects.create(case_id=case.pk, audience="seller", event=CaseEvent.RESOLVED)
    Pending.objects.create(  # already sent by the old cron: not again
        case_id=case.pk, audience="seller", event=CaseEvent.REOPENED, sent_at="2026-11-30T10:00Z"
    )

    migrate(AFTER)
    assert "correspondence_pendingnotification" not in connection.introspection.table_names()
    run_worker()  # composes both notifications and queues them
    run_worker()  # sends them

    subjects = sorted(sent.subject for sent in mail.outbox)
    assert len(subjects) == 2
    assert any("A seller replied" in subject for subject in subjects)
    assert any("resolved your case" in subject for subject in subjects)
