"""The duplicate guard on the contact form, and related cases on both case pages."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from cases.models import Case, CaseState
from correspondence.models import Attachment, HeldFile, Message
from correspondence.services import case_open
from correspondence.tasks import sweep_held_files
from tests.conftest import make_case
from tests.correspondence.conftest import PDF, pdf, text

NEW = "/cases/new/"


def open_case(account, author, subject="Question", related_case=None):
    return case_open(
        account=account, author=author, subject=subject, body="Hello", related_case=related_case
    ).case


def new_case_data(**extra: str) -> dict[str, str]:
    return {"subject": "Refund missing", "body": "Where is my refund?", **extra}


def test_check_shows_similar_open_cases_and_saves_nothing(seller_client, account, seller):
    refund = open_case(account, seller, "Refund not received for order 402")
    resolved = make_case(
        account, owner=seller, state=CaseState.RESOLVED, short_description="Refund received"
    )
    open_case(account, seller, "Listing suppressed")
    before = Case.objects.count()
    response = seller_client.post(NEW, new_case_data(subject="refund for order", check="1"))
    assert response.status_code == 200
    assert Case.objects.count() == before
    suggestions = re.findall(r'<li class="similar-case"><a href="/cases/(\d+)/"', response.text)
    assert suggestions == [str(refund.id)]
    assert str(resolved.id) not in suggestions
    assert f'formaction="/cases/{refund.id}/reply/#reply-heading"' in response.text
    # The typed text comes back, without errors.
    assert "Where is my refund?" in response.text
    assert "Nothing was sent" not in response.text


def test_check_without_javascript_names_the_files_to_attach_again(seller_client, account, seller):
    open_case(account, seller, "Refund not received for order 402")
    data = new_case_data(subject="refund", check="1")
    data["attachments"] = [pdf("<i>invoice.pdf"), pdf("label.pdf")]
    response = seller_client.post(NEW, data)
    assert response.status_code == 200
    assert Message.objects.count() == 1  # the existing case's: nothing new was saved
    assert "The check did not keep your files: attach" in response.text
    assert "&lt;i&gt;invoice.pdf, label.pdf again" in response.text


def test_check_without_files_warns_of_nothing(seller_client, account, seller):
    response = seller_client.post(NEW, new_case_data(subject="refund", check="1"))
    assert "did not keep your files" not in response.text


def test_the_page_warns_before_a_check_without_javascript(seller_client):
    page = seller_client.get(NEW).text
    warning = page.split("<noscript>")[1].split("</noscript>")[0]
    assert "does not keep attached files" in warning


def test_add_a_reply_there_carries_subject_and_message(seller_client, account, seller):
    refund = open_case(account, seller, "Refund not received for order 402")
    data = new_case_data(subject="Refund <b>again</b>", body='Still "nothing" <script>x</script>')
    response = seller_client.post(f"/cases/{refund.id}/reply/", {**data, "draft": "1"})
    assert response.status_code == 200
    form = response.text.split('class="card mb-4 reply-form"')[1].split("</form>")[0]
    assert 'value="Refund &lt;b&gt;again&lt;/b&gt;"' in form
    assert "Still &quot;nothing&quot; &lt;script&gt;x&lt;/script&gt;</textarea>" in form
    assert "<script>x</script>" not in response.text
    assert "Your text is in the reply form below" in response.text
    assert Message.objects.count() == 1  # only the case's first message: nothing was sent
    refund.refresh_from_db()
    assert refund.state == CaseState.OPEN


def _reply_form(response) -> str:
    return response.text.split('class="card mb-4 reply-form"')[1].split("</form>")[0]


def test_add_a_reply_there_holds_the_files_and_sends_them_with_the_reply(
    seller_client, account, seller, django_capture_on_commit_callbacks
):
    """Issue #22: "Add a reply there" carried the text but dropped the files."""
    refund = open_case(account, seller, "Refund not received")
    files = [pdf("scan.pdf"), pdf("label.pdf"), text("bad.exe")]
    response = seller_client.post(
        f"/cases/{refund.id}/reply/", {**new_case_data(), "draft": "1", "attachments": files}
    )
    assert response.status_code == 200
    form = _reply_form(response)
    held = list(HeldFile.objects.order_by("original_name"))
    assert [h.original_name for h in held] == ["label.pdf", "scan.pdf"]
    for h in held:
        assert re.search(rf'name="held" value="{h.token}"[^>]*\bchecked', form)
    assert "scan.pdf (" in form
    assert "label.pdf (" in form
    assert "Not carried over, as they cannot be attached: bad.exe." in response.text
    held_paths = [Path(h.file.path) for h in held]
    assert all(path.exists() for path in held_paths)
    assert not Attachment.objects.exists()
    # The reply leaves "label.pdf" out (unticked) and adds a new file.
    scan = next(h for h in held if h.original_name == "scan.pdf")
    data = {
        "subject": "",
        "body": "See the scan.",
        "held": [scan.token],
        "attachments": [pdf("extra.pdf")],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(f"/cases/{refund.id}/reply/", data)
    assert response.status_code == 302
    reply = refund.messages.order_by("-sent_at", "-id").first()
    attached = sorted(a.original_name for a in reply.attachments.all())
    assert attached == ["extra.pdf", "scan.pdf"]
    assert all(Path(a.file.path).read_bytes() == PDF for a in reply.attachments.all())
    assert not HeldFile.objects.exists()
    assert not any(path.exists() for path in held_paths)


def test_held_files_count_towards_the_limit(seller_client, account, seller):
    refund = open_case(account, seller, "Refund not received")
    seller_client.post(
        f"/cases/{refund.id}/reply/",
        {**new_case_data(), "draft": "1", "attachments": [pdf("a.pdf"), pdf("b.pdf")]},
    )
    tokens = list(HeldFile.objects.values_list("token", flat=True))
    data = {"body": "Two more", "held": tokens, "attachments": [pdf("c.pdf"), pdf("d.pdf")]}
    response = seller_client.post(f"/cases/{refund.id}/reply/", data)
    assert response.status_code == 200
    assert "You can attach at most 3 files to a message; you selected 4." in response.text
    assert refund.messages.count() == 1
    assert HeldFile.objects.count() == 2  # still held, still shown
    assert 'value="' + tokens[0] + '"' in _reply_form(response)


def test_held_files_are_their_users_and_expire(
    seller_client, colleague_client, account, seller, colleague, django_capture_on_commit_callbacks
):
    refund = open_case(account, seller, "Refund not received")
    seller_client.post(
        f"/cases/{refund.id}/reply/",
        {**new_case_data(), "draft": "1", "attachments": [pdf("mine.pdf")]},
    )
    held = HeldFile.objects.get()
    # A colleague sees the case, not the seller's held file, and cannot send it.
    page = colleague_client.get(f"/cases/{refund.id}/").text
    assert "mine.pdf" not in page
    colleague_client.post(f"/cases/{refund.id}/reply/", {"body": "Hi", "held": [held.token]})
    assert not Attachment.objects.exists()
    assert HeldFile.objects.count() == 1
    # Abandoned: the sweep removes the row and the file.
    path = Path(held.file.path)
    HeldFile.objects.update(held_at=timezone.now() - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_held_files.call() == 1
    assert not HeldFile.objects.exists()
    assert not path.exists()


def test_add_a_reply_there_goes_through_the_door(
    outsider_client, seller_client, account, seller, other_account, outsider
):
    theirs = open_case(other_account, outsider, "Refund not received")
    data = {**new_case_data(), "draft": "1"}
    assert seller_client.post(f"/cases/{theirs.id}/reply/", data).status_code == 404
    expired = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=90)
    response = seller_client.post(f"/cases/{expired.id}/reply/", data)
    assert response.status_code == 302
    assert Message.objects.count() == 1


def test_check_never_suggests_another_accounts_case(
    seller_client, account, seller, other_account, outsider
):
    theirs = open_case(other_account, outsider, "Refund not received")
    response = seller_client.post(NEW, new_case_data(subject="refund", check="1"))
    assert str(theirs.id) not in response.text
    assert "No similar open case found." in response.text


def test_creating_the_case_anyway_stays_possible(seller_client, account, seller):
    open_case(account, seller, "Refund missing")
    response = seller_client.post(NEW, new_case_data())
    assert response.status_code == 302
    assert Case.objects.filter(short_description="Refund missing").count() == 2


def test_the_fragment_endpoint_lists_suggestions(
    seller_client, outsider_client, client, account, seller
):
    refund = open_case(account, seller, "Refund not received")
    response = seller_client.get("/cases/similar/", {"subject": "refund received"})
    assert response.status_code == 200
    assert f"/cases/{refund.id}/" in response.text
    assert "<html" not in response.text
    assert (
        str(refund.id)
        not in outsider_client.get("/cases/similar/", {"subject": "refund received"}).text
    )
    anonymous = client.get("/cases/similar/", {"subject": "refund"})
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]


def test_a_new_case_cites_a_related_case_shown_on_both_pages(seller_client, account, seller):
    old = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=90)
    response = seller_client.post(NEW, new_case_data(related_case=str(old.id)))
    assert response.status_code == 302
    new = Case.objects.get(short_description="Refund missing")
    assert new.related_case == old
    page = seller_client.get(f"/cases/{new.id}/").text
    assert re.search(rf'Related to case <a href="/cases/{old.id}/">{old.id}</a>', page)
    old_page = seller_client.get(f"/cases/{old.id}/").text
    assert re.search(rf'Follow-up cases</dt>\s*<dd[^>]*><a href="/cases/{new.id}/">', old_page)


def test_a_foreign_or_missing_related_id_is_the_same_form_error(
    seller_client, account, seller, other_account, outsider
):
    theirs = open_case(other_account, outsider)
    before = Case.objects.count()
    for value in [str(theirs.id), "1234567890"]:
        response = seller_client.post(NEW, new_case_data(related_case=value))
        assert response.status_code == 200
        assert "No case with this ID was found among your cases." in response.text
    assert seller_client.post(NEW, new_case_data(related_case="12ab")).status_code == 200
    assert Case.objects.count() == before


def test_the_related_link_of_another_account_is_404(outsider_client, account, seller):
    old = open_case(account, seller)
    new = open_case(account, seller, related_case=old)
    assert outsider_client.get(f"/cases/{new.id}/").status_code == 404
    assert outsider_client.get(f"/cases/{old.id}/").status_code == 404


def test_the_related_parameter_prefills_the_form(seller_client, account, seller):
    old = make_case(account, owner=seller)
    response = seller_client.get(NEW, {"related": str(old.id)})
    assert f'value="{old.id}"' in response.text
    assert f"Follow-up to case {old.id}" in response.text


def test_the_service_refuses_a_related_case_of_another_account(
    account, seller, other_account, outsider
):
    import pytest
    from django.core.exceptions import ValidationError

    theirs = open_case(other_account, outsider)
    with pytest.raises(ValidationError):
        open_case(account, seller, related_case=theirs)
