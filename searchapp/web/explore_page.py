"""The Explore page: the map of a space, its near-duplicates and its outliers.

The lists are rendered here; the map's points are drawn by static/explore.js
from /api/explore/{space}/map (the same cached results).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from searchapp.errors import NotFoundError
from searchapp.web.deps import ExploreDep, Reader, SourcesDep
from searchapp.web.page import PageRoute, page_template, render_template

explore_page_router = APIRouter(include_in_schema=False, route_class=PageRoute)

# Shown on the page; the API pages through the rest.
_GROUPS_SHOWN = 50
_OUTLIERS_SHOWN = 20
_SPACE_LABELS = {"text": "Documents", "image": "Images"}


@explore_page_router.get("/explore")
def explore_page(
    _: Reader,
    request: Request,
    explore: ExploreDep,
    sources: SourcesDep,
    space: Annotated[Literal["text", "image"], Query()] = "text",
) -> Response:
    """What the library holds: the map by cluster, the near-duplicates, the outliers."""
    context: dict = {"space": space, "spaces": _SPACE_LABELS, "sources": sources}
    try:
        context["map"] = explore.map(space)
        context["duplicates"] = explore.duplicates(space)
        context["outliers"] = explore.outliers(space)
    except NotFoundError as exc:
        context["empty"] = str(exc)
    return render_template(
        request,
        page_template("explore.html"),
        200,
        groups_shown=_GROUPS_SHOWN,
        outliers_shown=_OUTLIERS_SHOWN,
        **context,
    )
