"""Internal notes (#21.3): agents write them on the admin case page and find them
with the agents' search; no seller reaches one by any path (page, file, e-mail,
CSV, search, snippets, similar cases, "Updated" mark)."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail

from cases.access import cases_visible_to
from cases.models import CaseHistory, CaseState, CaseView
from cases.search import similar_cases
from correspondence.models import Attachment, Message
from correspondence.services import case_note_add, message_post, search_index_rebuild
from tests.conftest import _login, make_case
from tests.correspondence.conftest import pdf

SECRET = "Zanzibarian refund fraud suspicion"
FILE = "kyc-report.pdf"


@pytest.fixture
def case(account, seller):
    return make_case(
        account, owner=seller, state=CaseState.ANSWERED, short_description="Payout missing"
    )


@pytest.fixture
def agent_client(support_agent):
    return _login(support_agent)


def add_note(agent_client, case, body=SECRET, files=None):
    data = {"body": body, "submission_id": str(uuid.uuid4())}
    if files is not None:
        data["attachments"] = files
    return agent_client.post(f"/admin/cases/case/{case.pk}/note/", data)


def test_an_agent_adds_a_note_with_a_file_and_nothing_else_changes(agent_client, case):
    CaseView.objects.create(user_id=case.account.members.first().pk, case=case)
    before = type(case).objects.get(pk=case.pk)
    response = add_note(agent_client, case, files=[pdf(FILE)])
    assert response.status_code == 302
    note = Message.objects.get(case=case)
    assert note.direction == Message.Direction.NOTE
    assert note.body == SECRET
    assert note.recipients == []
    assert note.author.email == "support@example.com"
    assert [a.original_name for a in note.attachments.all()] == [FILE]
    after = type(case).objects.get(pk=case.pk)
    for field in ("state", "last_activity_at", "support_activity_at", "waiting_since"):
        assert getattr(after, field) == getattr(before, field), field
    assert not CaseHistory.objects.filter(case=case).exists()
    assert mail.outbox == []


def test_the_agent_sees_the_note_marked_in_the_thread(agent_client, case):
    add_note(agent_client, case)
    page = agent_client.get(f"/admin/cases/case/{case.pk}/change/")
    assert SECRET in page.text
    assert '<strong class="internal-note-label">Internal note</strong>' in page.text
    assert f"/admin/cases/case/{case.pk}/note/" in page.text  # the object tool


def test_an_empty_note_is_refused_and_nothing_saved(agent_client, case):
    response = add_note(agent_client, case, body="   ")
    assert response.status_code == 200
    assert "This field is required" in response.text or "errorlist" in response.text
    assert not Message.objects.filter(case=case).exists()


def test_a_fourth_file_is_refused_as_on_a_reply(agent_client, case):
    response = add_note(agent_client, case, files=[pdf(f"f{i}.pdf") for i in range(4)])
    assert response.status_code == 200
    assert not Message.objects.filter(case=case).exists()


def test_a_note_sent_twice_is_added_once(agent_client, case):
    data = {"body": SECRET, "submission_id": str(uuid.uuid4())}
    agent_client.post(f"/admin/cases/case/{case.pk}/note/", data)
    agent_client.post(f"/admin/cases/case/{case.pk}/note/", data)
    assert Message.objects.filter(case=case).count() == 1


def test_a_seller_cannot_write_a_note(seller, case):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        case_note_add(case=case, author=seller, body="Not mine to write")
    with pytest.raises(ValueError, match="case_note_add"):
        message_post(case=case, author=seller, direction=Message.Direction.NOTE, body="x")
    assert not Message.objects.filter(case=case).exists()


def test_the_agents_search_finds_a_note(agent_client, case, account, seller):
    make_case(account, owner=seller, short_description="Another case")
    add_note(agent_client, case, files=[pdf(FILE)])
    found = agent_client.get("/admin/cases/case/", {"q": "zanzibarian"})
    assert f"/admin/cases/case/{case.pk}/change/" in found.text
    assert "1 result" in found.text
    by_file = agent_client.get("/admin/cases/case/", {"q": "kyc-report"})
    assert f"/admin/cases/case/{case.pk}/change/" in by_file.text


@pytest.mark.parametrize("rebuilt", [False, True])
def test_no_seller_reaches_a_note_by_any_path(
    rebuilt, agent_client, case, seller, seller_client, support_agent
):
    message_post(
        case=case, author=seller, direction=Message.Direction.FROM_SELLER, body="Where is it?"
    )
    case_view_before = seller_client.get("/cases/")
    assert "case-changed" not in case_view_before.text
    mail.outbox.clear()
    add_note(agent_client, case, files=[pdf(FILE)])
    if rebuilt:  # the index rebuilt from the messages keeps the note internal
        search_index_rebuild(case_ids=[case.pk])
    note_file = Attachment.objects.get(message__direction=Message.Direction.NOTE)
    # The case page: neither the text nor the file.
    page = seller_client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert "Zanzibarian" not in page.text
    assert FILE not in page.text
    assert note_file.token not in page.text
    # The file itself, by its token.
    assert seller_client.get(f"/attachments/{note_file.token}/").status_code == 404
    assert (
        agent_client.get(
            f"/admin/correspondence/attachment/{note_file.token}/download/"
        ).status_code
        == 200
    )
    # No e-mail.
    assert mail.outbox == []
    # The log: no "Updated" mark, no match for the note's words, no snippet.
    log = seller_client.get("/cases/")
    assert "case-changed" not in log.text
    for query in ("zanzibarian", "fraud suspicion", "kyc-report"):
        searched = seller_client.get("/cases/", {"q": query})
        assert f"/cases/{case.pk}/" not in searched.text, query
        assert "Zanzibarian" not in searched.text
        export = seller_client.get("/cases/export.csv", {"q": query})
        body = b"".join(getattr(export, "streaming_content", [export.content])).decode()
        assert str(case.pk) not in body, query
    # The CSV of every case holds the case, never the note.
    export = seller_client.get("/cases/export.csv")
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert str(case.pk) in body
    assert "Zanzibarian" not in body
    assert FILE not in body
    # Similar cases: the note's words are not the case's.
    assert similar_cases(cases=cases_visible_to(seller), text="Zanzibarian fraud") == []
    similar = seller_client.get("/cases/similar/", {"subject": "Zanzibarian fraud suspicion"})
    assert f"{case.pk}" not in similar.text


@pytest.mark.parametrize("small_set", [2000, 0])
def test_the_agents_search_mixes_note_and_case_words(
    small_set, monkeypatch, agent_client, case, account, seller
):
    """Every word must match, in a note or in the case; both ways of reading the
    index (a small match set, or the subquery a page probes) agree."""
    from cases.search import match

    monkeypatch.setattr(match, "SMALL_SET", small_set)
    other = make_case(account, owner=seller, short_description="Payout late")
    add_note(agent_client, case)
    for query, expected in [
        ("payout zanzibarian", {case.pk}),
        ("zanzibarian fraud", {case.pk}),
        ("payout", {case.pk, other.pk}),
        ("late zanzibarian", set()),
    ]:
        page = agent_client.get("/admin/cases/case/", {"q": query})
        found = {c.pk for c in (case, other) if f"/admin/cases/case/{c.pk}/change/" in page.text}
        assert found == expected, query
    # The seller's log, either way, never matches the note's words.
    seller_page = _login(seller).get("/cases/", {"q": "payout zanzibarian"})
    assert f"/cases/{case.pk}/" not in seller_page.text
