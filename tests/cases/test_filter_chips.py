"""The log's folded filters: the "Filters" control counts the active ones and each
shows as a chip whose link removes it, keeping everything else."""

from __future__ import annotations

import html
import re

from tests.conftest import make_case

URL = "/cases/"


def chips(response) -> dict[str, str]:
    """Chip label → the URL that removes it."""
    return {
        html.unescape(label): html.unescape(href)
        for href, label in re.findall(
            r'<a class="badge rounded-pill[^"]*filter-chip" href="([^"]*)"><span>([^<]*)</span>',
            response.text,
        )
    }


def test_the_default_view_has_no_chip_and_no_count(seller_client, account, seller):
    make_case(account, owner=seller)
    response = seller_client.get(URL)
    assert chips(response) == {}
    assert "filters-count" not in response.text
    assert '<details class="filters">' in response.text  # folded


def test_each_active_filter_is_a_chip_that_removes_only_itself(seller_client, account, seller):
    make_case(account, owner=seller)
    response = seller_client.get(
        URL,
        {
            "q": "refund",
            "state": ["open", "resolved"],
            "created_from": "2026-01-02",
            "mine": "1",
            "o": "-id",
            "per_page": "50",
            "page": "2",
        },
    )
    found = chips(response)
    assert re.search(r'<span class="badge text-bg-primary filters-count">4</span>', response.text)
    assert list(found) == [
        "State: Open",
        "State: Resolved",
        "Created from: 2 Jan 2026",
        "Only my cases",
    ]
    removed = found["State: Open"]
    assert "state=resolved" in removed
    assert "state=open" not in removed
    assert "q=refund" in removed
    assert "o=-id" in removed
    assert "per_page=50" in removed
    assert "page=" not in removed.replace("per_page=", "")
    assert "mine=" not in found["Only my cases"]


def test_french_chips_read_as_french(seller_client, account, seller):
    seller_client.cookies["django_language"] = "fr"
    response = seller_client.get(URL, {"state": "open", "created_to": "2026-03-04"})
    assert list(chips(response)) == ["État\u00a0: Ouvert", "Créé jusqu'au\u00a0: 04/03/2026"]


def test_a_bad_filter_opens_the_panel_to_show_the_error(seller_client):
    response = seller_client.get(URL, {"created_from": "yesterday"})
    assert '<details class="filters" open>' in response.text
