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


def test_the_migrations_backfill_the_terms_the_services_write(threads, other_account):
    """0008 builds the terms of existing cases, 0012 gives them their account: together,
    the rows the services write today."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    written = set(CaseSearchTerm.objects.values_list("term", "case_id", "account_id"))

    # 0008, against the table it created (no account then): the rows it would write.
    built: list[tuple[str, int]] = []

    class Term:
        def __init__(self, *, term: str, case_id: int) -> None:
            built.append((term, case_id))

        class objects:  # the historical model's manager
            @staticmethod
            def using(_db):
                return SimpleNamespace(bulk_create=lambda rows, batch_size: rows)

    historical = SimpleNamespace(
        get_model=lambda app, name: Term if name == "CaseSearchTerm" else apps.get_model(app, name)
    )
    editor = SimpleNamespace(connection=connection)
    importlib.import_module("cases.migrations.0008_search_terms").backfill(historical, editor)
    assert set(built) == {(term, case_id) for term, case_id, _account in written}

    # 0012 fills the account of every term from its case (here: from a wrong one).
    CaseSearchTerm.objects.update(account_id=other_account.pk)
    importlib.import_module("cases.migrations.0012_search_term_account").fill_accounts(apps, editor)
    assert set(CaseSearchTerm.objects.values_list("term", "case_id", "account_id")) == written


def test_a_sellers_search_reads_only_their_accounts_terms(threads, seller, other_account):
    """The log's search reads the terms of the seller's accounts: a term row filed
    under another account does not match, even for a case of the seller's."""
    from django.http import QueryDict

    from cases.selectors import case_log

    def log_search(query: str) -> set[int]:
        log = case_log(user=seller, params=QueryDict(f"q={query}"))
        return {case.pk for case in log.queryset}

    assert log_search("colis") == {case.id for case in threads}
    CaseSearchTerm.objects.filter(case_id=threads[0].pk).update(account_id=other_account.pk)
    assert log_search("colis") == {case.id for case in threads[1:]}
