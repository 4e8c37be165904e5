"""Issue 22.7: the log's sort as one control (the phone's select): every order of
the column headers, the one in effect selected, the view's other parameters kept."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_case


def sort_form(html: str) -> str:
    match = re.search(r'<form[^>]*class="sort-form".*?</form>', html, re.S)
    assert match, "no sort control"
    return match.group(0)


@pytest.mark.django_db
def test_the_sort_control_offers_every_order_and_keeps_the_view(seller_client, account):
    make_case(account)
    form = sort_form(seller_client.get("/cases/?state=open&state=answered&o=-activity&page=1").text)
    values = re.findall(r'<option value="([^"]*)"', form)
    assert sorted(values) == sorted(
        f"{sign}{key}"
        for key in ("created", "id", "state", "email", "description", "activity")
        for sign in ("", "-")
    )
    assert re.findall(r'<option value="([^"]*)" selected', form) == ["-activity"]
    hidden = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', form)
    assert hidden == [("state", "open"), ("state", "answered")]  # not o, not page


@pytest.mark.django_db
def test_the_default_order_is_selected_and_named_in_french(seller_client, account):
    make_case(account)
    form = sort_form(seller_client.get("/cases/", HTTP_ACCEPT_LANGUAGE="fr").text)
    assert re.findall(r'<option value="([^"]*)" selected', form) == ["-created"]
    assert "Date de création, plus récents d’abord" in form
