"""The web layer: the JSON API (``/api``, ``/healthz``, ``/readyz``) and the search
page, one FastAPI process. Routes stay thin; the search service does the work."""

from searchapp.web.app import create_app

__all__ = ["create_app"]
