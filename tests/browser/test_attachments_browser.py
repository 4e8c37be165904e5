"""Issue #22 (6, 8) in Chromium, at both sizes and in both languages: the check for
similar cases brings its answer into view with the focus on it; the chosen files
are listed with a way to remove one, dropped files are taken, and "Add a reply
there" carries the files to the reply."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import Page, expect

from cases.models import Case
from correspondence.models import Attachment, HeldFile
from correspondence.services import case_open
from tests.browser.conftest import login
from tests.correspondence.conftest import PDF

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SCREENS = [(size, language) for size in SIZES for language in ("en", "fr")]


def _open_new_case_page(page: Page, live_server, seller, size: str, language: str) -> None:
    page.set_viewport_size(SIZES[size])
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/new/")


def _files(tmp_path, *names: str) -> list[str]:
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(PDF)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize(("size", "language"), SCREENS)
def test_the_check_moves_the_focus_to_the_suggestions(
    page: Page, live_server, transactional_db, account, seller, size, language
):
    existing = case_open(
        account=account, author=seller, subject="Refund not received for order 402", body="Hi"
    ).case
    _open_new_case_page(page, live_server, seller, size, language)
    form = page.locator(".new-case-form")
    form.locator("input[name=subject]").fill("Refund for order 402")
    form.locator("textarea[name=body]").fill("Still waiting.\n" * 12)
    form.locator("button[name=check]").click()
    suggestions = page.locator("#similar-cases .similar-cases")
    expect(suggestions).to_be_focused()
    expect(suggestions).to_be_in_viewport()
    expect(suggestions.locator(".similar-case")).to_contain_text(str(existing.id))


@pytest.mark.parametrize(("size", "language"), SCREENS)
def test_two_chosen_files_are_listed_and_the_one_left_is_sent(
    page: Page, live_server, transactional_db, account, seller, tmp_path, size, language
):
    _open_new_case_page(page, live_server, seller, size, language)
    form = page.locator(".new-case-form")
    form.locator("input[name=subject]").fill("Damaged parcel")
    form.locator("textarea[name=body]").fill("Photos attached.")
    form.locator("input[name=attachments]").set_input_files(
        _files(tmp_path, "first.pdf", "second.pdf")
    )
    chosen = form.locator(".chosen-file")
    expect(chosen).to_have_count(2)
    expect(chosen.nth(0)).to_contain_text("first.pdf")
    expect(chosen.nth(1)).to_contain_text("second.pdf")
    remove = "Retirer" if language == "fr" else "Remove"
    chosen.nth(0).get_by_role("button", name=f"{remove} first.pdf").click()
    expect(chosen).to_have_count(1)
    expect(chosen).to_contain_text("second.pdf")
    with page.expect_navigation():
        form.locator("button.btn-primary[type=submit]").click()
    # The case page is served before the test reads the database (one SQLite in memory).
    expect(page.locator(".alert-success")).to_be_visible()
    case = Case.objects.get(short_description="Damaged parcel")
    names = list(Attachment.objects.filter(message__case=case).values_list("original_name"))
    assert names == [("second.pdf",)]


@pytest.mark.parametrize(("size", "language"), SCREENS)
def test_a_dropped_file_is_listed_and_sent(
    page: Page, live_server, transactional_db, account, seller, size, language
):
    _open_new_case_page(page, live_server, seller, size, language)
    form = page.locator(".new-case-form")
    expect(form.locator(".drop-hint")).to_have_text(
        "Vous pouvez aussi déposer des fichiers ici."
        if language == "fr"
        else "You can also drop files here."
    )
    form.locator("input[name=subject]").fill("Dropped invoice")
    form.locator("textarea[name=body]").fill("See the invoice.")
    transfer = page.evaluate_handle(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.pdf", { type: "application/pdf" }));
            return transfer;
        }""",
        base64.b64encode(PDF).decode(),
    )
    form.locator(".drop-zone").dispatch_event("drop", {"dataTransfer": transfer})
    expect(form.locator(".chosen-file")).to_have_count(1)
    expect(form.locator(".chosen-file")).to_contain_text("dropped.pdf")
    with page.expect_navigation():
        form.locator("button.btn-primary[type=submit]").click()
    # The case page is served before the test reads the database (one SQLite in memory).
    expect(page.locator(".alert-success")).to_be_visible()
    case = Case.objects.get(short_description="Dropped invoice")
    names = list(Attachment.objects.filter(message__case=case).values_list("original_name"))
    assert names == [("dropped.pdf",)]


def test_a_fourth_file_is_not_added(page: Page, live_server, transactional_db, seller, tmp_path):
    _open_new_case_page(page, live_server, seller, "desktop", "en")
    field = page.locator(".new-case-form input[name=attachments]")
    field.set_input_files(_files(tmp_path, "a.pdf", "b.pdf", "c.pdf", "d.pdf"))
    expect(page.locator(".chosen-file")).to_have_count(3)
    expect(page.locator(".chosen-files-note")).to_contain_text("d.pdf not added")
    assert page.eval_on_selector("input[name=attachments]", "input => input.files.length") == 3


def test_add_a_reply_there_carries_the_files_to_the_reply(
    page: Page, live_server, transactional_db, account, seller, tmp_path
):
    existing = case_open(
        account=account, author=seller, subject="Refund not received for order 402", body="Hi"
    ).case
    _open_new_case_page(page, live_server, seller, "desktop", "en")
    form = page.locator(".new-case-form")
    form.locator("input[name=subject]").fill("Refund for order 402")
    form.locator("textarea[name=body]").fill("Here is the receipt.")
    form.locator("input[name=attachments]").set_input_files(_files(tmp_path, "receipt.pdf"))
    form.locator("button[name=check]").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Add a reply there").click()
    reply = page.locator(".reply-form")
    held = reply.locator("input[name=held]")
    expect(held).to_be_checked()
    expect(reply).to_contain_text("receipt.pdf")
    with page.expect_navigation():
        reply.get_by_role("button", name="Send").click()
    expect(page.locator(".alert-success")).to_contain_text("Your message was sent")
    reply_message = existing.messages.order_by("-sent_at", "-id").first()
    assert [a.original_name for a in reply_message.attachments.all()] == ["receipt.pdf"]
    assert not HeldFile.objects.exists()


@pytest.mark.parametrize(("size", "language"), SCREENS)
def test_the_reply_form_lists_the_files_too(
    page: Page, live_server, transactional_db, account, seller, tmp_path, size, language
):
    case = case_open(account=account, author=seller, subject="Missing parcel", body="Hi").case
    _open_new_case_page(page, live_server, seller, size, language)
    page.goto(f"{live_server.url}/cases/{case.id}/")
    reply = page.locator(".reply-form")
    reply.locator("textarea[name=body]").fill("Two photos, one was wrong.")
    reply.locator("input[name=attachments]").set_input_files(
        _files(tmp_path, "wrong.pdf", "right.pdf")
    )
    chosen = reply.locator(".chosen-file")
    expect(chosen).to_have_count(2)
    remove = "Retirer" if language == "fr" else "Remove"
    reply.get_by_role("button", name=f"{remove} wrong.pdf").click()
    expect(chosen).to_have_count(1)
    with page.expect_navigation():
        reply.locator("button.btn-primary[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    sent = case.messages.order_by("-sent_at", "-id").first()
    assert [a.original_name for a in sent.attachments.all()] == ["right.pdf"]
