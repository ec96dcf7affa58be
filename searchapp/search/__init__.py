"""Search: one service for every caller, its filters and its results."""

from searchapp.search.filters import SearchFilters
from searchapp.search.request import MAX_K, Mode, Retrieval, SearchRequest
from searchapp.search.results import Hit, SearchResult
from searchapp.search.service import SearchService

__all__ = [
    "MAX_K",
    "Hit",
    "Mode",
    "Retrieval",
    "SearchFilters",
    "SearchRequest",
    "SearchResult",
    "SearchService",
]
