"""The JSON API. Each module holds the routes of one resource; they are registered here."""

from fastapi import APIRouter

from searchapp.web.api import collections, explore, health, ingest, items, search

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(search.router)
api_router.include_router(collections.router)
api_router.include_router(items.router)
api_router.include_router(ingest.router)
api_router.include_router(explore.router)
