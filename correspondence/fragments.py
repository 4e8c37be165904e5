"""The case page's hand-built HTML: the thread's messages and the file table.

A Django template loop took ~20 ms for 300 messages and ~40 ms for 900 files, so
these are Jinja2 fragments (`templates/fragments/thread_items.jinja` and
`file_rows.jinja`, autoescaped; see `caselog.fragments`).
`templates/correspondence/_thread_items.html` and `_file_rows.html` are the Django
templates that render the same markup: tests/correspondence/test_fragments.py
renders both for every kind of message, in English and French, and compares them.
Change the two together.

The values come from `correspondence.display.prepare_thread` (dates, sizes,
download URLs computed once per page).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.formats import localize
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from caselog.fragments import render_fragment
from correspondence.models import Attachment, Message


def _files_note(count: int) -> str:
    return ngettext("%(count)s file", "%(count)s files", count) % {"count": localize(count)}


def thread_items(thread: list[Message], after: Mapping[int, str] | None = None) -> SafeString:
    """The `<li>` of the thread, newest first, the newest open. `after` holds, by
    message id, HTML to show under that message's files (a rendered template: a
    SafeString is kept as it is, anything else would be escaped)."""
    texts = {
        "no_subject": gettext("(no subject)"),
        "support": gettext("Seller Support"),
        "former_user": gettext("Former user"),
    }
    return render_fragment(
        "thread_items.jinja",
        messages=reversed(thread),
        newest_id=thread[-1].pk if thread else None,
        after=after or {},
        # "3 files", once per count shown.
        files_notes={count: _files_note(count) for count in {len(m.files) for m in thread}},
        t=texts,
    )


def file_rows(files: list[tuple[Message, Attachment]]) -> SafeString:
    """The rows of the "All files of this case" table."""
    no_subject = gettext("(no subject)")
    rows = [
        (
            a.url,
            a.original_name,
            a.size_text,
            m.pk,
            m.subject or no_subject,
            a.uploaded_iso,
            a.uploaded_text,
        )
        for m, a in files
    ]
    return render_fragment(
        "file_rows.jinja",
        files=rows,
        size_label=gettext("Size"),
        message_label=gettext("Message"),
        date_label=gettext("Date"),
    )
