"""Explore a library: near-duplicates, clusters, outliers and a 2-D map per space."""

from searchapp.explore.items import SPACES
from searchapp.explore.service import ExploreService

__all__ = ["SPACES", "ExploreService"]
