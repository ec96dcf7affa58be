"""What /api/explore answers: duplicates, clusters, outliers, the map (paged)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from searchapp.web.visibility import SourceNames


class ExploreItemOut(BaseModel):
    id: str = Field(description="The item's id (a document's first chunk): /api/items/{id}.")
    title: str
    source: str = Field(description="The file, shown as in search hits.")
    record_id: str | None = Field(description="The record within a record file, else null.")
    thumbnail_url: str | None = Field(description="A small preview, for images only.")
    file_url: str

    @classmethod
    def fields_of(cls, item: dict, space: str, sources: SourceNames) -> dict:
        return {
            "id": item["id"],
            "title": item["title"],
            "source": sources.show(item["source"]) or "",
            "record_id": item.get("record_id"),
            "thumbnail_url": f"/api/items/{item['id']}/thumbnail" if space == "image" else None,
            "file_url": f"/api/items/{item['id']}/file",
        }


class DuplicateMemberOut(ExploreItemOut):
    exact: bool = Field(description="Same bytes (sha256) as another member.")


class DuplicateGroupOut(BaseModel):
    similarity: float = Field(description="The lowest similarity that joined the group.")
    exact: bool = Field(description="Every member has the same bytes.")
    members: list[DuplicateMemberOut]


class DuplicatesResponse(BaseModel):
    space: str
    item_count: int = Field(description="Items in the space (documents or images).")
    threshold: float
    total: int = Field(description="Groups found; this page holds some of them.")
    offset: int
    next_offset: int | None
    groups: list[DuplicateGroupOut]

    @classmethod
    def of(
        cls, report: dict, *, offset: int, limit: int, sources: SourceNames
    ) -> DuplicatesResponse:
        space = report["space"]
        page = report["groups"][offset : offset + limit]
        return cls(
            space=space,
            item_count=report["item_count"],
            threshold=report["threshold"],
            total=len(report["groups"]),
            offset=offset,
            next_offset=_next(offset, limit, len(report["groups"])),
            groups=[
                DuplicateGroupOut(
                    similarity=g["similarity"],
                    exact=g["exact"],
                    members=[
                        DuplicateMemberOut(
                            **ExploreItemOut.fields_of(m, space, sources), exact=m["exact"]
                        )
                        for m in g["members"]
                    ],
                )
                for g in page
            ],
        )


class OutlierOut(ExploreItemOut):
    score: float = Field(description="Mean cosine distance to the k nearest items (0-2).")


class OutliersResponse(BaseModel):
    space: str
    item_count: int
    neighbours: int = Field(description="k: the nearest items each score is measured to.")
    offset: int
    next_offset: int | None
    items: list[OutlierOut] = Field(description="Most outlying first.")

    @classmethod
    def of(cls, report: dict, *, offset: int, limit: int, sources: SourceNames) -> OutliersResponse:
        space = report["space"]
        return cls(
            space=space,
            item_count=report["item_count"],
            neighbours=report["neighbours"],
            offset=offset,
            next_offset=_next(offset, limit, len(report["items"])),
            items=[
                OutlierOut(**ExploreItemOut.fields_of(item, space, sources), score=item["score"])
                for item in report["items"][offset : offset + limit]
            ],
        )


class ClusterExampleOut(BaseModel):
    id: str
    title: str


class ClusterOut(BaseModel):
    cluster: int
    label: str = Field(description="Its most distinctive words (class-based TF-IDF).")
    words: list[str]
    size: int = Field(description="Items in the cluster (all items, not only the sample).")
    examples: list[ClusterExampleOut]


class ClustersResponse(BaseModel):
    space: str
    item_count: int
    sampled: int = Field(description="Items the clusters were fitted on (a seeded sample).")
    clusters: list[ClusterOut]


class MapPointOut(BaseModel):
    id: str
    title: str
    x: float = Field(description="In [-1, 1].")
    y: float
    cluster: int


class MapResponse(ClustersResponse):
    method: str = Field(description="pca, or umap when umap-learn is installed.")
    total: int = Field(description="Points on the map; this page holds some of them.")
    offset: int
    next_offset: int | None
    points: list[MapPointOut]

    @classmethod
    def of(cls, report: dict, *, offset: int, limit: int) -> MapResponse:
        points = report["points"]
        return cls(
            space=report["space"],
            item_count=report["item_count"],
            sampled=report["sampled"],
            clusters=report["clusters"],
            method=report["method"],
            total=len(points),
            offset=offset,
            next_offset=_next(offset, limit, len(points)),
            points=points[offset : offset + limit],
        )


def _next(offset: int, limit: int, total: int) -> int | None:
    return offset + limit if offset + limit < total else None
