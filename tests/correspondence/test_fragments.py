"""Golden test: the case page's thread and file table built by the Jinja fragments
are the markup of the Django templates they replace
(`correspondence/_thread_items.html`, `_file_rows.html`), in English and French."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import format_html
from hypothesis import given
from hypothesis import strategies as st
from pytest_django.asserts import assertHTMLEqual

from correspondence.fragments import file_rows, thread_items
from tests.fragments_data import HOSTILE, thread, visible_text


def _after(messages):
    """HTML under one message, as the "Did this solve your problem?" form is."""
    return {messages[-2].pk: format_html('<form class="did-it-solve"><p>{}</p></form>', HOSTILE)}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_thread_matches_the_template(language):
    with translation.override(language), timezone.override("Europe/Paris"):
        messages = thread()  # the dates' texts are the page's: in its language and zone
        after = _after(messages)
        for message in messages:
            message.after = after.get(message.pk, "")
        built = thread_items(messages, after)
        reference = render_to_string("correspondence/_thread_items.html", {"thread": messages})
    assertHTMLEqual(built, reference)
    assert visible_text(built) == visible_text(reference)
    assert built.count('<li class="mb-2">') == len(messages)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_file_rows_match_the_template(language):
    with translation.override(language), timezone.override("Europe/Paris"):
        messages = thread()
        pairs = [(m, a) for m in messages for a in m.files]
        built = file_rows(pairs)
        reference = render_to_string("correspondence/_file_rows.html", {"files": pairs})
    assertHTMLEqual(built, reference)
    assert visible_text(built) == visible_text(reference)
    assert built.count("<tr>") == len(pairs) > 10


def test_the_newest_message_is_open_and_first():
    messages = thread()
    html = thread_items(messages)
    assert html.index(f'id="message-{messages[-1].pk}" open') < html.index(
        f'id="message-{messages[0].pk}"'
    )
    assert html.count(" open>") == 1


def test_hostile_text_is_escaped_and_the_form_kept():
    messages = thread()
    html = thread_items(messages, _after(messages)) + file_rows(
        [(m, a) for m in messages for a in m.files]
    )
    assert "<script>" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;" in html
    assert '<form class="did-it-solve"><p>&lt;script&gt;' in html
    assert "seller&amp;" in html
    assert "son@example.com" in html


def test_a_plain_string_after_a_message_is_escaped():
    messages = thread()
    html = thread_items(messages, {messages[0].pk: "<i>not html</i>"})
    assert "&lt;i&gt;not html&lt;/i&gt;" in html


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_case_page_thread_and_files_match_the_templates(
    seller_client, account, seller, colleague, support_agent, language
):
    """The whole way: the thread and files as the case page reads and prepares them."""
    from correspondence.models import Message
    from correspondence.services import case_open, message_post
    from tests.correspondence.conftest import pdf

    case = case_open(
        account=account,
        author=colleague,
        subject=HOSTILE,
        body=HOSTILE,
        files=[pdf("<b>\"quoted\" & 'x'.pdf"), pdf("b.pdf")],
    ).case
    message_post(
        case=case,
        author=support_agent,
        direction=Message.Direction.FROM_SUPPORT,
        body="Send the statement & the <invoice>",
        subject="RE: <b>",
    )
    message_post(
        case=case,
        author=seller,
        direction=Message.Direction.FROM_SELLER,
        body="Here it is",
        subject="",
        files=[pdf()],
    )
    seller_client.cookies["django_language"] = language
    response = seller_client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    messages, files = response.context["thread"], response.context["files"]
    for message in messages:
        message.after = ""  # the seller wrote last: no "Did this solve…?"
    with translation.override(language):
        thread_reference = render_to_string(
            "correspondence/_thread_items.html", {"thread": messages}
        )
        files_reference = render_to_string("correspondence/_file_rows.html", {"files": files})
    thread_html = response.text.split('<ol class="list-unstyled thread" reversed>')[1]
    thread_html = thread_html.split("</ol>")[0]
    files_html = response.text.split('<table class="table table-sm case-files">')[1]
    files_html = files_html.split("<tbody>")[1].split("</tbody>")[0]
    assertHTMLEqual(thread_html, thread_reference)
    assert visible_text(thread_html) == visible_text(thread_reference)
    assertHTMLEqual(files_html, files_reference)
    assert visible_text(files_html) == visible_text(files_reference)
    assert files_html.count("<tr>") == 3
    assert ("2 fichiers" in thread_html) == (language == "fr")


@given(st.text(alphabet=st.sampled_from("ab <>&'\"\n\r\t\u00e9\u2028"), max_size=60))
def test_the_fragments_linebreaks_is_djangos(text):
    """The thread's `|linebreaks` (caselog.fragments.linebreaks) gives Django's text
    for any message: paragraphs, line breaks, escaping."""
    from django.template.defaultfilters import linebreaks_filter

    from caselog.fragments import linebreaks

    assert str(linebreaks(text)) == linebreaks_filter(text, autoescape=True)
