"""Every page, in English and in French: axe-core finds nothing serious, the Nu
HTML checker finds no error, and each page has exactly one h1 and the right lang.

One test walks every page in both languages and checks them all at the end, so
the Nu checker's JVM starts once for the whole batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone, translation
from django.views import defaults
from playwright.sync_api import Page, expect

from cases.models import CaseState, SupportTeam
from cases.services import case_transition
from correspondence.models import Attachment, Message, SavedReply
from correspondence.selectors import NEWEST_SHOWN
from correspondence.services import case_open, message_post
from tests.browser.a11y_support import FATAL_IMPACTS, Finding, run_axe, run_vnu, set_language
from tests.conftest import PASSWORD, make_case, make_user

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A string only the French catalogue produces, per page kind: proof the page is French.
FRENCH_LOG_TITLE = "Journal des cas"
LANGUAGES = ("en", "fr")


@dataclass
class Walk:
    """Collects what each visited page gives the checkers."""

    page: Page
    out: Path
    language: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    screenshots: bool = False

    def check(self, name: str) -> None:
        name = f"{self.language}-{name}"
        self.page.wait_for_load_state("load")
        html = self.page.content()
        path = self.out / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        self.files.append(path)
        if self.screenshots:
            self.page.screenshot(path=self.out / f"{name}.png", full_page=True)
        lang = self.page.locator("html").get_attribute("lang")
        if not (lang or "").startswith(self.language):
            self.problems.append(f"[{name}] <html lang={lang!r}>, expected {self.language!r}")
        h1_count = self.page.locator("h1").count()
        if h1_count != 1:
            self.problems.append(f"[{name}] {h1_count} h1 elements, expected exactly 1")
        if self.page.locator("main, [role=main]").count() != 1:
            self.problems.append(f"[{name}] no single main landmark")
        self.findings.extend(run_axe(self.page, name))


@dataclass
class Scene:
    open_case: Any
    expired_case: Any
    related_case: Any
    answered_case: Any = None  # "Did this solve your problem?", keep open
    escalated_case: Any = None  # overdue and escalated: the agent clears it
    long_case: Any = None  # more messages and files than a case page shows at first


@pytest.fixture
def scene(transactional_db, account, other_account, seller, colleague, support_agent) -> Scene:
    """A case with a thread, files and history; an expired case; an empty account;
    per language a colleague who leaves (cases to hand off); a user of no account."""
    SupportTeam.objects.create(name="Payments")
    make_user("empty@example.com", account=other_account)
    make_user("no-account@example.com")
    for language in LANGUAGES:
        leaver = make_user(f"leaver-{language}@example.com", account=account)
        for n in range(2):
            make_case(account, owner=leaver, short_description=f"Stock count {language} {n}")
        make_case(account, owner=seller, cc_list=[leaver.email, colleague.email])
    make_case(account, owner=seller, state=CaseState.NEEDS_ATTENTION)
    for n in range(30):
        make_case(account, owner=seller, short_description=f"Order problem no. {n}")
    make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=3)
    expired = make_case(
        account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=90,
        short_description="Old payout question",
    )  # fmt: skip
    first = case_open(
        account=account,
        author=seller,
        subject="Payout not received — virement non reçu",
        body="The payout of last week did not arrive.\n\nOrder 402-1234567.",
        files=[SimpleUploadedFile("statement.pdf", PDF, content_type="application/pdf")],
    )
    case = first.case
    message_post(
        case=case,
        author=support_agent,
        direction=Message.Direction.FROM_SUPPORT,
        body="Please send the bank statement.",
        needs_action=True,
    )
    message_post(
        case=case,
        author=seller,
        direction=Message.Direction.FROM_SELLER,
        subject="Statement",
        body="Here it is.",
        files=[SimpleUploadedFile("bank.pdf", PDF, content_type="application/pdf")],
    )
    case_transition(
        case=case,
        event="transferred",
        actor=support_agent,
        team=SupportTeam.objects.get(),
        note="Payments handle payouts",
    )
    case.refresh_from_db()
    related = case_open(
        account=account,
        author=seller,
        subject=f"Follow-up to case {expired.pk}",
        body="The old payout question again.",
        related_case=expired,
    ).case
    answered = case_open(
        account=account, author=seller, subject="Listing suppressed", body="Why?"
    ).case
    message_post(
        case=answered,
        author=support_agent,
        direction=Message.Direction.FROM_SUPPORT,
        body="The safety sheet was missing; it is back now.",
    )
    escalated = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    type(escalated).objects.filter(pk=escalated.pk).update(
        waiting_since=timezone.now() - timedelta(days=3),
        escalated_at=timezone.now(),
        escalation_reason="other",
        escalation_text="Three days without an answer.",
    )
    overdue = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    type(overdue).objects.filter(pk=overdue.pk).update(
        waiting_since=timezone.now() - timedelta(days=3)
    )
    SavedReply.objects.create(
        title="Refund sent", body_en="Your refund was sent.", body_fr="Remboursement envoyé."
    )
    long = make_case(account, owner=seller, short_description="A long thread")
    for n in range(NEWEST_SHOWN + 2):
        message = Message.objects.create(
            case=long, author=seller, direction=Message.Direction.FROM_SELLER,
            subject=f"Part {n}", body=f"Part {n} of the story.",
            sent_at=timezone.now() - timedelta(hours=NEWEST_SHOWN + 2 - n),
        )  # fmt: skip
        Attachment.objects.create(
            message=message, file=f"attachments/xx/long-{n}", original_name="photo.png",
            size=1000 + n, content_type="image/png",
        )  # fmt: skip
    return Scene(
        open_case=case,
        expired_case=expired,
        related_case=related,
        answered_case=answered,
        escalated_case=(escalated, overdue),
        long_case=long,
    )


def _submit(page: Page, form: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form} [type=submit]").last.click()


def _settle(page: Page) -> None:
    """The pointer off the button just clicked, its colour transition over: axe
    measures the contrast of what a person sees, not of a frame mid-fade."""
    page.mouse.move(0, 0)
    page.locator(":focus").blur()
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


def walk_seller_pages(walk: Walk, base: str, scene: Scene) -> None:
    page = walk.page
    case_url = f"{base}/cases/{scene.open_case.id}/"

    page.goto(f"{base}/accounts/login/")
    walk.check("login")
    page.locator("main input[name=username]").fill("nobody@example.com")
    page.locator("main input[name=password]").fill("wrong password")
    _submit(page, "main form")
    expect(page.locator("main .alert-danger, main .invalid-feedback").first).to_be_visible()
    walk.check("login-error")

    login_as(page, base, "empty@example.com")
    page.goto(f"{base}/cases/")
    expect(page.locator(".empty-state")).to_be_visible()
    walk.check("log-empty")
    logout(page)

    login_as(page, base, "seller@example.com")
    page.goto(f"{base}/cases/")
    if walk.language == "fr":
        expect(page.locator("h1")).to_have_text(FRENCH_LOG_TITLE)
    walk.check("log")
    page.goto(f"{base}/cases/?q=order&state=open&state=resolved&o=-id&page=2")
    walk.check("log-filtered")
    page.locator("summary.filters-toggle").click()
    expect(page.locator(".filters-panel")).to_be_visible()
    walk.check("log-filters-open")
    page.goto(f"{base}/cases/?q=no+such+case")
    walk.check("log-filtered-empty")
    page.goto(f"{base}/cases/?created_from=yesterday&per_page=7&o=nonsense")
    walk.check("log-filter-error")
    page.goto(f"{base}/cases/help/")
    walk.check("help")

    page.goto(f"{base}/cases/new/")
    walk.check("new-case")
    with page.expect_navigation():  # "Open the case" (the check button sends nothing)
        page.locator("form.new-case-form [type=submit]").first.click()
    walk.check("new-case-error")

    page.goto(case_url)
    walk.check("case")
    page.locator(".reply-form textarea[name=body]").fill("")
    _submit(page, ".reply-form form")
    walk.check("reply-error-empty")
    files = [
        {"name": f"file{n}.pdf", "mimeType": "application/pdf", "buffer": PDF} for n in range(4)
    ]
    page.locator(".reply-form textarea[name=body]").fill("Four files")
    page.locator(".reply-form input[type=file]").set_input_files(files)
    _submit(page, ".reply-form form")
    walk.check("reply-error-files")

    page.goto(f"{case_url}edit/")
    walk.check("edit")
    page.locator("input[name=short_description]").fill("")
    page.locator("textarea[name=cc_list]").fill("not an address, x@y")
    _submit(page, "form.case-edit-form")
    walk.check("edit-error")

    page.goto(f"{base}/cases/{scene.long_case.id}/")
    walk.check("case-long")
    with page.expect_navigation():  # a plain link: no JavaScript needed
        page.locator(".thread-more a").click()
    expect(page.locator("details.message")).to_have_count(NEWEST_SHOWN + 2)
    with page.expect_navigation():
        page.locator(".files-more a").click()
    expect(page.locator(".case-files tbody tr")).to_have_count(NEWEST_SHOWN + 2)
    walk.check("case-long-all")

    page.goto(f"{base}/cases/{scene.expired_case.id}/")
    walk.check("case-expired")
    page.goto(f"{base}/cases/9999999999/")
    walk.check("not-found")
    logout(page)


def walk_admin_pages(walk: Walk, base: str, scene: Scene) -> None:
    page = walk.page
    login_as(page, base, "support@example.com")
    page.goto(f"{base}/admin/cases/case/")
    walk.check("admin-case-list")
    page.goto(f"{base}/admin/cases/case/?state__exact=open&q=order")
    walk.check("admin-case-list-filtered")
    page.goto(f"{base}/admin/cases/case/{scene.open_case.id}/change/")
    walk.check("admin-case")
    page.goto(f"{base}/admin/cases/case/{scene.long_case.id}/change/")
    walk.check("admin-case-long")
    page.goto(f"{base}/admin/cases/case/{scene.open_case.id}/change/")
    with page.expect_navigation():
        page.locator("#reply input[name=_send]").click()
    walk.check("admin-reply-error")
    page.goto(f"{base}/admin/cases/case/{scene.open_case.id}/transfer/")
    walk.check("admin-transfer")
    page.goto(f"{base}/admin/cases/case/{scene.open_case.id}/note/")
    walk.check("admin-note")
    page.goto(f"{base}/admin/cases/case/{scene.open_case.id}/assign/")
    walk.check("admin-assign")
    logout(page)


def login_as(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("main input[name=username]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    _submit(page, "main form")
    assert "/accounts/login/" not in page.url, f"could not log in as {email}"


def logout(page: Page) -> None:
    page.context.clear_cookies(name="sessionid")


def walk_beyond_pages(walk: Walk, base: str, scene: Scene) -> None:
    """Search snippets, the duplicate guard, related cases, the team page and hand-off."""
    page = walk.page
    login_as(page, base, "seller@example.com")
    expect(page.locator(".attention-count")).not_to_have_text("0")
    page.goto(f"{base}/cases/?q=statement")
    expect(page.locator(".search-snippet").first).to_be_visible()
    walk.check("log-search-snippets")

    page.goto(f"{base}/cases/new/")
    page.locator(".new-case-form input[name=subject]").fill("Payout not received")
    page.locator(".new-case-form textarea[name=body]").fill("Still nothing.")
    # The check is a look-up beside the form: no navigation, nothing sent.
    page.locator(".new-case-form button[name=check]").click()
    expect(page.locator(".similar-case").first).to_be_visible()
    _settle(page)
    walk.check("new-case-similar")
    page.locator(".new-case-form input[name=subject]").fill("Zzyzx quokka")
    page.locator(".new-case-form button[name=check]").click()
    expect(page.locator(".no-similar-cases")).to_be_visible()
    _settle(page)
    walk.check("new-case-no-similar")
    page.locator(".new-case-form input[name=subject]").fill("Payout not received")
    page.locator(".new-case-form button[name=check]").click()
    with page.expect_navigation():
        page.locator(".add-reply-there").first.click()
    expect(page.locator(".reply-form textarea[name=body]")).to_have_value("Still nothing.")
    walk.check("case-reply-draft")

    page.goto(f"{base}/cases/{scene.related_case.id}/")
    walk.check("case-related")

    page.goto(f"{base}/team/")
    expect(page.locator(".team-table")).to_be_visible()
    walk.check("team")
    form = page.locator("form.handoff-form")
    form.locator("select[name=from_email]").select_option("seller@example.com")
    _submit(page, "form.handoff-form")  # "To" left on "Choose…"
    expect(
        page.locator("form.handoff-form .alert-danger, form.handoff-form .invalid-feedback").first
    ).to_be_visible()
    walk.check("team-error")
    form.locator("select[name=from_email]").select_option(f"leaver-{walk.language}@example.com")
    form.locator("select[name=to_email]").select_option("seller@example.com")
    _submit(page, "form.handoff-form")
    expect(page.locator(".handoff-confirm")).to_be_visible()
    walk.check("handoff-confirm")
    _submit(page, ".handoff-confirm form")
    expect(page.locator(".messages .alert-success")).to_be_visible()
    walk.check("handoff-done")

    page.goto(f"{base}/accounts/profile/")
    walk.check("profile")
    page.goto(f"{base}/accounts/password_change/")
    walk.check("password-change")
    page.locator("input[name=old_password]").fill("not my password")
    page.locator("input[name=new_password1]").fill("short")
    page.locator("input[name=new_password2]").fill("different")
    _submit(page, "main form")
    walk.check("password-change-error")
    page.goto(f"{base}/cases/")
    with page.expect_navigation():
        page.locator("header form[action$='/logout/'] [type=submit]").click()
    walk.check("logged-out")

    login_as(page, base, "no-account@example.com")
    response = page.goto(f"{base}/cases/new/")
    assert response is not None
    assert response.status == 403
    walk.check("forbidden")
    page.goto(f"{base}/team/")
    walk.check("team-index-empty")
    logout(page)


def walk_anonymous_pages(walk: Walk, base: str, scene: Scene) -> None:
    """The lockout after too many failed log-ins, password reset and the error pages."""
    from django.conf import settings

    page = walk.page
    page.goto(f"{base}/accounts/login/")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        page.locator("main input[name=username]").fill(f"locked-{walk.language}@example.com")
        page.locator("main input[name=password]").fill("wrong password")
        _submit(page, "main form")
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator(".alert-warning")).to_have_count(1)  # the lockout page
    walk.check("locked-out")

    page.goto(f"{base}/accounts/password_reset/")
    walk.check("password-reset")
    page.goto(f"{base}/accounts/password_reset/done/")
    walk.check("password-reset-done")
    page.goto(f"{base}/accounts/reset/MQ/set-password/")
    walk.check("password-reset-bad-link")
    page.goto(f"{base}/accounts/reset/done/")
    walk.check("password-reset-complete")

    for status, view in ((400, defaults.bad_request), (500, defaults.server_error)):
        check_error_page(walk, base, status, view)


def check_error_page(walk: Walk, base: str, status: int, view: Callable[..., Any]) -> None:
    """A page the live server cannot be made to fail with: Django's own handler renders
    it, in the walk's language, and the browser gets it at a URL of the site (its CSS
    and the Content Security Policy apply as on any page)."""
    request = RequestFactory().get("/")
    with translation.override(walk.language):
        response = view(request, SuspiciousOperation("bad")) if status == 400 else view(request)
    assert response.status_code == status
    # The headers the middleware gives every page, the Content Security Policy first.
    site_headers = walk.page.request.get(f"{base}/accounts/login/").headers
    headers = {
        name: value
        for name, value in site_headers.items()
        if name.startswith("content-security-policy") or name.startswith("x-")
    }
    headers["content-type"] = response["Content-Type"]
    url = f"{base}/cases/__error_{status}__/"
    walk.page.route(
        url, lambda route: route.fulfill(status=status, body=response.content, headers=headers)
    )
    walk.page.goto(url)
    walk.page.unroute(url)
    walk.check(f"error-{status}")


def walk_conversation_pages(walk: Walk, base: str, scene: Scene) -> None:
    """Whose turn, "Did this solve…?" (and its error), the close confirmation, an
    overdue case's escalation form; the agent's confirmations and saved replies."""
    page = walk.page
    escalated, overdue = scene.escalated_case
    login_as(page, base, "seller@example.com")
    page.goto(f"{base}/cases/{scene.answered_case.id}/")
    expect(page.locator(".did-it-solve")).to_be_visible()
    walk.check("case-did-it-solve")
    page.locator(".did-it-solve details.answer-no summary").click()
    _submit(page, ".did-it-solve details.answer-no form")
    expect(page.locator(".did-it-solve .invalid-feedback").first).to_be_visible()
    walk.check("case-not-solved-error")
    page.goto(f"{base}/cases/{scene.answered_case.id}/resolve/")
    walk.check("case-resolve-confirm")
    page.goto(f"{base}/cases/{overdue.id}/")
    page.locator(".turn-line details.escalate summary").click()
    _submit(page, ".turn-line details.escalate form")
    expect(page.locator(".turn-line details.escalate[open]")).to_be_visible()
    walk.check("case-escalate-error")
    page.goto(f"{base}/cases/{escalated.id}/")
    walk.check("case-escalated")
    logout(page)

    login_as(page, base, "support@example.com")
    page.goto(f"{base}/admin/cases/case/{scene.open_case.id}/resolve/")
    walk.check("admin-resolve-confirm")
    page.goto(f"{base}/admin/cases/case/{escalated.id}/clear-escalation/")
    walk.check("admin-clear-escalation")
    page.goto(f"{base}/admin/cases/case/{overdue.id}/change/?saved=1")
    walk.check("admin-saved-reply")
    page.goto(f"{base}/admin/cases/case/?overdue=1&turn=support")
    walk.check("admin-case-list-overdue")
    logout(page)


WALKS: list[Callable[[Walk, str, Scene], None]] = [
    walk_seller_pages,
    walk_admin_pages,
    walk_conversation_pages,
    walk_beyond_pages,
    walk_anonymous_pages,
]


def test_every_page_passes_axe_and_the_nu_checker_in_english_and_french(
    page: Page, live_server, scene: Scene, tmp_path: Path
):
    base = live_server.url
    # Set A11Y_PAGES_DIR to keep the checked pages for a look (vnu, a browser).
    keep = bool(os.environ.get("A11Y_PAGES_DIR"))  # with a screenshot of each page
    out = Path(os.environ.get("A11Y_PAGES_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    walks = []
    for language in LANGUAGES:
        set_language(page.context, base, language)
        walk = Walk(page=page, out=out, language=language, screenshots=keep)
        for step in WALKS:
            step(walk, base, scene)
        walks.append(walk)

    findings = [f for w in walks for f in w.findings]
    for finding in findings:
        if finding.impact not in FATAL_IMPACTS:
            print(f"axe (not fatal): {finding}")
    fatal = [str(f) for f in findings if f.impact in FATAL_IMPACTS]
    html_errors = run_vnu(f for w in walks for f in w.files)
    problems = [p for w in walks for p in w.problems]
    pages = sum(len(w.files) for w in walks)
    print(f"{pages} pages checked: axe {len(fatal)} serious/critical, vnu {len(html_errors)}")
    assert pages >= 80
    assert fatal == [], "axe-core:\n" + "\n".join(fatal)
    assert html_errors == [], "Nu HTML checker:\n" + "\n".join(html_errors)
    assert problems == [], "\n".join(problems)
