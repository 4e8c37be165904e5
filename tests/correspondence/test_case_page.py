"""The case page's thread and files, seller side and admin: the newest in full, the
rest one plain link away (so the page's cost does not grow with the thread), and
file links a screen reader can tell apart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from correspondence.models import Attachment, Message
from correspondence.selectors import NEWEST_SHOWN
from tests.conftest import make_case

ADMIN = "/admin/cases/case/{id}/change/"
START = timezone.now() - timedelta(days=30)


def _thread(account, seller, agent, *, messages: int, files_each: int):
    """A case of `messages` messages (subjects "Message 0"… oldest first), each with
    `files_each` files named "file-<message>-<n>.pdf"."""
    case = make_case(account, owner=seller)
    for number in range(messages):
        sent = START + timedelta(minutes=number)
        message = Message.objects.create(
            case=case,
            author=agent if number % 2 else seller,
            direction=Message.Direction.FROM_SUPPORT if number % 2 else "seller",
            subject=f"Message {number}",
            body=f"Body {number}",
            sent_at=sent,
        )
        for index in range(files_each):
            Attachment.objects.create(
                message=message,
                file=f"attachments/xx/fake-{number}-{index}",
                original_name=f"file-{number}-{index}.pdf",
                size=100 + index,
                content_type="application/pdf",
                uploaded_at=sent,
            )
    return case


def _subjects(html: str) -> list[str]:
    return re.findall(r'class="fw-semibold text-break message-subject">([^<]*)<', html)


def _file_rows(html: str) -> list[str]:
    table = html.split('class="table table-sm case-files"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/attachments/[^"]+" download>([^<]*)<', table)


@pytest.fixture
def long_case(account, seller, agent):
    return _thread(account, seller, agent, messages=NEWEST_SHOWN + 10, files_each=3)


def test_it_shows_the_newest_messages_and_links_to_all(seller_client, long_case):
    page = seller_client.get(f"/cases/{long_case.id}/").text

    total = NEWEST_SHOWN + 10
    assert _subjects(page) == [f"Message {n}" for n in reversed(range(10, total))]
    assert page.count(" open>") == 1  # the newest alone is open
    assert re.search(
        rf'id="message-\d+" open>\s*<summary[^>]*>\s*<span[^>]*></span>\s*'
        rf"<span[^>]*>Message {total - 1}<",
        page,
    )
    assert f"The {NEWEST_SHOWN} newest messages of {total} are shown." in page
    assert f'<a href="?messages=all#thread-heading">Show all {total} messages</a>' in page

    everything = seller_client.get(f"/cases/{long_case.id}/?messages=all").text
    assert _subjects(everything) == [f"Message {n}" for n in reversed(range(total))]
    assert "Show all" not in everything.split('id="files-heading"')[0]


def test_it_lists_the_newest_files_and_links_to_all(seller_client, long_case):
    page = seller_client.get(f"/cases/{long_case.id}/").text

    total = NEWEST_SHOWN + 10
    newest = [f"file-{n}-{i}.pdf" for n in range(total) for i in range(3)][-NEWEST_SHOWN:]
    assert _file_rows(page) == newest
    assert f"The {NEWEST_SHOWN} newest files of {total * 3} are listed." in page
    assert f'<a href="?files=all#files-heading">Show all {total * 3} files</a>' in page

    everything = seller_client.get(f"/cases/{long_case.id}/?files=all").text
    assert len(_file_rows(everything)) == total * 3
    assert "newest files of" not in everything
    # A file's message not shown on the page is one link away, with every message.
    hidden = Message.objects.get(case=long_case, subject="Message 0")
    assert f'<a href="?files=all&amp;messages=all#message-{hidden.pk}">Message 0</a>' in everything
    shown = Message.objects.get(case=long_case, subject=f"Message {total - 1}")
    assert f'<a href="#message-{shown.pk}">Message {total - 1}</a>' in everything


def test_a_short_thread_shows_everything_and_no_link(seller_client, account, seller, agent):
    case = _thread(account, seller, agent, messages=3, files_each=1)
    page = seller_client.get(f"/cases/{case.id}/").text
    assert _subjects(page) == ["Message 2", "Message 1", "Message 0"]
    assert len(_file_rows(page)) == 3
    assert "messages=all" not in page
    assert "files=all" not in page


def test_the_links_are_in_french_for_a_french_reader(seller_client, long_case):
    page = seller_client.get(f"/cases/{long_case.id}/", HTTP_ACCEPT_LANGUAGE="fr").text
    total = NEWEST_SHOWN + 10
    assert f"Afficher les {total} messages" in page
    assert f"Afficher les {total * 3} fichiers" in page
    assert "Show all" not in page


def test_the_page_costs_the_same_whatever_the_length_of_the_thread(
    seller_client, account, seller, agent
):
    small = _thread(account, seller, agent, messages=1, files_each=0)
    large = _thread(account, seller, agent, messages=NEWEST_SHOWN * 3, files_each=3)
    for case in (small, large):  # warm the session; a first view also remembers the case
        seller_client.get(f"/cases/{case.id}/")

    counts = []
    for case in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = seller_client.get(f"/cases/{case.id}/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert response.text.count('class="message card') == NEWEST_SHOWN
    assert len(_file_rows(response.text)) == NEWEST_SHOWN


def test_an_outsider_gets_404_on_every_message_and_file(outsider_client, long_case):
    url = f"/cases/{long_case.id}/?messages=all&files=all"
    assert outsider_client.get(url).status_code == 404


def test_files_of_the_same_name_have_links_a_screen_reader_tells_apart(
    seller_client, account, seller
):
    case = make_case(account, owner=seller)
    for day, size in ((1, 1024), (2, 2048)):
        message = Message.objects.create(
            case=case,
            author=seller,
            direction="seller",
            body="x",
            sent_at=START + timedelta(days=day),
        )
        Attachment.objects.create(
            message=message,
            file=f"attachments/xx/{day}",
            original_name="invoice.pdf",
            size=size,
            content_type="application/pdf",
            uploaded_at=START + timedelta(days=day),
        )
    page = seller_client.get(f"/cases/{case.id}/").text

    names = [
        re.sub(r"<[^>]+>", "", name)
        for name in re.findall(r'<a href="/attachments/[^"]+" download>(.*?)</a>', page)
    ]
    assert len(names) == 4  # in the thread and in the file list
    assert all(name.startswith("invoice.pdf (") for name in names)
    assert len(set(names)) == 2
    assert {name.split(" (")[1][:3] for name in names} == {"1.0", "2.0"}  # their sizes


@pytest.fixture
def agent_admin(support_agent) -> Client:
    client = Client()
    client.force_login(support_agent)
    return client


def test_the_agents_case_page_shows_the_newest_messages_and_links_to_all(agent_admin, long_case):
    total = NEWEST_SHOWN + 10
    page = agent_admin.get(ADMIN.format(id=long_case.id)).text
    assert "Message 29<" in page
    assert "Message 9<" not in page
    assert f"The {NEWEST_SHOWN} newest messages of {total} are shown." in page
    assert f'<a href="?messages=all#messages-group">Show all {total} messages</a>' in page

    everything = agent_admin.get(ADMIN.format(id=long_case.id) + "?messages=all").text
    assert "Message 0<" in everything
    assert "Show all" not in everything


def test_the_agents_case_page_costs_the_same_whatever_the_length(
    agent_admin, account, seller, agent
):
    small = _thread(account, seller, agent, messages=1, files_each=1)
    large = _thread(account, seller, agent, messages=NEWEST_SHOWN * 3, files_each=3)
    agent_admin.get(ADMIN.format(id=small.id))
    counts = []
    for case in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert agent_admin.get(ADMIN.format(id=case.id)).status_code == 200
        counts.append(len(queries))
    assert counts[1] <= counts[0] + 1  # the count of messages, asked past the newest


def test_the_agents_file_links_tell_files_of_the_same_name_apart(agent_admin, account, seller):
    case = make_case(account, owner=seller)
    message = Message.objects.create(case=case, author=seller, direction="seller", body="x")
    for size in (1024, 2048):
        Attachment.objects.create(
            message=message,
            file=f"attachments/xx/{size}",
            original_name="invoice.pdf",
            size=size,
            content_type="application/pdf",
        )
    page = agent_admin.get(ADMIN.format(id=case.id)).text
    names = [
        re.sub(r"<[^>]+>", "", name)
        for name in re.findall(r'<a href="/admin/correspondence/attachment/[^"]+">(.*?)</a>', page)
    ]
    assert len(names) == 2
    assert names[0].startswith("invoice.pdf (1.0")
    assert names[1].startswith("invoice.pdf (2.0")
