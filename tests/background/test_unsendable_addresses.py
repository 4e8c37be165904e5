"""Issue 23.4: an address a mail server cannot be given (its domain fails Python's
IDNA codec, or its local part is not ASCII) is refused where it is typed, and at
send time it is left out, so one odd address never keeps the others from an e-mail.
"""

from __future__ import annotations

import logging
from email import message_from_bytes
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage

from background.mail import address_can_be_sent
from cases.models import Case, CaseEvent, CaseState, User
from correspondence.notifications import notify_seller
from tests.conftest import make_case

UNSENDABLE = [
    "x@\ue000.com",  # a private-use character: no IDNA form
    "a@" + "é" * 63 + ".com",  # a label of 63 characters, too long once encoded
    "a@xn--zz.com",  # an A-label that is no punycode
    "\u017f@example.com",  # a long s, which Django's validator takes for an "s"
]
SENDABLE = ["seller@example.com", "a@bücher.de", "ops@xn--bcher-kva.de"]


@pytest.mark.parametrize("address", UNSENDABLE)
def test_it_tells_an_unsendable_address(address):
    assert not address_can_be_sent(address)


@pytest.mark.parametrize("address", SENDABLE)
def test_it_tells_a_sendable_address(address):
    assert address_can_be_sent(address)


@pytest.mark.parametrize("address", UNSENDABLE)
def test_the_case_edit_form_refuses_it(seller_client, account, seller, address):
    case = make_case(account, owner=seller, cc_list=["boss@example.com"])
    response = seller_client.post(
        f"/cases/{case.id}/edit/",
        {
            "primary_email": seller.email,
            "cc_list": f"ok@example.com\n{address}",
            "short_description": case.short_description,
            "version": case.version,
        },
    )
    assert response.status_code == 200
    assert "cannot receive e-mail from this site" in response.text
    case.refresh_from_db()
    assert case.cc_list == ["boss@example.com"]


@pytest.mark.parametrize("address", UNSENDABLE)
def test_a_user_cannot_have_it(db, address):
    with pytest.raises(ValidationError) as refused:
        User(email=address).clean_fields(exclude=["password"])
    assert "email" in refused.value.message_dict


def test_the_agents_user_form_refuses_it(client, db):
    admin = User.objects.create_superuser(email="root@example.com", password="pw-for-tests")
    client.force_login(admin)
    response = client.post(
        "/admin/cases/user/add/",
        {"email": "x@\ue000.com", "password1": "Long-enough-9", "password2": "Long-enough-9"},
    )
    assert response.status_code == 200
    assert "cannot receive e-mail from this site" in response.text
    assert not User.objects.filter(email="x@\ue000.com").exists()


def test_an_address_stored_before_the_check_does_not_stop_the_others(smtp, account, seller, caplog):
    """A CC list saved before this fix holds the odd addresses: the owner and the good
    CC address still get the support answer, at once and once."""
    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    Case._base_manager.filter(pk=case.pk).update(cc_list=[*UNSENDABLE, "boss@example.com"])
    case.refresh_from_db()
    smtp.start()
    with caplog.at_level(logging.WARNING, logger="background.tasks"):
        assert notify_seller(case, CaseEvent.SUPPORT_ANSWERED) == 1

    assert len(smtp.inbox.received) == 1
    sent = message_from_bytes(smtp.inbox.received[0])
    assert sent["To"] == seller.email
    assert sent["Cc"] == "boss@example.com"
    assert "cannot be encoded for sending" in caplog.text
    assert "xn--zz" in caplog.text


def test_an_e_mail_to_none_that_can_be_sent_is_not_retried(smtp, db, caplog):
    smtp.start()
    with caplog.at_level(logging.ERROR, logger="background.tasks"):
        EmailMessage("Hello", "Body", to=["x@\ue000.com"]).send()
    assert smtp.inbox.received == []
    assert "no recipient can be sent to" in caplog.text


def test_the_refusals_read_in_french(seller_client, account, seller):
    case = make_case(account, owner=seller)
    seller_client.cookies["django_language"] = "fr"
    data = {
        "primary_email": seller.email,
        "short_description": case.short_description,
        "version": case.version,
    }
    unsendable = seller_client.post(f"/cases/{case.id}/edit/", {**data, "cc_list": "x@\ue000.com"})
    assert "ne peut pas recevoir d'e-mail de ce site" in unescape(unsendable.text)
    too_long = seller_client.post(f"/cases/{case.id}/edit/", {**data, "cc_list": "a," * 50_000})
    assert "La liste CC est trop longue" in too_long.text
