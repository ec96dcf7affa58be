"""Dependencies that routes declare: the process's ``App`` and its services.

They are ``async def`` because they only read the request and the app's state:
FastAPI runs a plain ``def`` dependency in its thread pool, a hop that costs a
search more than the dependency itself (the routes stay plain ``def``).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends, Request

from searchapp.app import App
from searchapp.auth import Principal, Scope
from searchapp.explore import ExploreService
from searchapp.search import SearchService
from searchapp.search.items import ItemLookup
from searchapp.web.params import SearchParams
from searchapp.web.security import Caller, require, require_uploads
from searchapp.web.thumbnails import Thumbnails
from searchapp.web.visibility import SourceNames


def app_of(request: Request) -> App:
    return request.app.state.searchapp


async def get_app(request: Request) -> App:
    return app_of(request)


async def get_search(request: Request) -> SearchService:
    return app_of(request).search


AppDep = Annotated[App, Depends(get_app)]
SearchDep = Annotated[SearchService, Depends(get_search)]


async def get_items(request: Request) -> ItemLookup:
    return ItemLookup(app_of(request).store)


async def get_thumbnails(request: Request) -> Thumbnails:
    # One cache per web app (it holds the image loader); a race makes two, harmlessly.
    state = request.app.state
    if getattr(state, "thumbnails", None) is None:
        state.thumbnails = Thumbnails(app_of(request).settings)
    return state.thumbnails


ItemsDep = Annotated[ItemLookup, Depends(get_items)]
ThumbnailsDep = Annotated[Thumbnails, Depends(get_thumbnails)]


# --- access: each route names the scope it needs (searchapp.web.security) -------

Reader = Annotated[Principal, Depends(require(Scope.READ))]
Ingester = Annotated[Principal, Depends(require(Scope.INGEST))]
Uploader = Annotated[Principal, Depends(require_uploads)]
Admin = Annotated[Principal, Depends(require(Scope.ADMIN))]


def get_sources(request: Request, principal: Caller) -> SourceNames:
    """How this caller sees file paths: absolute for admins, else root name + relative.
    (Plain ``def``: for others it reads the recorded roots from the state folder.)"""
    return SourceNames.for_settings(app_of(request).settings, full=principal.sees_full_paths)


SourcesDep = Annotated[SourceNames, Depends(get_sources)]


async def get_search_params(
    params: Annotated[SearchParams, Depends()], sources: SourcesDep
) -> SearchParams:
    """The query string's search options; a folder filter may be written as the caller
    sees paths (root name + relative path)."""
    folder = sources.folder_on_server(params.folder)
    return params if folder == params.folder else dataclasses.replace(params, folder=folder)


ParamsDep = Annotated[SearchParams, Depends(get_search_params)]


async def get_explore(request: Request) -> ExploreService:
    app = app_of(request)
    return ExploreService(app.settings, app.store)


ExploreDep = Annotated[ExploreService, Depends(get_explore)]
