"""Search: one service for every caller, its filters and its results."""

from searchapp.search.filters import SearchFilters
from searchapp.search.request import Mode, SearchRequest
from searchapp.search.results import Hit, SearchResult
from searchapp.search.service import MAX_K, SearchService

__all__ = [
    "MAX_K",
    "Hit",
    "Mode",
    "SearchFilters",
    "SearchRequest",
    "SearchResult",
    "SearchService",
]
