"""The log's search snippets: one escaped excerpt per case, every match marked.

Cut from the raw text `CaseSearchEntry` keeps (one row per message, one for the
description), by the same tokeniser that decides what matches
(`cases.search.terms`).
"""

from __future__ import annotations

import functools
import re

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from cases.models import CaseSearchEntry
from cases.search.terms import _CHUNK, _PART, entry_text, fold, index_terms, query_terms

START, STOP = "\x02", "\x03"


def highlight(raw: str) -> SafeString:
    """Escape an excerpt and turn its START/STOP markers into <mark>."""
    raw = " ".join(raw.split())
    parts = re.split(f"({START}.*?{STOP})", raw)
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<mark>{}</mark>", part[1:-1]) if part.startswith(START) else part,)
            for part in parts
            if part
        ),
    )


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where `text` matches `terms`: a whole chunk for a term with joiners, else a part."""
    compound = [term for term in terms if not _PART.fullmatch(term)]
    single = [term for term in terms if _PART.fullmatch(term)]
    spans: list[tuple[int, int]] = []
    for chunk in _CHUNK.finditer(text):
        if compound and _satisfies(_chunk_index_terms(chunk.group()), compound):
            spans.append(chunk.span())
            continue
        for part in _PART.finditer(chunk.group()):
            if single and _satisfies(_chunk_index_terms(part.group()), single):
                spans.append((chunk.start() + part.start(), chunk.start() + part.end()))
    return spans


@functools.lru_cache(maxsize=16384)
def _chunk_index_terms(chunk: str) -> frozenset[str]:
    # The words of a thread repeat: a page's snippets tokenise each one once.
    return frozenset(index_terms(chunk))


def _satisfies(found: frozenset[str], terms: list[str]) -> bool:
    return any(candidate.startswith(term) for candidate in found for term in terms)


def excerpt(text: str, terms: list[str], *, width: int = 160) -> str | None:
    """The part of `text` around its first match, every match marked; None without a match.

    Cut here rather than by an engine: exactly the seller's text, and the same
    tokeniser decides what is marked as what matched.
    """
    # Text stored before control characters were refused may hold the markers.
    text = " ".join(text.replace(START, " ").replace(STOP, " ").split())
    # A stem differs from its word in the last two characters at most: a text
    # without the rest of any term cannot match (most of a page's messages).
    folded = fold(text)
    if not any(term[: max(1, len(term) - 2)] in folded for term in terms):
        return None
    spans = _spans(text, terms)
    if not spans:
        return None
    first_start, first_end = spans[0]
    start = max(0, first_start - width // 3)
    if start:
        start = text.find(" ", start, first_start) + 1 or first_start
    end = min(len(text), start + width)
    if end < len(text) and text.rfind(" ", first_end, end) > 0:
        end = text.rfind(" ", first_end, end)
    parts, cursor = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        parts += [text[cursor:span_start], START, text[span_start:span_end], STOP]
        cursor = span_end
    parts.append(text[cursor:end])
    return ("…" if start else "") + "".join(parts) + ("…" if end < len(text) else "")


def search_snippets(*, case_ids: list[int], text: str) -> dict[int, SafeString]:
    """One excerpt per case, from its newest message that matches, in one query."""
    terms = query_terms(text)
    if not terms or not case_ids:
        return {}
    entries = (
        CaseSearchEntry.objects.filter(
            case_id__in=case_ids, message_id__isnull=False, internal=False
        )
        .order_by("case_id", "-message_id")
        .values_list("case_id", "subject", "body", "file_names")
    )
    snippets: dict[int, SafeString] = {}
    for case_id, subject, body, file_names in entries:
        if case_id in snippets:
            continue
        cut = excerpt(entry_text(subject, body, file_names), terms)
        if cut is not None:
            snippets[case_id] = highlight(cut)
    return snippets
