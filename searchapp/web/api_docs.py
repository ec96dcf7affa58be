"""The API's documentation pages, /docs (Swagger UI) and /redoc, served offline.

FastAPI's own pages load Swagger UI and ReDoc from a CDN and its favicon from
fastapi.tiangolo.com, so on a machine without internet they render nothing.
Here the same assets come from the ``fastapi_offline`` package (MIT; it ships
swagger-ui-dist, Apache-2.0, and redoc, MIT) and are served by this app at
``/docs-assets``; the pages' Content-Security-Policy allows this origin only.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

ASSETS_PATH = "/docs-assets"
# Swagger UI's start-up script is the app's own static file (no inline script).
_INIT_SCRIPT = "/static/apidocs/swagger-init.js"

# Swagger UI and ReDoc set element styles and ReDoc adds <style> elements
# (styled-components): 'unsafe-inline' for styles only. Their icons are data:
# images; ReDoc's search runs in a blob: worker. Scripts come from here only.
_DOCS_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def install_api_docs(web: FastAPI) -> None:
    """Serve /docs and /redoc from local assets (create the app with docs_url=None,
    redoc_url=None so FastAPI's CDN pages are not registered)."""
    web.mount(ASSETS_PATH, StaticFiles(directory=_assets_dir()), name="docs-assets")
    title = escape(web.title)

    @web.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        openapi = escape(request.scope.get("root_path", "") + (web.openapi_url or ""))
        return HTMLResponse(_SWAGGER.format(title=title, openapi=openapi), headers=_DOCS_HEADERS)

    @web.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        openapi = escape(request.scope.get("root_path", "") + (web.openapi_url or ""))
        return HTMLResponse(_REDOC.format(title=title, openapi=openapi), headers=_DOCS_HEADERS)


_SWAGGER = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} - API docs</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{{openapi}}"></div>
<noscript>Swagger UI needs JavaScript; the API's description is at {{openapi}}.</noscript>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{_INIT_SCRIPT}"></script>
</body>
</html>
"""

_REDOC = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} - API reference</title>
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
</head>
<body>
<noscript>ReDoc needs JavaScript; the API's description is at {{openapi}}.</noscript>
<redoc spec-url="{{openapi}}"></redoc>
<script src="{ASSETS_PATH}/redoc.standalone.js"></script>
</body>
</html>
"""
