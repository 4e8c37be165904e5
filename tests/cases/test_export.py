"""The CSV export: exactly the cases the log displays, Excel-friendly, formula-safe."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.export import neutralize
from cases.models import CaseState
from tests.conftest import LOG_ROW_ID, make_case

HEADER = ["Case ID", "Creation date (Europe/Paris)", "State", "Primary e-mail", "Short description"]


def read_csv(response) -> tuple[str, list[list[str]]]:
    assert response.streaming
    raw = b"".join(response.streaming_content).decode("utf-8")
    assert raw.startswith("\ufeff"), "UTF-8 byte-order mark for Excel"
    return raw, list(csv.reader(io.StringIO(raw[1:])))


def displayed_ids(client, query: str) -> list[str]:
    """Every case ID the log shows for `query`, walking all its pages."""
    ids: list[str] = []
    page = 1
    while True:
        response = client.get(f"/cases/?{query}&page={page}")
        ids += LOG_ROW_ID.findall(response.text)
        if 'rel="next"' not in response.text:
            return ids
        page += 1


@pytest.fixture
def many(account, seller, colleague, other_account, outsider):
    now = timezone.now()
    states = list(CaseState)
    for i in range(60):
        make_case(
            account,
            owner=seller if i % 2 else colleague,
            state=states[i % len(states)],
            resolved_days_ago=5 if i % 4 else 90,  # some resolved cases are expired
            created_at=now - timedelta(hours=i * 7),
            short_description=f"Remboursement n°{i} — été",
        )
    make_case(other_account, owner=outsider, short_description="Remboursement secret")


@pytest.mark.parametrize(
    "query",
    ["", "o=description", "o=-id&per_page=25", "q=rembours&o=state", "state=resolved", "mine=1"],
)
def test_export_equals_the_displayed_cases_across_all_pages(seller_client, many, query):
    _raw, rows = read_csv(seller_client.get(f"/cases/export.csv?{query}"))
    assert rows[0] == HEADER
    assert [row[0] for row in rows[1:]] == displayed_ids(seller_client, query)
    assert all(len(row) == 5 for row in rows)


def test_export_has_no_other_accounts_case_and_no_message_text(seller_client, many):
    raw, _rows = read_csv(seller_client.get("/cases/export.csv?q=rembours"))
    assert "secret" not in raw
    assert "other@example.com" not in raw


def test_export_default_view_leaves_out_expired_cases(seller_client, account, seller):
    visible = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=3)
    expired = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=80)
    raw, rows = read_csv(seller_client.get("/cases/export.csv"))
    assert [r[0] for r in rows[1:]] == [str(visible.id)]
    assert str(expired.id) not in raw


def test_export_file_name_and_headers(seller_client, many):
    response = seller_client.get("/cases/export.csv")
    today = timezone.localdate().isoformat()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="case-log-{today}.csv"'


def test_the_file_is_named_in_the_users_language(client, seller, many):
    client.force_login(seller)
    client.cookies["django_language"] = "fr"
    response = client.get("/cases/export.csv")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="journal-des-cas-{today}.csv"'
    )


def test_export_values_are_readable(seller_client, account, seller):
    case = make_case(
        account, owner=seller, state=CaseState.NEEDS_ATTENTION, short_description="Problème d'été"
    )
    _raw, rows = read_csv(seller_client.get("/cases/export.csv"))
    row = rows[1]
    assert row[0] == str(case.id)
    assert row[1] == timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M")
    assert row[2] == "Needs your attention"
    assert row[3] == "seller@example.com"
    assert row[4] == "Problème d'été"


@pytest.mark.parametrize(
    "payload", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
)
def test_formula_cells_are_neutralized(seller_client, account, seller, payload):
    make_case(account, owner=seller, short_description=payload)
    _raw, rows = read_csv(seller_client.get("/cases/export.csv"))
    assert rows[1][4] == "'" + payload


def test_neutralize_leaves_plain_text_alone():
    assert neutralize("Refund 402-123") == "Refund 402-123"
    assert neutralize("") == ""
    assert neutralize("=1") == "'=1"


def test_an_empty_view_exports_nothing_and_returns_to_the_log(seller_client, account, seller):
    make_case(account, owner=seller, short_description="Something")
    response = seller_client.get("/cases/export.csv?q=nomatch&o=id", follow=True)
    assert response.redirect_chain == [("/cases/?q=nomatch&o=id", 302)]
    assert "There is nothing to export" in response.text


def test_outsider_export_never_contains_foreign_rows(outsider_client, many, other_account):
    _raw, rows = read_csv(outsider_client.get("/cases/export.csv?q=rembours"))
    assert [r[4] for r in rows[1:]] == ["Remboursement secret"]


def test_anonymous_export_redirects_to_login(client, many):
    response = client.get("/cases/export.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_malformed_export_parameters_still_export(seller_client, many):
    response = seller_client.get("/cases/export.csv?o=bogus&page=x&created_from=nope")
    _raw, rows = read_csv(response)
    assert len(rows) > 1


@pytest.mark.parametrize(
    "zone",
    ["Europe/Paris", "UTC", "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe"],
)
def test_the_fast_local_time_equals_a_conversion_through_the_zone(zone):
    """The export converts by UTC hour (string slicing on SQLite): same text as
    `astimezone(zone).isoformat(timespec="seconds")`, across offset changes too."""
    import random
    import zoneinfo
    from datetime import UTC, datetime

    from cases.export import local_iso

    tz = zoneinfo.ZoneInfo(zone)
    convert = local_iso(tz)
    rnd = random.Random(zone)
    start, old = datetime(2024, 3, 20, tzinfo=UTC), datetime(1890, 1, 1, tzinfo=UTC)
    values = [start + timedelta(seconds=rnd.randrange(0, 230 * 86400)) for _ in range(3000)]
    values += [old + timedelta(seconds=rnd.randrange(0, 5 * 10**9)) for _ in range(500)]
    values += [datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)]
    for value in values:
        expected = value.astimezone(tz).isoformat(timespec="seconds")
        assert convert(str(value.replace(tzinfo=None))) == expected, value  # SQLite's text
        assert convert(value) == expected, value


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    "zone",
    ["Europe/Paris", "UTC", "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe"],
)
def test_the_fast_date_text_equals_the_conventions_text_of_the_local_time(zone, language):
    """The export's date cells, made an hour at a time: the same text as the
    language's convention applied to the date converted through the zone."""
    import random
    import zoneinfo
    from datetime import UTC, datetime

    from cases.export import CONVENTIONS, local_date_texts

    tz = zoneinfo.ZoneInfo(zone)
    date_text = CONVENTIONS[language].date
    convert = local_date_texts(tz, date_text)
    rnd = random.Random(zone + language)
    start, old = datetime(2024, 3, 20, tzinfo=UTC), datetime(1890, 1, 1, tzinfo=UTC)
    values = [start + timedelta(seconds=rnd.randrange(0, 230 * 86400)) for _ in range(3000)]
    values += [old + timedelta(seconds=rnd.randrange(0, 5 * 10**9)) for _ in range(500)]
    for value in values:
        expected = date_text(value.astimezone(tz).isoformat(timespec="seconds"))
        assert convert(str(value.replace(tzinfo=None))) == expected, value  # SQLite's text
        assert convert(value) == expected, value


def test_french_export_uses_semicolons_and_french_dates_in_the_users_zone(client, account, seller):
    from datetime import UTC, datetime

    seller.time_zone = "America/Martinique"
    seller.save()
    client.force_login(seller)
    client.cookies["django_language"] = "fr"
    make_case(
        account,
        owner=seller,
        created_at=datetime(2026, 7, 1, 2, 30, tzinfo=UTC),
        short_description="Colis; abîmé",
    )
    raw = b"".join(client.get("/cases/export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(raw[1:]), delimiter=";"))
    assert rows[0][1] == "Date de création (America/Martinique)"
    assert rows[1][1] == "30/06/2026 22:30"  # UTC-4, the day before
    assert rows[1][2] == "Ouvert"
    assert rows[1][4] == "Colis; abîmé"  # quoted: the separator inside stays in the cell


def test_the_export_function_takes_a_language_and_a_zone(account, seller):
    """For callers outside a seller request (the admin's export)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from cases.export import csv_export_response
    from cases.models import Case

    make_case(account, owner=seller, created_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    response = csv_export_response(Case.objects.all(), language="fr", tz=ZoneInfo("Asia/Kolkata"))
    raw = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(raw[1:]), delimiter=";"))
    assert rows[0][1] == "Date de création (Asia/Kolkata)"
    assert rows[1][1] == "02/01/2026 08:34"


# --- the other language's separator (issue #23.7) ----------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
AIMED = ["x ;@SUM(1+1)", "x ,=1+1", "a;b,-2+3", "x ;\tcmd", "x,+1;=2"]


def cells_split_on(raw: str, separator: str) -> list[str]:
    """Every cell a spreadsheet that splits the file on `separator` would make."""
    return [
        cell
        for row in csv.reader(io.StringIO(raw.lstrip("\ufeff")), delimiter=separator)
        for cell in row
    ]


def test_neutralize_guards_each_part_between_separators():
    assert neutralize("x ;@SUM(1+1)") == "x ;'@SUM(1+1)"
    assert neutralize("x ,=1+1") == "x ,'=1+1"
    assert neutralize("=a;+b,c") == "'=a;'+b,c"
    assert neutralize("Colis, abîmé; 12,50 €") == "Colis, abîmé; 12,50 €"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_spreadsheet_splitting_on_either_separator_finds_a_formula(
    client, account, seller, language
):
    for text in AIMED:
        make_case(account, owner=seller, short_description=text)
    plain = make_case(account, owner=seller, short_description="Refund 402-123")
    client.force_login(seller)
    client.cookies["django_language"] = language
    raw = b"".join(client.get("/cases/export.csv").streaming_content).decode()

    for separator in (",", ";"):
        cells = cells_split_on(raw, separator)
        assert not [cell for cell in cells if cell.startswith(FORMULA_START)], separator
    # Read with its own separator, each description is one cell, quoted, neutralised.
    own = ";" if language == "fr" else ","
    rows = list(csv.reader(io.StringIO(raw[1:]), delimiter=own))
    descriptions = {row[4] for row in rows[1:]}
    assert descriptions == {neutralize(text) for text in AIMED} | {"Refund 402-123"}
    for text in AIMED:
        assert f'"{neutralize(text)}"' in raw  # quoted, whichever separator it holds
    plain_line = next(line for line in raw.splitlines() if str(plain.id) in line)
    assert '"' not in plain_line  # a row without separators is written as before
