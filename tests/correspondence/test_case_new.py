"""The contact form /cases/new/: subject, body, up to 3 files → a new open case."""

from __future__ import annotations

import uuid
from html import unescape

import pytest
from django.core import mail
from django.test import Client

from cases.models import Case, CaseHistory, CaseState, Membership, SellerAccount
from correspondence.models import Attachment, Message
from tests.correspondence.conftest import HTML, pdf, png, upload

URL = "/cases/new/"
BODY = "Mon virement du 12 n'est pas arrivé."


def form_data(**extra):
    return {
        "subject": "Paiement non reçu",
        "body": BODY,
        "submission_id": str(uuid.uuid4()),
        **extra,
    }


def test_it_shows_the_form(seller_client):
    response = seller_client.get(URL)
    assert response.status_code == 200
    for name in ("subject", "body", "attachments", "submission_id"):
        assert f'name="{name}"' in response.text
    assert "<select" not in response.text.split("<main")[1]  # one account: no choice


def test_the_log_links_to_it(seller_client):
    assert f'href="{URL}"' in seller_client.get("/cases/").text


def test_it_opens_a_case(
    seller, account, seller_client, django_capture_on_commit_callbacks, settings, on_disk
):
    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(URL, form_data(attachments=[pdf(), png()]))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.id}/"
    assert case.account == account
    assert case.state == CaseState.OPEN
    assert case.short_description == "Paiement non reçu"
    assert case.primary_email == seller.email
    message = Message.objects.get()
    assert (message.case, message.author, message.body) == (case, seller, BODY)
    assert message.attachments.count() == 2
    assert len(on_disk()) == 2
    # case_create records the opening; nothing else writes a state row
    assert list(CaseHistory.objects.values_list("field", "new_value")) == [
        ("state", CaseState.OPEN)
    ]
    (sent,) = mail.outbox
    assert sent.to == [settings.CASELOG_SUPPORT_EMAIL]
    assert str(case.id) in sent.subject
    assert BODY in sent.body

    page = seller_client.get(response["Location"])
    assert f"Case {case.id} is open" in page.text
    assert "Paiement non reçu" in page.text


def test_it_keeps_the_text_on_a_bad_file(seller_client, on_disk):
    response = seller_client.post(URL, form_data(attachments=[pdf(), upload("x.png", HTML)]))
    assert response.status_code == 200
    assert "does not contain what its name says" in response.text
    assert BODY in unescape(response.text)
    assert "Paiement non reçu" in response.text
    assert not Case.objects.exists()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert on_disk() == []


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("subject", "", "This field is required"),
        ("body", "", "This field is required"),
        ("subject", "x" * 201, "at most 200 characters"),
    ],
)
def test_it_requires_a_subject_and_a_body(seller_client, field, value, error):
    response = seller_client.post(URL, form_data(**{field: value}))
    assert response.status_code == 200
    assert error in response.text
    assert not Case.objects.exists()


def test_sending_it_twice_opens_one_case(seller_client):
    data = form_data()
    first = seller_client.post(URL, data)
    second = seller_client.post(URL, data)
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert "already opened" in seller_client.get(second["Location"]).text


def test_a_user_of_two_accounts_chooses_one_of_them(seller, seller_client, other_account):
    third = SellerAccount.objects.create(name="Third Shop")
    Membership.objects.create(account=third, user=seller)

    page = seller_client.get(URL)
    assert "Third Shop" in page.text
    assert "Other Store" not in page.text

    refused = seller_client.post(URL, form_data(account=other_account.pk))
    assert refused.status_code == 200
    assert not Case.objects.exists()

    seller_client.post(URL, form_data(account=third.pk))
    assert Case.objects.get().account == third


def test_a_user_without_account_cannot_open_a_case(db):
    from tests.conftest import make_user

    client = Client()
    client.force_login(make_user("nobody@example.com"))
    assert client.get(URL).status_code == 403


def test_staff_without_account_are_sent_to_the_admin(agent_client):
    response = agent_client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_an_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_follow_up_cites_the_old_case(seller_client):
    response = seller_client.get(URL + "?related=1234567890")
    assert 'value="Follow-up to case 1234567890"' in response.text
    assert "Follow-up to case" not in seller_client.get(URL + "?related=<b>").text
