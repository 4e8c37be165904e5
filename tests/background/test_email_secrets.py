"""A password-reset link (any e-mail's content) is never readable by staff (issue #23.1).

An agent used to open Admin › E-mail deliveries, read the reset e-mail of
admin@example.com and take over the superuser. Now what an e-mail says is sealed
in its task (background.mail): the task rows hold ciphertext, and no admin page
of the deliveries or of the raw task rows shows the link, to any staff role: a
support agent, a member of any staff group, staff granted every permission on the
task rows, the superuser. The worker still delivers the e-mail, link included.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from background.models import EmailDelivery
from tests.background.conftest import repair_permissions, run_worker
from tests.conftest import make_user, support_agents_group

RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/reset/([^/\s]+)/([^/\s]+)/)")


def _staff_roles() -> dict[str, Any]:
    """Every kind of staff: the agent, each group, all task-row permissions, the superuser."""
    repair_permissions()
    support_agents_group()
    roles: dict[str, Any] = {}
    for number, group in enumerate(Group.objects.all()):
        user = make_user(f"group-{number}@example.com", is_staff=True)
        user.groups.add(group)
        roles[f"group {group.name}"] = user
    every = make_user("tasks-staff@example.com", is_staff=True)
    every.user_permissions.add(
        *Permission.objects.filter(
            Q(content_type__app_label="background")
            | Q(content_type__app_label="django_tasks_database")
        )
    )
    roles["every task permission"] = every
    roles["superuser"] = make_user("root@example.com", is_staff=True, is_superuser=True)
    return roles


def _task_admin_pages() -> list[str]:
    """Every admin page over the task rows: lists, searches, filters, each row and its history."""
    pages = [reverse("admin:index")]
    for model in (EmailDelivery, DBTaskResult):
        if not admin.site.is_registered(model):
            continue
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        pages += [changelist, f"{changelist}?q=reset", f"{changelist}?q=accounts"]
        pages += [f"{changelist}?delivery={state}" for state in ("waiting", "sent")]
        for pk in model._default_manager.values_list("pk", flat=True):
            pages.append(reverse("admin:{}_{}_change".format(*info), args=[pk]))
            pages.append(reverse("admin:{}_{}_history".format(*info), args=[pk]))
    return pages


@pytest.mark.django_db(transaction=True)
def test_no_staff_role_can_read_a_password_reset_link(db_queue):
    target = make_user("admin@example.com", is_staff=True, is_superuser=True)
    response = Client().post(reverse("password_reset"), {"email": target.email})
    assert response.status_code == 302
    (queued,) = EmailDelivery.objects.waiting()

    run_worker()

    # The worker delivered it, link included, and the link works.
    (sent,) = mail.outbox
    assert sent.to == [target.email]
    link, uid, token = RESET_LINK.search(sent.body).groups()
    assert Client().get(link).status_code == 302  # to the "new password" form
    secrets = [link, token, f"{uid}/{token}"]

    # At rest: nothing of the link in any task row.
    rows = json.dumps(list(DBTaskResult.objects.values("args_kwargs", "return_value")))
    assert not any(secret in rows for secret in secrets)

    pages = _task_admin_pages()
    assert any(str(queued.pk) in page for page in pages)
    roles = _staff_roles()
    for role, user in roles.items():
        client = Client()
        client.force_login(user)
        for page in pages:
            answer = client.get(page)
            assert answer.status_code in (200, 302, 403), (role, page, answer.status_code)
            assert not any(secret in answer.text for secret in secrets), (role, page)

    # What agents need is still there: the recipient, the kind of e-mail, its state.
    for role in ("group Support agents", "superuser"):
        client = Client()
        client.force_login(roles[role])
        for page in (
            reverse("admin:background_emaildelivery_changelist"),
            reverse("admin:background_emaildelivery_change", args=[queued.pk]),
        ):
            answer = client.get(page)
            assert answer.status_code == 200, (role, page)
            assert target.email in answer.text, (role, page)
            assert "Choose a new password" in answer.text, (role, page)
            assert "Sent" in answer.text, (role, page)
