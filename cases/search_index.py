"""The old name of `cases.search.index` (the search index's upkeep).

Kept only while `cases.services` and `correspondence.services` still import from
here; import from `cases.search` instead, and delete this module with their last
import of it.
"""

from cases.search import (
    case_search_description_update,
    case_search_entries_rebuild,
    case_search_entry_add,
    case_search_index_new,
    case_search_terms_refresh,
)

__all__ = [
    "case_search_description_update",
    "case_search_entries_rebuild",
    "case_search_entry_add",
    "case_search_index_new",
    "case_search_terms_refresh",
]
