"""What /api/collections answers: each space's collection, model and index."""

from __future__ import annotations

from pydantic import BaseModel, Field

from searchapp.store import CollectionInfo


class IndexOut(BaseModel):
    type: str
    M: int
    efConstruction: int
    search_ef: int
    keywords: str | None = Field(description="The BM25 index, null when none.")


class CollectionOut(BaseModel):
    space: str = Field(description="text, clip_image or clip_text.")
    name: str = Field(description="The alias searches use.")
    physical_name: str = Field(description="The collection the alias points to now.")
    rows: int
    media_rows: int = Field(description="Rows of audio and video files (transcripts, frames).")
    model: str
    dim: int
    metric: str
    normalized: bool
    index: IndexOut

    @classmethod
    def of(cls, info: CollectionInfo) -> CollectionOut:
        return cls(
            space=info.space,
            name=info.name,
            physical_name=info.physical_name,
            rows=info.rows,
            media_rows=info.media_rows,
            model=info.model,
            dim=info.dim,
            metric=info.metric,
            normalized=info.normalized,
            index=IndexOut.model_validate(info.index),
        )


class StoreOut(BaseModel):
    uri: str
    server: str


class CollectionsResponse(BaseModel):
    store: StoreOut
    collections: list[CollectionOut]
