"""A real SMTP server (aiosmtpd), up, slow or down; the database queue and its worker."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server accepted, and how long it takes to answer."""

    delay: float = 0.0
    refuse_recipients: bool = False
    received: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.refuse_recipients:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(envelope.content)
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        from email import message_from_bytes

        return [message_from_bytes(raw)["Message-ID"] for raw in self.received]


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self, *, delay: float = 0.0) -> None:
        self.inbox.delay = delay
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    """An SMTP server on a local port, not started: the test starts it (or leaves it down)."""
    server = SMTPServer()
    settings.MAILERS = {
        "default": {"BACKEND": "background.mail.QueuedEmailBackend"},
        "outgoing": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 10},
        },
    }
    yield server
    server.stop()


@pytest.fixture
def db_queue(settings, transactional_db):
    """The production queue: task rows in this database, run by `manage.py run_worker`."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def run_worker() -> None:
    """The real worker, in batch mode: run every task that is due, then return."""
    call_command("run_worker", "--batch", "--interval=0", verbosity=0)


def repair_permissions() -> None:
    """After a flush (transactional tests) the content type cache is stale: re-make permissions."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    for app_config in apps.get_app_configs():
        if app_config.models_module is None:
            app_config.import_models()
        create_permissions(app_config, verbosity=0)


@pytest.fixture
def queue_agent(db):
    """A member of "Support agents", the group as migrations make it (cases, mail deliveries)."""
    import importlib

    from django.contrib.auth.models import Group, Permission
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from tests.conftest import make_user

    repair_permissions()
    cases = importlib.import_module("correspondence.migrations.0003_support_agents_group")
    group, _created = Group.objects.get_or_create(name=cases.GROUP)
    group.permissions.add(
        *(
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in cases.PERMISSIONS
        )
    )
    deliveries = importlib.import_module(
        "background.migrations.0002_support_agents_see_email_deliveries"
    )
    deliveries.grant(MigrationExecutor(connection).loader.project_state().apps, None)
    user = make_user("support@example.com", is_staff=True)
    user.groups.add(group)
    return user
