"""The search page (Jinja2, server-rendered; JavaScript only adds upload and convenience)."""

from fastapi import APIRouter

page_router = APIRouter(include_in_schema=False)
