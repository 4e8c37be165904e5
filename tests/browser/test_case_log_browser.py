"""The case log driven in Chromium: log in, sort, filter, page and export."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case, CaseState
from tests.browser.conftest import login
from tests.conftest import PASSWORD, make_case

SCREENSHOT = "/tmp/browser-log.png"  # noqa: S108 (a look at the page; nothing reads it back)
HEADER = ["Case ID", "Creation date (Europe/Paris)", "State", "Primary e-mail", "Short description"]
STATE_LABELS = {value: str(label) for value, label in CaseState.choices}
ROWS = "table.case-table tbody tr"
NEEDS_ATTENTION_BOX = "form.filter-form input[name=state][value=needs_attention]"


@dataclass
class Cast:
    cases: list[Case]  # the seller account's 30 cases
    expired: list[Case]
    foreign: list[Case]  # another account's cases: never shown

    def ids(self, cases: list[Case] | None = None, *, reverse: bool = False) -> list[int]:
        return sorted((c.id for c in (self.cases if cases is None else cases)), reverse=reverse)

    @property
    def current(self) -> list[Case]:
        return [c for c in self.cases if c not in self.expired]

    def in_state(self, state: str) -> list[Case]:
        return [c for c in self.cases if c.state == state]

    def matching(self, text: str) -> list[Case]:
        return [c for c in self.cases if text.lower() in c.short_description.lower()]


@pytest.fixture
def cast(transactional_db, account, other_account, seller, colleague, outsider) -> Cast:
    """30 cases for the seller's account: 27 about orders, 3 about payouts, 2 expired."""
    plan = (
        [(CaseState.NEEDS_ATTENTION, None)] * 4
        + [(CaseState.OPEN, None)] * 8
        + [(CaseState.PENDING_SUPPORT, None)] * 6
        + [(CaseState.ANSWERED, None)] * 5
        + [(CaseState.TRANSFERRED, None)] * 2
        + [(CaseState.REOPENED, None)] * 2
        + [(CaseState.RESOLVED, 5)]
        + [(CaseState.RESOLVED, 90)] * 2
    )
    payouts = {len(plan) - 1, len(plan) - 3, 5}  # one expired, the recent resolved, one open
    cases, expired = [], []
    for index, (state, resolved_days_ago) in enumerate(plan):
        topic = "Payout question" if index in payouts else "Order problem"
        case = make_case(
            account,
            owner=seller if index % 3 else colleague,
            state=state,
            resolved_days_ago=resolved_days_ago,
            short_description=f"{topic} no. {index}",
        )
        cases.append(case)
        if resolved_days_ago == 90:
            expired.append(case)
    foreign = [
        make_case(
            other_account,
            owner=outsider,
            state=state,
            short_description=f"Order problem elsewhere {n}",
        )
        for n, state in enumerate([CaseState.NEEDS_ATTENTION, CaseState.OPEN, CaseState.OPEN])
    ]
    assert len(cases) == 30
    return Cast(cases=cases, expired=expired, foreign=foreign)


def shown_ids(page: Page) -> list[int]:
    return [int(text) for text in page.locator(f"{ROWS} a.case-id").all_inner_texts()]


def showing(first: int, last: int, total: int) -> str:
    return f"Showing {first}\u2013{last} of {total} cases."


def expired_ids_on(page: Page) -> set[int]:
    return {int(t) for t in page.locator(f"{ROWS}.case-expired a.case-id").all_inner_texts()}


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def download_csv(page: Page) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.locator(".export-bar a", has_text="Export report").click()
    download = info.value
    with open(download.path(), "rb") as handle:
        return download.suggested_filename, handle.read()


def assert_csv_rows(raw: bytes, expected: list[Case]) -> None:
    """The file is the BOM, the header, then exactly `expected` in order."""
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER
    assert [int(row[0]) for row in rows[1:]] == [c.id for c in expected]
    for row, case in zip(rows[1:], expected, strict=True):
        assert row[1] == timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M")
        assert row[2:] == [STATE_LABELS[case.state], case.primary_email, case.short_description]


def test_anonymous_visit_to_the_log_lands_on_the_login_page(
    page: Page, live_server, transactional_db, seller
):
    page.goto(f"{live_server.url}/cases/")

    assert urlsplit(page.url).path == "/accounts/login/"
    assert query_of(page.url)["next"] == ["/cases/"]
    expect(page.locator("table.case-table")).to_have_count(0)
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    form = page.locator("main form")
    expect(form.locator("input[name=username]")).to_be_visible()
    expect(form.locator("input[name=password]")).to_be_visible()

    # Logging in from there goes back to the log.
    form.locator("input[name=username]").fill(seller.email)
    form.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/cases/")
    expect(page.locator("h1")).to_have_text("Case log")
    expect(page.locator(".empty-state")).to_contain_text("You have no open or recent case.")


def test_sort_filter_and_export_the_case_log(page: Page, live_server, cast: Cast, seller):
    by_id = {c.id: c for c in cast.cases}
    login(page, live_server, seller)

    # Default view: newest first, expired cases hidden, 25 per page.
    assert page.url == f"{live_server.url}/cases/"
    expect(page.locator(".result-count")).to_have_text(showing(1, 25, 28))
    newest_first = sorted(cast.current, key=lambda c: c.created_at, reverse=True)
    assert shown_ids(page) == [c.id for c in newest_first[:25]]
    expect(page.locator("th.col-created")).to_have_attribute("aria-sort", "descending")
    expect(page.locator(f"{ROWS}.case-expired")).to_have_count(0)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Case ID header: ascending, then descending.
    page.locator("th.col-id a.sort-link").click()
    expect(page.locator("th.col-id")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("th.col-created")).to_have_attribute("aria-sort", "none")
    assert query_of(page.url)["o"] == ["id"]
    assert shown_ids(page) == cast.ids(cast.current)[:25]

    page.locator("th.col-id a.sort-link").click()
    expect(page.locator("th.col-id")).to_have_attribute("aria-sort", "descending")
    assert query_of(page.url)["o"] == ["-id"]
    assert shown_ids(page) == cast.ids(cast.current, reverse=True)[:25]

    # Filter on a state: only those cases, the sort kept, all in the URL.
    page.locator("summary.filters-toggle").click()
    page.locator(NEEDS_ATTENTION_BOX).check()
    page.locator("form.filter-form button[type=submit]", has_text="Apply").click()
    expect(page.locator(".result-count")).to_have_text(showing(1, 4, 4))
    params = query_of(page.url)
    assert params["state"] == ["needs_attention"]
    assert params["o"] == ["-id"]
    expected = cast.ids(cast.in_state(CaseState.NEEDS_ATTENTION), reverse=True)
    assert shown_ids(page) == expected
    expect(page.locator(f"{ROWS} .state-badge")).to_have_text(["Needs your attention"] * 4)
    expect(page.locator("th.col-id")).to_have_attribute("aria-sort", "descending")
    expect(page.locator(NEEDS_ATTENTION_BOX)).to_be_checked()
    expect(page.locator(".filters-count")).to_have_text("1")
    expect(page.locator(".pagination")).to_have_count(0)

    # Export: exactly the rows the filtered view shows, in order.
    filename, raw = download_csv(page)
    assert re.fullmatch(r"case-log-\d{4}-\d{2}-\d{2}\.csv", filename)
    assert_csv_rows(raw, [by_id[i] for i in shown_ids(page)])
    assert [by_id[i].state for i in shown_ids(page)] == [CaseState.NEEDS_ATTENTION] * 4

    # A search that matches nothing: no table and nothing to export.
    page.locator("#id_q").fill("no such case anywhere")
    page.locator("form.filter-form button[type=submit]", has_text="Search").click()
    expect(page.locator(".empty-state")).to_be_visible()
    expect(page.locator("table.case-table")).to_have_count(0)
    expect(page.locator(".export-bar button", has_text="Export report")).to_be_disabled()
    expect(page.locator(".export-bar a", has_text="Export report")).to_have_count(0)


def test_search_pages_keep_filters_and_export_covers_every_page(
    page: Page, live_server, cast: Cast, seller
):
    by_id = {c.id: c for c in cast.cases}
    matching = cast.matching("order")  # 27 cases, one of them expired
    assert len(matching) == 27
    assert [c for c in matching if c in cast.expired]
    expected = cast.ids(matching)
    login(page, live_server, seller)

    page.locator("#id_q").fill("order")
    page.locator("form.filter-form button[type=submit]", has_text="Search").click()
    expect(page.locator(".result-count")).to_have_text(showing(1, 25, 27))
    assert query_of(page.url)["q"] == ["order"]
    page.locator("th.col-id a.sort-link").click()
    expect(page.locator("th.col-id")).to_have_attribute("aria-sort", "ascending")
    assert query_of(page.url)["q"] == ["order"]
    assert shown_ids(page) == expected[:25]
    expect(page.locator("#id_q")).to_have_value("order")

    expired_shown_on_page_one = expired_ids_on(page)

    # The page 2 link keeps the search and the sort.
    page_two = page.locator(".pagination a.page-link", has_text=re.compile(r"^\s*2\s*$"))
    href = page_two.get_attribute("href")
    link_params = query_of(href)
    assert link_params["q"] == ["order"]
    assert link_params["o"] == ["id"]
    assert link_params["page"] == ["2"]
    page_two.click()
    expect(page.locator(".result-count")).to_have_text(showing(26, 27, 27))
    assert shown_ids(page) == expected[25:]
    expect(page.locator("th.col-id")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator(".pagination [aria-current=page]")).to_have_text("2")
    # The description is the sixth column, after "Opened by".
    for text in page.locator(f"{ROWS} td.cell-description").all_inner_texts():
        assert "order" in text.lower()

    # The search includes the expired case that matches, marked "Expired".
    expired_ids = {c.id for c in matching if c in cast.expired}
    assert expired_shown_on_page_one | expired_ids_on(page) == expired_ids
    for row in page.locator(f"{ROWS}.case-expired").all():
        expect(row.locator(".expired-badge")).to_have_text("Expired")

    # Export from page 2: every matching case of every page, in the view's order.
    _, raw = download_csv(page)
    assert_csv_rows(raw, [by_id[i] for i in expected])
    text = raw.decode("utf-8-sig")
    for foreign in cast.foreign:
        assert str(foreign.id) not in text
    assert "Payout" not in text
