"""The search tables (kept by `cases.search.index`, read by `cases.search`)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case
from cases.models.people import SellerAccount


class CaseSearchEntry(models.Model):
    """The searchable text of a case: one row per message, one for the description.

    The raw text the search index (`CaseSearchTerm`) is built from, and the
    snippets of the log are cut from (see `cases.search`). `message_id` only names
    the source: `cases` does not know messages, `correspondence.services` writes
    their rows through `cases.services`.

    The primary key holds the case: `id = case_id << KEY_BITS | ordinal` (0 for
    the description, 1, 2, … for the messages in the order they were indexed; see
    `key`); a check constraint keeps every id inside its case's range. (It was
    the FTS5 rowid until `cases.0008_search_terms`.)
    """

    KEY_BITS = 20  # up to 1,048,575 messages a case; 10-digit case ids fit in 54 bits
    ORDINAL_MASK = (1 << KEY_BITS) - 1

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    message_id = models.BigIntegerField(null=True, blank=True)
    subject = models.TextField(blank=True, default="")
    body = models.TextField(blank=True, default="")
    file_names = models.TextField(blank=True, default="")
    # An agents' internal note: its terms are marked (`cases.search.terms.NOTE_MARK`), so
    # the agents' search finds them and a seller's search never does; no snippet
    # is ever cut from it.
    internal = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(message_id__isnull=False),
                name="searchentry_message_unique",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(message_id__isnull=True),
                name="searchentry_description_unique",
            ),
            models.CheckConstraint(
                condition=Q(id__gte=F("case_id") * (1 << 20))
                & Q(id__lt=(F("case_id") + 1) * (1 << 20)),
                name="searchentry_id_holds_case",
            ),
        ]
        indexes = [models.Index(fields=["case", "message_id"], name="searchentry_case")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.message_id or '-'}"

    @classmethod
    def key(cls, case_id: int, ordinal: int) -> int:
        """The id of a case's entry number `ordinal` (0: the description)."""
        if not 0 <= ordinal <= cls.ORDINAL_MASK:
            raise ValueError(f"case {case_id} has too many search entries")
        return case_id << cls.KEY_BITS | ordinal


class CaseSearchTerm(models.Model):
    """One term a case can be found by: the search index (see `cases.search`).

    The terms come from `cases.search.case_terms` (the tokeniser), over the case's
    description, its messages (the `CaseSearchEntry` rows) and its owner's e-mail.
    The primary key `(term, case)` is the B-tree a search reads, index-only: a
    query term is a range of it. On PostgreSQL the column is compared in the "C"
    collation (code-point order, as SQLite's BINARY), so a range selects the same
    rows on both (migration `cases.0008_search_terms`).
    """

    TERM_LENGTH = 64

    pk = models.CompositePrimaryKey("term", "case")
    term = models.CharField(max_length=TERM_LENGTH)
    # (case, term) serves the probes "does this case hold a term in this range?"
    # and the deletion of a case's terms; the primary key serves "which cases".
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    # The case's account, copied (a case never changes account): (account, term)
    # is the range a seller's search reads, the matches of their own accounts
    # only, instead of every account's (a tenth of them at 50 accounts).
    account = models.ForeignKey(
        SellerAccount, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        indexes = [
            models.Index(fields=["case", "term"], name="searchterm_case_term"),
            models.Index(fields=["account", "term", "case"], name="searchterm_account_term"),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.case_id}"
