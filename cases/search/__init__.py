"""Search of a case's text: one definition of a match, the same on every database.

What matches is decided here, in Python, by one tokeniser (`index_terms` for the
text, `query_terms` for what the user types); the databases only store and look
up its terms. So SQLite and PostgreSQL cannot disagree: they run the same SQL over
the same rows.

The modules, by concern:
- `terms`: the tokeniser (folding, stems, stop words, the terms of a text and of a query);
- `match`: what a query matches, read from the term index (`filter_cases`, `match_count`);
- `snippets`: the log's highlighted excerpts;
- `similar`: the duplicate guard;
- `index`: the index's upkeep, every write to the entries and terms, within its bounds.

Public functions (import them from `cases.search`):
- `query_terms(text)`, `index_terms(text)`: the tokeniser;
- `filter_cases(queryset, text)`: the cases of `queryset` matching `text` (the
  log's `q`, the admin's search);
- `match_count(text, account_ids=...)`: how many cases of those accounts (None:
  every account) match, from the index alone (the log's and the agents' list's
  count when the search is its only filter);
- `search_snippets(case_ids=..., text=...)`: one escaped, highlighted excerpt per
  case, for the rows of one page;
- `similar_cases(cases=..., text=...)`: the duplicate guard;
- `case_search_*`, `case_terms`: the index's upkeep (`cases.search.index`).

The constants (SMALL_SET, MAX_TERMS_PER_CASE, …) are not re-exported: each is
read in its own module, and that is where a test patches it.

No function here widens what the caller passes in.
"""

from cases.search.index import (
    case_search_description_update,
    case_search_entries_rebuild,
    case_search_entry_add,
    case_search_index_new,
    case_search_terms_refresh,
    case_terms,
)
from cases.search.match import filter_cases, match_count
from cases.search.similar import similar_cases
from cases.search.snippets import excerpt, highlight, search_snippets
from cases.search.terms import entry_text, index_terms, query_terms, search_terms

__all__ = [
    "case_search_description_update",
    "case_search_entries_rebuild",
    "case_search_entry_add",
    "case_search_index_new",
    "case_search_terms_refresh",
    "case_terms",
    "entry_text",
    "excerpt",
    "filter_cases",
    "highlight",
    "index_terms",
    "match_count",
    "query_terms",
    "search_snippets",
    "search_terms",
    "similar_cases",
]
