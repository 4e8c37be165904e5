"""Who opened it: beside the owner, on the log and the case page; "opened by me"."""

from __future__ import annotations

import re

from cases.services import case_update
from correspondence.services import case_open
from tests.conftest import listed_ids

URL = "/cases/"


def open_case(account, author, subject="Question"):
    return case_open(account=account, author=author, subject=subject, body="Hello").case


def test_opening_a_case_records_who_opened_it(account, seller):
    case = open_case(account, seller)
    assert case.opened_by == seller


def test_the_log_shows_who_opened_each_case_beside_the_owner(
    seller_client, account, seller, colleague
):
    case = open_case(account, colleague)
    case_update(
        case=case,
        actor=colleague,
        expected_version=case.version,
        primary_email=seller.email,
        cc_list=[],
        short_description=case.short_description,
    )
    response = seller_client.get(URL)
    assert '<th scope="col" class="col-opened-by">Opened by</th>' in response.text
    row = re.search(rf"{case.id}.*?</tr>", response.text, re.S).group(0)
    assert '<td class="email-cell">seller@example.com</td>' in row  # owner, never broken
    assert re.search(r'<td class="email-cell opened-by">.*colleague@example.com</td>', row)


def test_the_log_leaves_opened_by_out_when_every_owner_opened_theirs(
    seller_client, account, seller
):
    """Issue 22.7: the column, empty on most rows, shows only on a page where a row
    was opened by someone else than its owner."""
    case = open_case(account, seller)
    response = seller_client.get(URL)
    assert response.status_code == 200
    assert "col-opened-by" not in response.text
    row = re.search(
        rf"<tr[^>]*>(?:(?!</tr>).)*{case.id}(?:(?!</tr>).)*</tr>", response.text, re.S
    ).group(0)
    assert "opened-by" not in row
    # The table keeps one cell per column: the header and each row agree.
    header = re.search(r"<thead.*?</thead>", response.text, re.S).group(0)
    assert header.count("<th ") == row.count("<td ")


def test_the_log_shows_an_empty_opened_by_cell_beside_a_row_that_has_one(
    seller_client, account, seller, colleague
):
    mine = open_case(account, seller)
    theirs = open_case(account, colleague)
    case_update(
        case=theirs,
        actor=colleague,
        expected_version=theirs.version,
        primary_email=seller.email,
        cc_list=[],
        short_description=theirs.short_description,
    )
    response = seller_client.get(URL)
    assert '<th scope="col" class="col-opened-by">Opened by</th>' in response.text
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{mine.id}(?:(?!</tr>).)*</tr>", response.text, re.S)
    assert '<td class="email-cell opened-by"></td>' in row.group(0)


def test_the_case_page_shows_who_opened_it(seller_client, account, colleague):
    case = open_case(account, colleague)
    response = seller_client.get(f"/cases/{case.id}/")
    assert re.search(r"Opened by</dt>\s*<dd[^>]*>colleague@example.com</dd>", response.text)


def test_the_opened_by_me_filter(seller_client, account, seller, colleague):
    mine = open_case(account, seller)
    theirs = open_case(account, colleague)
    assert set(listed_ids(seller_client.get(URL))) == {mine.id, theirs.id}
    response = seller_client.get(URL, {"opened_by_me": "1"})
    assert listed_ids(response) == [mine.id]
    assert 'name="opened_by_me"' in response.text
    _raw = seller_client.get("/cases/export.csv", {"opened_by_me": "1"})
    body = b"".join(_raw.streaming_content).decode()
    assert str(mine.id) in body
    assert str(theirs.id) not in body


def test_a_malformed_opened_by_me_is_harmless(seller_client, account, seller):
    open_case(account, seller)
    assert seller_client.get(URL, {"opened_by_me": "maybe"}).status_code == 200
