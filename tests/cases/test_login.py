"""Login with e-mail and password through Django's auth views."""

from __future__ import annotations

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
