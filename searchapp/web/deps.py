"""Dependencies that routes declare: the process's ``App`` and its services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from searchapp.app import App
from searchapp.search import SearchService
from searchapp.search.items import ItemLookup
from searchapp.web.thumbnails import Thumbnails


def get_app(request: Request) -> App:
    return request.app.state.searchapp


def get_search(request: Request) -> SearchService:
    return get_app(request).search


AppDep = Annotated[App, Depends(get_app)]
SearchDep = Annotated[SearchService, Depends(get_search)]


def get_items(request: Request) -> ItemLookup:
    return ItemLookup(get_app(request).store)


def get_thumbnails(request: Request) -> Thumbnails:
    # One cache per web app (it holds the image loader); a race makes two, harmlessly.
    state = request.app.state
    if getattr(state, "thumbnails", None) is None:
        state.thumbnails = Thumbnails(get_app(request).settings)
    return state.thumbnails


ItemsDep = Annotated[ItemLookup, Depends(get_items)]
ThumbnailsDep = Annotated[Thumbnails, Depends(get_thumbnails)]
