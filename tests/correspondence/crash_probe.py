"""Run by tests/correspondence/test_crash.py in a process of its own, on a database
file (SQLite) or database (PostgreSQL) with the database task queue:

    python crash_probe.py act <kind>   set up a case, make the write, die at its commit
    python crash_probe.py work         run the worker once; print what it sent (JSON)

`act` dies with `os._exit` the moment the write's transaction has committed, before
Django runs a single `on_commit` callback: what a node killed right then leaves.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caselog.settings")
os.environ["TASKS_BACKEND"] = "database"

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.forms import PasswordResetForm  # noqa: E402
from cases.models import CaseEvent, CaseState, SellerAccount, SupportTeam  # noqa: E402
from cases.services import case_escalate, case_transition, case_update, cases_hand_off  # noqa: E402
from correspondence.models import Message  # noqa: E402
from correspondence.services import case_open, case_timers_run, message_post  # noqa: E402
from tests.conftest import make_case, make_user  # noqa: E402

settings.MAILERS = {
    "default": {"BACKEND": "background.mail.QueuedEmailBackend"},
    "outgoing": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
}
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def die_at_commit() -> None:
    """From now on, the next commit is the last thing this process does."""
    connection.run_and_clear_commit_hooks = lambda: os._exit(0)  # type: ignore[method-assign]


def act(kind: str) -> None:
    account = SellerAccount.objects.create(name=f"Shop {kind}")
    seller = make_user(f"{kind}@example.com", account=account)
    colleague = make_user(f"{kind}.colleague@example.com", account=account)
    agent = make_user(f"{kind}.agent@example.com", is_staff=True, is_superuser=True)
    answered = make_case(account, owner=seller, state=CaseState.ANSWERED, cc_list=[])
    now = timezone.now()
    die_soon = die_at_commit
    if kind == "reply":
        die_soon()
        message_post(
            case=answered, author=seller, direction=Message.Direction.FROM_SELLER, body="Hi"
        )
    elif kind == "not_solved":
        die_soon()
        message_post(
            case=answered,
            author=seller,
            direction=Message.Direction.FROM_SELLER,
            body="Still broken",
            not_solved=True,
        )
    elif kind == "support_answer":
        die_soon()
        message_post(
            case=answered, author=agent, direction=Message.Direction.FROM_SUPPORT, body="Done"
        )
    elif kind == "support_needs_action":
        die_soon()
        message_post(
            case=answered,
            author=agent,
            direction=Message.Direction.FROM_SUPPORT,
            body="Send the invoice",
            needs_action=True,
        )
    elif kind == "agent_reopen":
        resolved = make_case(account, owner=seller, state=CaseState.RESOLVED)
        die_soon()
        case_transition(case=resolved, event=CaseEvent.REOPENED, actor=agent)
    elif kind == "agent_resolve":
        die_soon()
        case_transition(case=answered, event=CaseEvent.RESOLVED, actor=agent)
    elif kind == "agent_transfer":
        team = SupportTeam.objects.create(name=f"Team {kind}")
        die_soon()
        case_transition(case=answered, event=CaseEvent.TRANSFERRED, actor=agent, team=team)
    elif kind == "seller_resolve":
        die_soon()
        case_transition(case=answered, event=CaseEvent.SELLER_RESOLVED, actor=seller)
    elif kind == "escalation":
        waiting = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
        type(waiting).objects.filter(pk=waiting.pk).update(waiting_since=now - timedelta(days=9))
        die_soon()
        case_escalate(case=waiting, actor=seller, reason="no_answer")
    elif kind == "new_owner":
        die_soon()
        case_update(
            case=answered,
            actor=seller,
            expected_version=answered.version,
            primary_email=colleague.email,
            cc_list=[],
            short_description=answered.short_description,
        )
    elif kind == "hand_off":
        make_case(account, owner=seller)
        die_soon()
        cases_hand_off(
            account=account, actor=colleague, from_email=seller.email, to_email=colleague.email
        )
    elif kind in ("reminder", "auto_resolution"):
        announced = now if kind == "auto_resolution" else None
        type(answered).objects.filter(pk=answered.pk).update(
            auto_resolve_at=now + timedelta(hours=1), reminder_sent_at=announced
        )
        die_soon()
        case_timers_run(now=now + timedelta(hours=2 if kind == "auto_resolution" else 0))
    elif kind == "new_case":
        die_soon()
        case_open(account=account, author=seller, subject="Where is my refund?", body="Hello")
    elif kind == "password_reset":
        form = PasswordResetForm(data={"email": seller.email})
        assert form.is_valid()
        die_soon()  # no transaction: the task row is written as the form sends the mail
        form.save(
            domain_override="caselog.example",
            subject_template_name="registration/account_password_reset_subject.txt",
            email_template_name="registration/account_password_reset_email.txt",
        )
    else:
        raise SystemExit(f"unknown kind {kind!r}")
    os._exit(0)


def work() -> None:
    call_command("run_worker", "--batch", "--interval=0", verbosity=0)
    sent = [{"to": m.to, "cc": m.cc, "subject": m.subject, "body": m.body} for m in mail.outbox]
    print(json.dumps(sent))


if __name__ == "__main__":
    if sys.argv[1] == "act":
        act(sys.argv[2])
    else:
        work()
