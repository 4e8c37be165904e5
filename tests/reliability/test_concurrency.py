"""Two people acting on the same case at the same moment: one wins, the other is told.

(On PostgreSQL here; on SQLite through gunicorn and a file database, in
test_load_short.py.)

Real threads and real transactions (transactional_db): the case row is locked
(SELECT … FOR UPDATE on PostgreSQL, an IMMEDIATE transaction on SQLite), so the
second writer sees the first one's result instead of overwriting it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from cases.models import CaseHistory, CaseState, SupportTeam
from tests.conftest import make_case, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="the in-memory SQLite test database (shared cache) answers 'table is locked' "
        "instead of waiting; test_load_short.py runs these races on a SQLite file",
    ),
]


def at_once(*actions: Callable[[], Any]) -> list[Any]:
    """Run each action in its own thread, released together; return their results."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = action()
        except Exception as error:  # surfaced by the test's assertions
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_two_users_saving_the_edit_form_at_once(account, seller, colleague):
    case = make_case(account, owner=seller, short_description="Before")
    clients = {"seller": logged_in(seller), "colleague": logged_in(colleague)}
    url = f"/cases/{case.id}/edit/"

    def save(who: str) -> Any:
        return clients[who].post(
            url,
            {
                "primary_email": seller.email,
                "cc_list": f"{who}@example.org",
                "short_description": f"Edited by the {who}",
                "version": case.version,
            },
        )

    results = at_once(lambda: save("seller"), lambda: save("colleague"))

    assert not any(isinstance(r, Exception) for r in results), results
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 302]
    loser = next(r for r in results if r.status_code == 200)
    assert "Someone else changed this case" in loser.text
    case.refresh_from_db()
    winner = case.short_description.removeprefix("Edited by the ")
    assert winner in {"seller", "colleague"}
    assert case.cc_list == [f"{winner}@example.org"]
    assert case.version == 1
    # The history holds the winner's change only, once per field.
    rows = list(case.history.order_by("id").values_list("field", "old_value", "new_value"))
    assert rows == [
        (CaseHistory.Field.CC_LIST, "", f"{winner}@example.org"),
        (CaseHistory.Field.SHORT_DESCRIPTION, "Before", f"Edited by the {winner}"),
    ]


def agents_group():
    """The "Support agents" group, re-made after a flush, with its permissions.

    tests.conftest.support_agents_group runs the data migration's function with the
    global app registry, which leaves every app's models_module unset: after the
    next flush Django re-creates no permissions. Repair that, then make the group.
    """
    import importlib

    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    for app_config in apps.get_app_configs():
        if app_config.models_module is None:
            app_config.import_models()
        create_permissions(app_config, verbosity=0)
    migration = importlib.import_module("correspondence.migrations.0003_support_agents_group")
    group, _created = Group.objects.get_or_create(name=migration.GROUP)
    group.permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in migration.PERMISSIONS
    )
    return group


@pytest.fixture
def two_agents(db) -> list[Client]:
    group = agents_group()
    agents = []
    for email in ["agent-one@support.example", "agent-two@support.example"]:
        user = make_user(email, is_staff=True)
        user.groups.add(group)
        agents.append(logged_in(user))
    return agents


def admin_messages(client: Client, case) -> str:
    return client.get(f"/admin/cases/case/{case.id}/change/").text


def test_two_agents_resolving_the_same_case_at_once(account, seller, two_agents):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    url = f"/admin/cases/case/{case.id}/act/resolved/"

    results = at_once(*[lambda c=c: c.post(url) for c in two_agents])

    assert [r.status_code for r in results] == [302, 302], results
    pages = [admin_messages(c, case) for c in two_agents]
    assert sum("1 case: Resolve" in page for page in pages) == 1
    assert sum("is not possible from that state" in page for page in pages) == 1
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
    states = list(case.history.filter(field=CaseHistory.Field.STATE).values_list("new_value"))
    assert states == [(CaseState.RESOLVED,)]


def test_an_agent_resolving_while_another_transfers(account, seller, two_agents):
    """Whichever goes first, the history is one valid chain and ends in the final state."""
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    team = SupportTeam.objects.create(name="Payments")
    resolver, transferrer = two_agents

    results = at_once(
        lambda: resolver.post(f"/admin/cases/case/{case.id}/act/resolved/"),
        lambda: transferrer.post(f"/admin/cases/case/{case.id}/transfer/", {"team": team.pk}),
    )

    assert [r.status_code for r in results] == [302, 302], results
    case.refresh_from_db()
    chain = list(
        case.history.filter(field=CaseHistory.Field.STATE)
        .order_by("changed_at", "id")
        .values_list("old_value", "new_value")
    )
    previous = CaseState.PENDING_SUPPORT
    for old, new in chain:
        assert old == previous
        previous = new
    assert previous == case.state
    if chain == [(CaseState.PENDING_SUPPORT, CaseState.RESOLVED)]:
        # The resolve won: the transfer was refused with a clear message.
        assert "is not possible from that state" in admin_messages(transferrer, case)
        assert case.support_team is None
    else:
        assert chain == [
            (CaseState.PENDING_SUPPORT, CaseState.TRANSFERRED),
            (CaseState.TRANSFERRED, CaseState.RESOLVED),
        ]
        assert case.support_team == team
