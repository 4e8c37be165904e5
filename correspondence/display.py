"""What the case page shows of each message and file, computed once per page
instead of once per template tag: dates, sizes, download URLs. Each helper gives
exactly what the template filter or tag it replaces gives (`|filesizeformat`,
`Attachment.get_absolute_url`); the dates are `cases.display.date_texts`."""

from __future__ import annotations

from collections.abc import Callable

from django.template.defaultfilters import filesizeformat

from cases.display import date_texts, url_builder
from correspondence.models import Attachment, Message

_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def size_texts() -> Callable[[int], str]:
    """`|filesizeformat` of a size, each distinct displayed value formatted once
    per page (its text depends only on the unit and the size rounded to 0.1)."""
    cache: dict[tuple[int, float], str] = {}

    def text(size: int) -> str:
        if size < 1024:
            key = (0, float(size))
        else:
            unit = 1024
            while size >= unit * 1024 and unit < 1024**5:
                unit *= 1024
            key = (unit, round(size / unit, 1))
        found = cache.get(key)
        if found is None:
            found = cache[key] = filesizeformat(size)
        return found

    return text


def attachment_url_builder() -> Callable[[str], str]:
    """`Attachment.get_absolute_url` without a `reverse()` per file (tokens are
    URL-safe base64; any other token still goes through `reverse()`)."""
    return url_builder(
        "attachment", "0SLOT0", lambda token: bool(token) and _URL_SAFE.issuperset(token)
    )


def prepare_thread(thread: list[Message]) -> list[tuple[Message, Attachment]]:
    """Give the case page what it shows of each message and file, computed once.

    Sets `sent_iso`/`sent_text` on each message, and `url`,
    `size_text`, `uploaded_iso`/`uploaded_text` on each attachment; returns the
    (message, attachment) pairs of the page's file list. No query: the
    attachments come with `thread_of`'s messages (`files`).
    """
    texts = date_texts()
    sizes = size_texts()
    url = attachment_url_builder()
    pairs = []
    for message in thread:
        message.sent_iso, message.sent_text = texts(message.sent_at)
        for attachment in message.files:
            attachment.url = url(attachment.token)
            attachment.size_text = sizes(attachment.size)
            attachment.uploaded_iso, attachment.uploaded_text = texts(attachment.uploaded_at)
            pairs.append((message, attachment))
    return pairs
