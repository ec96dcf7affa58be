"""Dependencies that routes declare: the process's ``App`` and its services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from searchapp.app import App
from searchapp.search import SearchService


def get_app(request: Request) -> App:
    return request.app.state.searchapp


def get_search(request: Request) -> SearchService:
    return get_app(request).search


AppDep = Annotated[App, Depends(get_app)]
SearchDep = Annotated[SearchService, Depends(get_search)]
