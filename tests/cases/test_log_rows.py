"""The log table's rows: each row's own badge, marks and dates, whatever the rows
around it (the page renders each distinct badge once)."""

from __future__ import annotations

import re

from cases.models import CaseState
from tests.conftest import make_case

URL = "/cases/"


def _cells(html: str) -> dict[str, str]:
    """The state cell of each row, by case ID."""
    rows = re.findall(r'<tr class="[^"]*">(.*?)</tr>', html, re.S)
    cells = {}
    for row in rows:
        case_id = re.search(r'class="case-id fw-semibold" href="/cases/(\d+)/"', row)
        state = re.search(r'<td class="cell-state">(.*?)</td>', row, re.S)
        if case_id and state:
            cells[case_id[1]] = " ".join(re.sub(r"<[^>]+>", " ", state[1]).split())
    return cells


def test_each_row_shows_its_own_state_and_expiry(seller_client, account, seller):
    cases = {
        "open": make_case(account, owner=seller),
        "open again": make_case(account, owner=seller),
        "needs": make_case(account, owner=seller, state=CaseState.NEEDS_ATTENTION),
        "three days": make_case(
            account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=3.5
        ),
        "ten days": make_case(
            account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=10.5
        ),
        "expired": make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=90),
    }
    cells = _cells(seller_client.get(URL, {"state": ["open", "needs_attention", "resolved"]}).text)

    assert cells[str(cases["open"].id)] == "Open"
    assert cells[str(cases["open again"].id)] == "Open"
    assert cells[str(cases["needs"].id)] == "Needs your attention"
    assert cells[str(cases["three days"].id)] == "Resolved Expires in 26 days"
    assert cells[str(cases["ten days"].id)] == "Resolved Expires in 19 days"
    assert cells[str(cases["expired"].id)] == "Resolved Expired"


def test_rows_carry_their_own_time_and_link(seller_client, account, seller):
    case = make_case(account, owner=seller)
    page = seller_client.get(URL, HTTP_ACCEPT_LANGUAGE="fr").text
    row = re.search(rf'<tr class="[^"]*">(?:(?!</tr>).)*/cases/{case.id}/.*?</tr>', page, re.S)
    assert row is not None
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d">', row[0])
    assert 'data-label="Dernière activité"' in row[0]


def test_a_badge_is_in_the_language_of_each_request(seller_client, account, seller):
    """The badges are rendered once per language and reused across requests: the
    French page after an English one shows French badges, and back."""
    case = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=3.5)
    english = _cells(seller_client.get(URL, {"state": "resolved"}).text)
    french = _cells(seller_client.get(URL, {"state": "resolved"}, HTTP_ACCEPT_LANGUAGE="fr").text)
    again = _cells(seller_client.get(URL, {"state": "resolved"}).text)

    assert english[str(case.id)] == "Resolved Expires in 26 days"
    assert french[str(case.id)] == "Résolu Expire dans 26 jours"
    assert again == english
