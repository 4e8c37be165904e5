"""Downloads /attachments/<token>/: only for users who can see the case."""

from __future__ import annotations

import pytest

from cases.models import CaseState
from correspondence.models import Message
from correspondence.services import message_post
from tests.conftest import make_case
from tests.correspondence.conftest import PDF, pdf, text


@pytest.fixture
def posted(account, seller):
    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    message = message_post(
        case=case,
        author=seller,
        direction=Message.Direction.FROM_SELLER,
        body="See the files",
        files=[pdf("relevé août — 2026.pdf"), text("日本語.txt")],
    )
    return list(message.attachments.all())


def test_a_colleague_downloads_with_the_original_name(colleague_client, posted):
    attachment = posted[0]
    response = colleague_client.get(f"/attachments/{attachment.token}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''relev%C3%A9%20ao%C3%BBt%20%E2%80%94%202026.pdf" in disposition
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_text_file_is_not_served_as_a_page(seller_client, posted):
    response = seller_client.get(posted[1].get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert "%E6%97%A5%E6%9C%AC%E8%AA%9E.txt" in response["Content-Disposition"]


def test_an_outsider_gets_404_for_every_file(outsider_client, posted):
    for attachment in posted:
        assert outsider_client.get(attachment.get_absolute_url()).status_code == 404


def test_a_missing_token_is_the_same_404(seller_client, posted):
    assert seller_client.get("/attachments/no-such-token/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_login(client, posted):
    response = client.get(posted[0].get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_file_missing_from_disk_is_a_404(seller_client, posted):
    posted[0].file.delete(save=False)
    assert seller_client.get(posted[0].get_absolute_url()).status_code == 404


def test_downloads_are_get_only(seller_client, posted):
    assert seller_client.post(posted[0].get_absolute_url()).status_code == 405
