"""Golden test: the log's rows built by the Jinja fragment are the markup of the
Django template they replace (`cases/_log_rows.html`), in English and French."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from pytest_django.asserts import assertHTMLEqual

from cases.display import log_rows_html
from tests.fragments_data import HOSTILE, log_rows, visible_text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_log_rows_match_the_template(language):
    with translation.override(language), timezone.override("Europe/Paris"):
        rows = log_rows()  # the dates' texts are the page's: in its language and zone
        built = log_rows_html(rows)
        reference = render_to_string("cases/_log_rows.html", {"rows": rows})
    assertHTMLEqual(built, reference)
    assert visible_text(built) == visible_text(reference)
    assert built.count("<tr") == len(rows)


def test_every_kind_of_row_is_covered():
    rows = log_rows()
    html = log_rows_html(rows)
    assert {case.state for case in rows} == {
        "open", "pending_support", "needs_attention", "answered", "transferred", "reopened",
        "resolved",
    }  # fmt: skip
    for mark in ("expired-badge", "expiry-note", "changed-badge", "search-snippet",
                 "opened-by-label", "case-expired", "case-changed"):  # fmt: skip
        assert mark in html, mark


def test_hostile_text_is_escaped():
    html = log_rows_html(log_rows())
    assert "<script>" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(" in html
    assert "brien&amp;co0@example.com" in html
    assert "colleague+&lt;x&gt;@example.com" in html
    assert "<mark>parcel</mark>" in html  # the snippet's own highlight is HTML
    assert HOSTILE not in html


def test_french_rows_are_in_french():
    with translation.override("fr"):
        html = log_rows_html(log_rows())
    assert "Expiré" in html
    assert "Expired" not in html
    assert "Updated" not in html
    assert 'data-label="Dernière activité"' in html


def test_the_text_comparison_sees_a_lost_space():
    """The tree comparison forgives whitespace between elements; the text one must
    not, or "1234567890Updated" would pass for "1234567890 Updated"."""
    assert visible_text("<a>1</a> <span>Updated</span>") != visible_text(
        "<a>1</a><span>Updated</span>"
    )
    assert visible_text("<td>a</td>\n  <td>b</td>") == visible_text("<td>a</td>\n<td>b</td>")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_log_page_rows_match_the_template(
    seller_client, account, seller, colleague, support_agent, language
):
    """The whole way: rows from the log selector, marks, snippets and dates as the
    page computes them, in the page's language."""
    from correspondence.models import Message
    from correspondence.services import case_open, message_post
    from tests.conftest import make_case

    for state in ("open", "answered", "resolved"):
        make_case(account, owner=seller, state=state, short_description=HOSTILE)
    make_case(account, owner=seller, state="resolved", resolved_days_ago=90)
    opened = case_open(account=account, author=colleague, subject="Refund <b>", body=HOSTILE).case
    message_post(
        case=opened,
        author=support_agent,
        direction=Message.Direction.FROM_SUPPORT,
        body="Refund on its way & more",
        needs_action=True,
    )
    seller_client.cookies["django_language"] = language
    for query in ("", "?q=refund", "?state=resolved"):
        response = seller_client.get("/cases/" + query, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        rows = response.context["page"].object_list
        assert rows
        with translation.override(language):
            reference = render_to_string("cases/_log_rows.html", {"rows": rows})
        body = response.text.split("<tbody>")[1].split("</tbody>")[0]
        assertHTMLEqual(body, reference)
        assert visible_text(body) == visible_text(reference)
        assert ("search-snippet" in body) == (query == "?q=refund")
        assert ("expired-badge" in body) == (query == "?state=resolved")
        assert ("Dernière activité" in body) == (language == "fr")
