"""Settings of explore: duplicates, clusters, outliers, the map (docs/explore.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ExploreSettings(BaseModel):
    """Near-duplicates, clusters, outliers and the map (docs/explore.md)."""

    # --- explore (issue 17): duplicates, clusters, outliers, the map -----------
    explore_duplicate_threshold: float = Field(
        default=0.95,
        gt=0.0,
        le=1.0,
        description="Cosine similarity at or above which two documents are near-duplicates "
        "(`searchapp explore duplicates`); measured in docs/explore.md.",
    )
    explore_image_duplicate_threshold: float = Field(
        default=0.99,
        gt=0.0,
        le=1.0,
        description="The same for images (CLIP): Immich's default (cosine distance 0.01); "
        "see docs/explore.md.",
    )
    explore_neighbours: int = Field(
        default=10,
        ge=1,
        le=100,
        description="Nearest neighbours asked of Milvus per item for duplicates and "
        "outlier scores (an outlier's score is its mean distance to them).",
    )
    explore_neighbours_from: Literal["auto", "milvus", "local"] = Field(
        default="auto",
        description="Who finds each item's nearest items: milvus (batched searches), local "
        "(a faiss index of the vectors read), or auto: local on Milvus Lite (its Python "
        "searches are too slow for this; see docs/explore.md), milvus on a server.",
    )
    explore_sample: int = Field(
        default=20_000,
        ge=2,
        le=1_000_000,
        description="At most this many items are clustered and drawn on the map (a seeded "
        "sample); the rest get their nearest cluster.",
    )
