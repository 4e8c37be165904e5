"""The standing cast and small factories shared by every test.

- `seller` and `colleague` are authorized users of the same account ("Demo Shop");
- `outsider` belongs to another account and must never see their cases;
- `agent` is Seller Support staff.
"""

from __future__ import annotations

import itertools
import os
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Case, CaseState, Membership, SellerAccount, new_case_id
from cases.search import case_search_terms_refresh

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "test-pass-123"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Each test writes attachments to its own folder; static files need no manifest."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _queued_mail(settings):
    """E-mail goes through the task queue as in production; tasks run at once (immediate
    backend) and "outgoing" is Django's test outbox. Tests of the worker and of retries
    use the database queue (tests/background/)."""
    settings.MAILERS = {
        "default": {"BACKEND": "background.mail.QueuedEmailBackend"},
        "outgoing": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    }
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def make_user(email: str, *, account: SellerAccount | None = None, **flags: Any):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(email=email, password=PASSWORD, **flags)
    if account is not None:
        Membership.objects.create(account=account, user=user)
    return user


def make_case(
    account: SellerAccount,
    *,
    owner: Any = None,
    state: str = CaseState.OPEN,
    created_at: datetime | None = None,
    resolved_days_ago: float | None = None,
    short_description: str | None = None,
    cc_list: list[str] | None = None,
) -> Case:
    """A case written directly, as seed data would be (tests of services use the services)."""
    now = timezone.now()
    created_at = created_at or now - timedelta(minutes=next(_counter))
    resolved_at = None
    if state == CaseState.RESOLVED:
        resolved_at = now - timedelta(days=resolved_days_ago if resolved_days_ago else 1)
    email = owner.email if owner is not None else account.members.first().email
    case = Case.objects.create(
        id=new_case_id(),
        account=account,
        created_at=created_at,
        state=state,
        primary_email=email,
        cc_list=cc_list or [],
        short_description=short_description or f"Case number {next(_counter)}",
        last_activity_at=created_at,
        resolved_at=resolved_at,
    )
    # Indexed for search as seed data is (`seed_demo` rebuilds the index).
    case_search_terms_refresh(case_ids=[case.pk])
    return case


@pytest.fixture
def account(db) -> SellerAccount:
    return SellerAccount.objects.create(name="Demo Shop")


@pytest.fixture
def other_account(db) -> SellerAccount:
    return SellerAccount.objects.create(name="Other Store")


@pytest.fixture
def seller(account):
    return make_user("seller@example.com", account=account)


@pytest.fixture
def colleague(account):
    return make_user("colleague@example.com", account=account)


@pytest.fixture
def outsider(other_account):
    return make_user("other@example.com", account=other_account)


@pytest.fixture
def agent(db):
    return make_user("agent@example.com", is_staff=True)


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seller_client(seller) -> Client:
    return _login(seller)


@pytest.fixture
def colleague_client(colleague) -> Client:
    return _login(colleague)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return _login(outsider)


@pytest.fixture
def agent_client(agent) -> Client:
    return _login(agent)


@pytest.fixture
def agent_admin(support_agent) -> Client:
    """A support agent signed in to the admin."""
    return _login(support_agent)


# A case ID as the log shows it in a row (the HTML page).
LOG_ROW_ID = re.compile(r'class="case-id fw-semibold"[^>]*>(\d{10})<')


def listed_ids(response) -> list[int]:
    """The case IDs of a log page's rows, in their order."""
    return [int(i) for i in LOG_ROW_ID.findall(response.text)]


def support_agents_group():
    """The "Support agents" group as its data migration makes it (re-made if a flush removed it)."""
    import importlib

    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module("correspondence.migrations.0003_support_agents_group")
    deliveries = importlib.import_module(
        "background.migrations.0002_support_agents_see_email_deliveries"
    )
    saved_replies = importlib.import_module(
        "correspondence.migrations.0011_support_agents_write_saved_replies"
    )
    # Every data migration that grants the group something, as they grant it.
    granted = [
        *migration.PERMISSIONS,
        ("correspondence", "view_savedreply"),  # 0006_saved_replies
        *(("correspondence", codename) for codename in saved_replies.CODENAMES),
        *(("background", codename) for codename in deliveries.CODENAMES),
    ]
    group, _created = Group.objects.get_or_create(name=migration.GROUP)
    if _created:
        group.permissions.set(
            [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in granted
            ]
        )
    return group


@pytest.fixture
def support_agent(db):
    """Staff in the "Support agents" group: what the demo agent is."""
    user = make_user("support@example.com", is_staff=True)
    user.groups.add(support_agents_group())
    return user
