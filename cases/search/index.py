"""The search index's upkeep: every write to `CaseSearchEntry` and `CaseSearchTerm`.

What a match is (the tokeniser, the queries) is `cases.search.terms` and
`cases.search.match`; this module keeps the index in step with the cases: a new
case, a message (`case_search_entry_add`, called by `correspondence.services` in
the message's transaction), an edited description or owner, a hand-off, and the
rebuild (`manage.py rebuild_search_index`, through
`correspondence.services.search_index_rebuild`, which reads the messages).

**The index's bounds.** Each text (a message, a description) gives at most its
first MAX_TERMS_PER_TEXT terms, in the order they appear; a text adds none once
its case holds MAX_TERMS_PER_CASE (`case_terms`; posting a message follows the
same rule). Words past a bound are not found; the snippets still show them.

`CaseSearchEntry` keeps the raw text (one row per message, one for the
description): the snippets are cut from it, and the terms are rebuilt from it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from cases.models import Case, CaseSearchEntry, CaseSearchTerm
from cases.search.terms import (
    EMAIL_MARK,
    MAX_TERM_LENGTH,
    NOTE_MARK,
    entry_text,
    text_terms,
)

# The index's bound on a case: it takes no new text's terms once it holds this
# many (`case_terms`, `case_search_entry_add`).
MAX_TERMS_PER_CASE = 20_000


def case_terms(
    *, description: str, email: str, texts: Iterable[str], notes: Iterable[str] = ()
) -> set[str]:
    """Every term of a case: its description, its owner's e-mail, its messages'
    texts and the words of its internal notes (marked NOTE_MARK), in that order,
    within the index's bounds: each text's first terms (`text_terms`), and no
    text's once the case holds MAX_TERMS_PER_CASE.

    Posting a message follows the same rule (`case_search_entry_add`), so a rebuild
    finds the terms the posts wrote.
    """
    terms = set(text_terms(description))
    if email:
        terms.add((EMAIL_MARK + email.lower())[:MAX_TERM_LENGTH])
    for text in texts:
        if len(terms) >= MAX_TERMS_PER_CASE:
            break
        terms.update(text_terms(text))
    for note in notes:
        if len(terms) >= MAX_TERMS_PER_CASE:
            break
        terms.update((NOTE_MARK + term)[:MAX_TERM_LENGTH] for term in text_terms(note))
    return terms


def case_search_index_new(*, case: Case) -> None:
    """Index a new case: its description (the entry of ordinal 0) and the owner's
    e-mail. Call in the case's transaction."""
    CaseSearchEntry.objects.create(
        id=CaseSearchEntry.key(case.pk, 0), case_id=case.pk, subject=case.short_description
    )
    terms = case_terms(description=case.short_description, email=case.primary_email, texts=[])
    _search_terms_add(case.pk, case.account_id, terms)


def case_search_description_update(*, case_id: int, description: str) -> None:
    """The case's description or owner changed: its entry and its terms follow.
    Call in the edit's transaction."""
    CaseSearchEntry.objects.update_or_create(
        case_id=case_id,
        message_id=None,
        defaults={"subject": description},
        create_defaults={"id": CaseSearchEntry.key(case_id, 0), "subject": description},
    )
    case_search_terms_refresh(case_ids=[case_id])


def case_search_entry_add(
    *,
    case_id: int,
    message_id: int,
    subject: str,
    body: str,
    file_names: list[str],
    internal: bool = False,
) -> CaseSearchEntry:
    """Index a message's text for the log's search. Call in the message's transaction.

    `internal`: an agents' note, whose terms only the agents' search reads.

    The entry takes the case's next ordinal (see `CaseSearchEntry.key`): the case
    row is locked first, so two messages posted to one case at once queue here
    (`case_transition` takes the same lock later in the transaction anyway).
    """
    account_id = (
        Case.objects.select_for_update().filter(pk=case_id).values_list("account_id", flat=True)
    ).first()
    first = CaseSearchEntry.key(case_id, 0)
    last = (
        CaseSearchEntry.objects.filter(id__gte=first, id__lte=first | CaseSearchEntry.ORDINAL_MASK)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    entry = CaseSearchEntry.objects.create(
        id=CaseSearchEntry.key(case_id, 1 if last is None else (last - first) + 1),
        case_id=case_id,
        message_id=message_id,
        subject=subject,
        body=body,
        file_names=" ".join(file_names),
        internal=internal,
    )
    text = entry_text(entry.subject, entry.body, entry.file_names)
    if account_id is None:
        raise Case.DoesNotExist(f"No case {case_id} to index a message of.")
    # The rule of `case_terms`: a case that holds its bound of terms takes no more.
    if CaseSearchTerm.objects.filter(case_id=case_id).count() < MAX_TERMS_PER_CASE:
        terms = set(text_terms(text))
        if internal:
            terms = {(NOTE_MARK + term)[:MAX_TERM_LENGTH] for term in terms}
        _search_terms_add(case_id, account_id, terms)
    return entry


def _search_terms_add(case_id: int, account_id: int, terms: set[str]) -> None:
    # A case's terms are a set: a term it already has is skipped by the database.
    CaseSearchTerm.objects.bulk_create(
        [CaseSearchTerm(term=term, case_id=case_id, account_id=account_id) for term in terms],
        batch_size=500,
        ignore_conflicts=True,
    )


def case_search_terms_refresh(*, case_ids: Iterable[int]) -> int:
    """Build the search terms of `case_ids` again from their entries and owners.

    For a change that can take terms away (a description edited, an owner
    replaced) and for the rebuild; posting a message only adds its terms. One
    transaction: a case shows its old terms or its new ones, never none.
    """
    case_ids = list(case_ids)
    texts: dict[int, list[str]] = {}
    notes: dict[int, list[str]] = {}
    with transaction.atomic():
        entries = CaseSearchEntry.objects.filter(case_id__in=case_ids, message_id__isnull=False)
        for case_id, subject, body, names, internal in entries.values_list(
            "case_id", "subject", "body", "file_names", "internal"
        ):
            into = notes if internal else texts
            into.setdefault(case_id, []).append(entry_text(subject, body, names))
        rows = [
            CaseSearchTerm(term=term, case_id=pk, account_id=account_id)
            for pk, account_id, description, email in Case.objects.filter(
                pk__in=case_ids
            ).values_list("pk", "account_id", "short_description", "primary_email")
            for term in case_terms(
                description=description,
                email=email,
                texts=texts.get(pk, []),
                notes=notes.get(pk, []),
            )
        ]
        CaseSearchTerm.objects.filter(case_id__in=case_ids).delete()
        CaseSearchTerm.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def case_search_entries_rebuild(
    *, case_ids: list[int], messages: Iterable[tuple[int, int, str, str, list[str], bool]]
) -> int:
    """Re-index `case_ids` from scratch: their descriptions and the given messages.

    `messages` yields (case_id, message_id, subject, body, file_names, internal). For data
    written in bulk (demo data, imports); posting a message indexes it by itself.
    """
    with transaction.atomic():
        CaseSearchEntry.objects.filter(case_id__in=case_ids).delete()
        entries = [
            CaseSearchEntry(id=CaseSearchEntry.key(pk, 0), case_id=pk, subject=description)
            for pk, description in Case.objects.filter(pk__in=case_ids).values_list(
                "pk", "short_description"
            )
        ]
        ordinals: dict[int, int] = {}
        for case_id, message_id, subject, body, names, internal in sorted(
            messages, key=lambda m: m[1]
        ):
            ordinals[case_id] = ordinals.get(case_id, 0) + 1
            entries.append(
                CaseSearchEntry(
                    id=CaseSearchEntry.key(case_id, ordinals[case_id]),
                    case_id=case_id,
                    message_id=message_id,
                    subject=subject,
                    body=body,
                    file_names=" ".join(names),
                    internal=internal,
                )
            )
        CaseSearchEntry.objects.bulk_create(entries, batch_size=2000)
        case_search_terms_refresh(case_ids=case_ids)
    return len(entries)
