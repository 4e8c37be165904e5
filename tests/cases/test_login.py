"""Login with e-mail and password through Django's auth views."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


def test_login_with_email_in_any_case_lands_on_the_log(client, seller):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "E-mail address" in page.text
    response = client.post(
        "/accounts/login/", {"username": "Seller@Example.COM", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/cases/"


def test_wrong_password_keeps_the_email_and_says_why(client, seller):
    response = client.post(
        "/accounts/login/", {"username": "seller@example.com", "password": "wrong"}
    )
    assert response.status_code == 200
    assert 'value="seller@example.com"' in response.text
    assert "Please enter a correct" in response.text


def test_login_follows_next(client, seller):
    response = client.post(
        "/accounts/login/?next=/cases/help/",
        {"username": "seller@example.com", "password": PASSWORD, "next": "/cases/help/"},
    )
    assert response["Location"] == "/cases/help/"


def test_logout_is_a_post_and_ends_the_session(seller_client):
    assert seller_client.get("/cases/").status_code == 200
    response = seller_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert seller_client.get("/cases/").status_code == 302


@pytest.mark.parametrize("length", [255, 256, 100_000])
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_a_username_over_its_bound_is_a_form_error(client, seller, url, length):
    """Issue 23.5: a 256-character username was a 500 on PostgreSQL (django-axes'
    varchar(255)), a 100,000-character one a 500 on SQLite (LIKE too complex)."""
    from axes.models import AccessAttempt

    response = client.post(url, {"username": "a" * length, "password": "wrong"})

    assert response.status_code == 200
    assert "Ensure this value has at most 254 characters" in response.text
    assert response.wsgi_request.user.is_anonymous
    # Refused before the throttle and the user lookup saw it.
    assert not AccessAttempt.objects.exists()


def test_a_username_at_its_bound_is_checked_as_usual(client, seller):
    from axes.models import AccessAttempt

    response = client.post("/accounts/login/", {"username": "a" * 254, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.text
    assert AccessAttempt.objects.count() == 1


def test_the_password_reset_refuses_an_address_over_its_bound(client, seller):
    response = client.post("/accounts/password_reset/", {"email": "a" * 100_000 + "@example.com"})
    assert response.status_code == 200
    assert "Ensure this value has at most 254 characters" in response.text
