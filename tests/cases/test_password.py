"""Password change and reset: the site's pages (not the admin's), linked from the login."""

from __future__ import annotations

import re

from django.core import mail

from tests.conftest import PASSWORD

SITE_HEADER = 'class="navbar navbar-expand-md navbar-dark bg-dark'


def test_the_login_page_links_to_the_password_reset(client):
    response = client.get("/accounts/login/")
    assert '<a href="/accounts/password_reset/">Forgot your password?</a>' in response.text


def test_the_reset_pages_are_the_sites(client, db):
    for url in ("/accounts/password_reset/", "/accounts/password_reset/done/",
                "/accounts/reset/MQ/set-password/", "/accounts/reset/done/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        assert SITE_HEADER in response.text, url
        assert "Django administration" not in response.text, url


def test_a_forgotten_password_is_reset_through_the_e_mailed_link(client, seller):
    response = client.post("/accounts/password_reset/", {"email": "Seller@Example.com"})
    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.to == ["seller@example.com"]
    assert sent.subject == "Choose a new password for Seller Support"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", sent.body).group(1)

    form = client.get(link, follow=True)
    assert SITE_HEADER in form.text
    assert "Choose a new password" in form.text
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-pass-42", "new_password2": "a-new-long-pass-42"},
    )
    assert response["Location"] == "/accounts/reset/done/"
    seller.refresh_from_db()
    assert seller.check_password("a-new-long-pass-42")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, seller):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_the_password_change_is_the_sites_page_and_keeps_the_user_logged_in(seller_client, seller):
    page = seller_client.get("/accounts/password_change/")
    assert SITE_HEADER in page.text
    response = seller_client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-pass-42",
            "new_password2": "another-long-pass-42",
        },
    )
    assert response["Location"] == "/accounts/password_change/done/"
    seller.refresh_from_db()
    assert seller.check_password("another-long-pass-42")
    assert seller_client.get("/cases/").status_code == 200


def test_a_wrong_old_password_changes_nothing(seller_client, seller):
    response = seller_client.post(
        "/accounts/password_change/",
        {
            "old_password": "wrong",
            "new_password1": "x-long-pass-42",
            "new_password2": "x-long-pass-42",
        },
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.text
    seller.refresh_from_db()
    assert seller.check_password(PASSWORD)


def test_the_admin_keeps_its_own_password_page(client, django_user_model):
    admin = django_user_model.objects.create_superuser(email="root@example.com", password="p")
    client.force_login(admin)
    response = client.get("/admin/password_change/")
    assert response.status_code == 200
    assert (
        "Django administration" in response.text or "site administration" in response.text.lower()
    )


def test_the_reset_form_names_its_field_as_the_login_does(client, db):
    client.cookies["django_language"] = "fr"
    response = client.get("/accounts/password_reset/")
    assert "Adresse e-mail" in response.text
    assert "Courriel" not in response.text


def field_errors(page: str, name: str) -> str:
    """The error text crispy shows under the field `name` (its feedback block)."""
    match = re.search(rf'id="error_\d+_id_{name}"[^>]*>(.*?)</', page, re.S)
    return match.group(1) if match else ""


def test_a_too_short_new_password_is_flagged_under_the_new_password(seller_client, seller):
    response = seller_client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"},
    )
    assert response.status_code == 200
    assert "This password is too short." in field_errors(response.text, "new_password1")
    assert "too short" not in field_errors(response.text, "new_password2")
    seller.refresh_from_db()
    assert seller.check_password(PASSWORD)


def test_the_reset_flags_a_too_short_password_under_the_new_password(client, seller):
    client.post("/accounts/password_reset/", {"email": seller.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": "abc", "new_password2": "abc"}
    )
    assert response.status_code == 200
    assert "This password is too short." in field_errors(response.text, "new_password1")
    assert "too short" not in field_errors(response.text, "new_password2")
    seller.refresh_from_db()
    assert seller.check_password(PASSWORD)


def test_a_mismatch_is_still_flagged_under_the_confirmation(seller_client):
    response = seller_client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-pass-42",
            "new_password2": "another-long-pass-43",
        },
    )
    assert "didn’t match" in field_errors(response.text, "new_password2")
    assert field_errors(response.text, "new_password1") == ""
