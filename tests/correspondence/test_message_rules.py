"""The rules of a message's text, the same on every path: the reply, the contact form,
the admin reply and the service itself. At most 20,000 characters; control characters
(other than tab and line breaks) are taken out of subjects, bodies and descriptions."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from cases.models import CaseState
from cases.services import case_update
from correspondence.models import Message
from correspondence.rules import MAX_BODY_LENGTH, clean_body
from correspondence.services import case_open, message_post
from tests.conftest import make_case

TOO_LONG = "x" * (MAX_BODY_LENGTH + 1)
# What a tester typed: the search highlighter's markers and other C0/C1 controls.
CONTROLS = "Refund\x02 fake\x03 \x07\x1b[31m\x7f\x85 end"


@pytest.fixture
def case(account, seller):
    return make_case(account, owner=seller, state=CaseState.ANSWERED)


def _data(**fields):
    return {"submission_id": str(uuid.uuid4()), **fields}


def test_a_reply_over_20000_characters_is_refused_and_kept(seller_client, case):
    response = seller_client.post(f"/cases/{case.id}/reply/", _data(body=TOO_LONG))
    assert response.status_code == 200
    assert "at most 20,000 characters" in response.text
    assert "this one has 20,001" in response.text
    assert TOO_LONG in response.text  # the text is kept in the form
    assert not Message.objects.exists()


def test_a_new_case_over_20000_characters_is_refused(seller_client):
    response = seller_client.post("/cases/new/", _data(subject="Long", body=TOO_LONG))
    assert response.status_code == 200
    assert "at most 20,000 characters" in response.text
    assert not Message.objects.exists()


def test_an_admin_reply_over_20000_characters_is_refused(agent_admin, case):
    response = agent_admin.post(f"/admin/cases/case/{case.id}/reply/", _data(body=TOO_LONG))
    assert response.status_code == 200
    assert "at most 20,000 characters" in response.text
    assert not Message.objects.exists()


def test_the_services_refuse_a_long_body_whoever_calls_them(seller, account, case):
    with pytest.raises(ValidationError):
        message_post(case=case, author=seller, direction="seller", body=TOO_LONG)
    with pytest.raises(ValidationError):
        case_open(account=account, author=seller, subject="Long", body=TOO_LONG)
    assert not Message.objects.exists()


def test_exactly_20000_characters_are_accepted_line_breaks_counted_once(seller_client, case):
    # A browser sends a text box's line breaks as CRLF but counts them as one
    # character against maxlength: so does the server.
    body = ("y" * 99 + "\r\n") * 200
    assert len(body.replace("\r\n", "\n")) == MAX_BODY_LENGTH
    response = seller_client.post(f"/cases/{case.id}/reply/", _data(body=body))
    assert response.status_code == 302
    assert Message.objects.get().body == body.replace("\r\n", "\n").strip()


def test_control_characters_are_taken_out_of_a_reply(seller_client, case):
    response = seller_client.post(
        f"/cases/{case.id}/reply/", _data(subject="Sub\x02ject\x1f", body=f"{CONTROLS}\n\tnext")
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.subject == "Subject"
    assert message.body == "Refund fake [31m end\n\tnext"


def test_control_characters_are_taken_out_of_a_new_case(seller_client):
    response = seller_client.post("/cases/new/", _data(subject=CONTROLS, body=CONTROLS))
    assert response.status_code == 302
    message = Message.objects.select_related("case").get()
    assert message.case.short_description == "Refund fake [31m end"
    assert message.subject == "Refund fake [31m end"
    assert "\x02" not in message.body
    assert "\x03" not in message.body


def test_control_characters_are_taken_out_of_an_edited_description(seller, case):
    case_update(
        case=case,
        actor=seller,
        expected_version=case.version,
        primary_email=seller.email,
        cc_list=[],
        short_description=CONTROLS,
    )
    case.refresh_from_db()
    assert case.short_description == "Refund fake [31m end"


def test_typed_markers_cannot_fake_a_search_highlight(seller_client, case):
    seller_client.post(
        f"/cases/{case.id}/reply/", _data(body="Please check \x02refund\x03 and \x02fake\x03")
    )
    page = seller_client.get("/cases/", {"q": "refund"}).text
    assert "<mark>refund</mark>" in page
    assert "<mark>fake</mark>" not in page


def test_the_rule_keeps_tabs_line_breaks_and_format_characters():
    assert clean_body("a\tb\r\nc\u200dd\u202ee") == "a\tb\nc\u200dd\u202ee"


def test_a_new_case_subject_of_only_control_characters_is_required_again(seller_client):
    response = seller_client.post("/cases/new/", _data(subject="\x02\x03\x1b", body="Hello"))
    assert response.status_code == 200
    assert "Enter a short description." in response.text
    assert not Message.objects.exists()


def test_markers_in_text_stored_before_the_rule_do_not_fake_a_highlight(seller_client, case):
    from cases.search import case_search_entry_add

    # Written around the services, as older data may be.
    message = Message.objects.create(
        case=case, direction="seller", body="old \x02fake\x03 refund text"
    )
    case_search_entry_add(
        case_id=case.pk, message_id=message.pk, subject="", body=message.body, file_names=[]
    )
    page = seller_client.get("/cases/", {"q": "refund"}).text
    assert "<mark>refund</mark>" in page
    assert "<mark>fake</mark>" not in page
