"""The case page reads its thread in two queries (messages, then their files): a
reply with files committed between the two must not break the page (issue 23,
item 9: the one 500 of the PostgreSQL load test, `KeyError` in `thread_of`).

The reply is posted from inside the database wrapper, just before the files are
read, as another request would commit it; the same on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection

from cases.models import CaseState
from correspondence.models import Message
from correspondence.services import message_post
from tests.conftest import make_case
from tests.correspondence.conftest import pdf


def _reply_before_the_files_are_read(case, author) -> Callable[..., Any]:
    posted: list[Message] = []

    def wrapper(execute, sql, params, many, context):
        if not posted and sql.lstrip().upper().startswith("SELECT") and "attachment" in sql:
            posted.append(
                message_post(
                    case=case,
                    author=author,
                    direction=Message.Direction.FROM_SELLER,
                    body="Posted while the page was being read",
                    files=[pdf()],
                )
            )
        return execute(sql, params, many, context)

    wrapper.posted = posted  # type: ignore[attr-defined]
    return wrapper


def test_a_reply_with_files_committed_while_the_page_reads_the_thread(
    seller, seller_client, account
):
    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    message_post(
        case=case,
        author=seller,
        direction=Message.Direction.FROM_SELLER,
        body="The first message",
        files=[pdf()],
    )
    wrapper = _reply_before_the_files_are_read(case, seller)
    with connection.execute_wrapper(wrapper):
        page = seller_client.get(f"/cases/{case.pk}/")
    assert wrapper.posted, "the reply was not posted between the two reads"
    assert page.status_code == 200
    assert "The first message" in page.text
    # The late reply shows on the next load, with its file.
    again = seller_client.get(f"/cases/{case.pk}/")
    assert "Posted while the page was being read" in again.text
    assert again.text.count(".pdf") >= 2  # both messages' files are listed
