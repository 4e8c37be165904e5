"""The rebuild command: same results after it, and an interruption leaves a usable index."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cases.access import cases_visible_to
from cases.models import CaseSearchTerm
from cases.search import filter_cases
from correspondence.services import case_open, message_post


def found(user, query: str) -> set[int]:
    return set(filter_cases(cases_visible_to(user), query).values_list("pk", flat=True))


@pytest.fixture
def threads(account, seller, support_agent):
    cases = []
    for number in range(5):
        case = case_open(
            account=account, author=seller, subject=f"Colis {number}", body="Où est-il ?", files=()
        ).case
        message_post(
            case=case, author=support_agent, direction="support", body=f"Remboursé n°{number}"
        )
        cases.append(case)
    return cases


def test_it_rebuilds_the_same_index(threads, seller):
    before = set(CaseSearchTerm.objects.values_list("term", "case_id"))
    CaseSearchTerm.objects.all().delete()
    assert found(seller, "colis") == set()
    call_command("rebuild_search_index", batch=2, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert set(CaseSearchTerm.objects.values_list("term", "case_id")) == before
    assert found(seller, "REMBOURSÉ") == {case.id for case in threads}


def test_an_interrupted_rebuild_leaves_the_old_index_usable(threads, seller, monkeypatch):
    from correspondence.management.commands import rebuild_search_index as command

    real = command.search_index_rebuild
    calls = []

    def fail_on_second_batch(*, case_ids):
        calls.append(case_ids)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(case_ids=case_ids)

    monkeypatch.setattr(command, "search_index_rebuild", fail_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        call_command("rebuild_search_index", batch=2, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert found(seller, "colis") == {case.id for case in threads}
    assert found(seller, "rembourse") == {case.id for case in threads}


def test_the_migration_backfills_the_terms_the_services_write(threads):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("cases.migrations.0008_search_terms")
    written = set(CaseSearchTerm.objects.values_list("term", "case_id"))
    CaseSearchTerm.objects.all().delete()
    # The backfill only reads the editor's connection.
    migration.backfill(apps, SimpleNamespace(connection=connection))
    assert set(CaseSearchTerm.objects.values_list("term", "case_id")) == written
