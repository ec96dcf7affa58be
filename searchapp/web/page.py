"""The search page (Jinja2, server-rendered; JavaScript only adds upload and convenience).

``GET /`` searches by text (documents or images) and, with ``item=ID``, by an
ingested image ("more like this"); ``POST /image`` searches by an uploaded
image. Both take the query-string options of the API (SearchParams), so the
page and ``/api/search`` parse alike, and call the search service directly.

Every failure is a page, not JSON: routes use :class:`PageRoute`, which renders
the search page with the message and the status the API would answer with
(a bad parameter 400, the store down 503, CLIP missing 503), the form kept.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Coroutine
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

import jinja2
from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from searchapp.auth import Principal, Scope
from searchapp.auth.sessions import CSRF_COOKIE
from searchapp.errors import InvalidQueryError, NotAuthenticated, SearchappError
from searchapp.search import SearchResult
from searchapp.search.request import IMAGE_MODES, Mode, Retrieval
from searchapp.web.app import status_for
from searchapp.web.deps import AppDep, ParamsDep, Reader, SourcesDep
from searchapp.web.highlight import highlight
from searchapp.web.library import Overview, library_overview
from searchapp.web.params import SearchParams
from searchapp.web.security import page_csrf, require_page_form, set_cookie
from searchapp.web.thumbnails import thumbnail_of
from searchapp.web.uploads import read_bounded
from searchapp.web.visibility import SourceNames

_HERE = Path(__file__).resolve().parent
STATIC_DIR = _HERE / "static"
TEMPLATES_DIR = _HERE / "templates"

# The four directions, as the page names them.
MODE_LABELS = {
    Mode.TEXT: "Text → documents",
    Mode.TEXT_TO_IMAGE: "Text → images",
    Mode.IMAGE: "Image → images",
    Mode.IMAGE_TO_TEXT: "Image → documents",
}
_STATUS_LABELS = {
    400: "Bad request",
    401: "Log in",
    403: "Not allowed",
    404: "Not found",
    410: "Gone",
    422: "Cannot use that",
    503: "Unavailable",
}
# The page's own query fields (besides SearchParams'): what is searched for, not how.
_FORM_FIELDS = ("q", "item")
# Scripts, styles and images come from this app only; previews are blob: URLs.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclasses.dataclass(frozen=True)
class PageView:
    """Everything the template shows."""

    form: dict[str, str]  # the query string's values as typed (one per name)
    mode: str
    query: str = ""  # the text query, for highlighting
    item_id: str | None = None  # "more like this": the image searched by
    uploaded: bool = False  # the query was an uploaded image (pages cannot follow)
    uploaded_preview: str | None = None  # a data: URL of its thumbnail
    result: SearchResult | None = None
    hint: str | None = None  # what to do next (not an error)
    error: str | None = None
    status: int = 200
    previous_url: str | None = None
    next_url: str | None = None
    filters: str = ""  # the current filters as a query string, for links that keep them
    sources: SourceNames | None = None  # how this caller sees file paths
    clip_problem: str | None = None  # why image search is off (CLIP failed to load), else None
    overview: Overview | None = None  # what the library holds: the home page, before a search

    def source(self, path: str) -> str:
        return (self.sources.show(path) if self.sources else None) or ""

    @property
    def image_action(self) -> str:
        """The upload form's target: /image with the current filters."""
        return "/image" + (f"?{self.filters}" if self.filters else "")

    def like(self, item_id: str, mode: Mode = Mode.IMAGE) -> str:
        """The "more like this" link of an image hit, keeping the filters."""
        query = urlencode({"mode": mode.value, "item": item_id})
        return f"/?{query}" + (f"&{self.filters}" if self.filters else "")

    @property
    def grid(self) -> bool:
        """Images are shown as a grid of thumbnails; documents as a list."""
        return self.mode in (Mode.TEXT_TO_IMAGE.value, Mode.IMAGE.value)


class PageRoute(APIRoute):
    """A route that answers every failure with the page, at the API's status.

    Also drops empty query-string values before they are parsed: a plain HTML
    form sends its empty fields ("folder=&k="), and an empty field means "not
    set", not a value to validate.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            request = _without_empty_values(request)
            try:
                return await handler(request)
            except NotAuthenticated:
                return login_redirect(request)
            except RequestValidationError as exc:
                return render(request, _failed_view(request, _validation_message(exc), 400))
            except SearchappError as exc:
                return render(request, _failed_view(request, str(exc), status_for(exc)))

        return page_handler


page_router = APIRouter(include_in_schema=False, route_class=PageRoute)
# A page form's POST: the read scope, and the form's CSRF token.
FormReader = Annotated[Principal, Depends(require_page_form(Scope.READ))]


def login_redirect(request: Request) -> Response:
    """To the login form, which comes back here (path and query only) afterwards."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        back = "/"
    return RedirectResponse("/login?" + urlencode({"next": back}), status_code=303)


def mount_static(web: FastAPI) -> None:
    """Serve the page's CSS and JavaScript at /static."""
    web.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


@page_router.get("/", response_class=HTMLResponse)
def search_page(
    _: Reader,
    request: Request,
    app: AppDep,
    sources: SourcesDep,
    params: ParamsDep,
    q: Annotated[str | None, Query(max_length=4000)] = None,
    item: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The search form, and the results of a text search or of "more like this"."""
    view = dataclasses.replace(
        _base_view(request, params), sources=sources, clip_problem=app.embedders.clip_problem()
    )
    # The page is lenient where the API is strict: with nothing to search by, it
    # shows the form; a query it cannot use (an item in a text mode) is ignored.
    if params.mode not in IMAGE_MODES and q is not None and q.strip():
        result = app.search.search(params.request(text=q))
        view = _with_pages(dataclasses.replace(view, query=q), request, result)
    elif params.mode in IMAGE_MODES and item:
        result = app.search.search(params.request(item_id=item))
        view = _with_pages(dataclasses.replace(view, item_id=item), request, result)
    elif params.mode in IMAGE_MODES:
        view = dataclasses.replace(
            view, hint="Choose an image to search with (or drop one on the image box)."
        )
    else:
        view = dataclasses.replace(view, overview=library_overview(app, sources))
    return render(request, view)


@page_router.post("/image", response_class=HTMLResponse)
async def image_search_page(
    _: FormReader,
    request: Request,
    app: AppDep,
    sources: SourcesDep,
    params: ParamsDep,
    image: Annotated[UploadFile, File(description="The query image.")],
    direction: Annotated[Mode, Form()] = Mode.IMAGE,
) -> Response:
    """Search by an uploaded image: similar images, or documents that describe it."""
    if direction not in IMAGE_MODES:
        raise InvalidQueryError("an uploaded image searches images or documents")
    data = await run_in_threadpool(read_bounded, image, app.settings.max_upload_bytes)
    if not data:
        raise InvalidQueryError("choose an image file to search with")
    params = dataclasses.replace(params, mode=direction, offset=0)
    # Decoded once, for both the search and the preview. Decoding and encoding run
    # in the thread pool, like the sync routes: never on the event loop.
    picture = await run_in_threadpool(app.search.load_query_image, data)
    result = await run_in_threadpool(app.search.search, params.request(image=picture))
    preview = await run_in_threadpool(thumbnail_of, picture.image)
    view = dataclasses.replace(
        _base_view(request, params, mode=direction),
        uploaded=True,
        sources=sources,
        uploaded_preview="data:image/jpeg;base64," + base64.b64encode(preview).decode("ascii"),
        result=result,
    )
    return render(request, view)


@page_router.get("/image")
def image_search_address(request: Request) -> Response:
    """The upload's address opened directly (a bookmark, a reload): back to the form."""
    filters = _filters_query(request)
    return RedirectResponse("/?mode=image" + (f"&{filters}" if filters else ""), status_code=303)


# --- views -------------------------------------------------------------------


def render(request: Request, view: PageView) -> Response:
    template = _templates().get_template("search.html")
    return render_template(
        request,
        template,
        view.status,
        view=view,
        modes=MODE_LABELS,
        retrievals=[r.value for r in Retrieval],
        highlight=highlight,
        clock=clock,
        status_label=_STATUS_LABELS.get(view.status, "Error"),
    )


def clock(seconds: float) -> str:
    """A time in a recording as a player shows it: ``m:ss`` (``h:mm:ss`` past an hour)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render_template(
    request: Request, template: jinja2.Template, status: int, **context: Any
) -> Response:
    """A page: its forms carry the CSRF token (its cookie set when new), and the
    header says who is signed in."""
    csrf, fresh = page_csrf(request)
    principal = getattr(request.state, "principal", None)
    html = template.render(
        request=request,
        csrf_token=csrf,
        signed_in=principal.name if principal is not None and principal.session else None,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)
    if fresh:
        # Lax, not Strict: a link from elsewhere must not replace the token of open forms.
        set_cookie(request, response, CSRF_COOKIE, csrf, samesite="lax")
    return response


def _base_view(request: Request, params: SearchParams, *, mode: Mode | None = None) -> PageView:
    return PageView(
        form=_form_values(request),
        mode=(mode or params.mode).value,
        filters=_filters_query(request),
    )


def _failed_view(request: Request, message: str, status: int) -> PageView:
    form = _form_values(request)
    mode = form.get("mode", Mode.TEXT.value)
    known = {m.value for m in Mode}
    return PageView(
        form=form,
        mode=mode if mode in known else Mode.TEXT.value,
        query=form.get("q", ""),
        error=message,
        status=status,
        filters=_filters_query(request),
    )


def _with_pages(view: PageView, request: Request, result: SearchResult) -> PageView:
    """The view with its result, and links to the previous and next pages (None where
    there is none)."""
    previous = None
    if result.offset > 0:
        previous = _page_link(request, max(result.offset - result.k, 0))
    following = None
    if result.more:
        following = _page_link(request, result.offset + result.k)
    return dataclasses.replace(view, result=result, previous_url=previous, next_url=following)


def _page_link(request: Request, offset: int) -> str:
    # Path and query only: links stay on whatever host and scheme the browser used.
    url = request.url.include_query_params(offset=offset)
    return f"{url.path}?{url.query}"


def _form_values(request: Request) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items()}


def _filters_query(request: Request) -> str:
    """The query string without the query, its direction and the paging: the filters."""
    kept = [
        (key, value)
        for key, value in request.query_params.multi_items()
        if key not in ("mode", "offset", *_FORM_FIELDS)
    ]
    return urlencode(kept)


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "query")
        problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else error["msg"])
    return "bad parameters: " + "; ".join(problems)


def _without_empty_values(request: Request) -> Request:
    raw = request.scope.get("query_string", b"").decode("latin-1")
    pairs = parse_qsl(raw, keep_blank_values=True)
    kept = [(key, value) for key, value in pairs if value.strip()]
    if len(kept) == len(pairs):
        return request
    scope = dict(request.scope)
    scope["query_string"] = urlencode(kept).encode("latin-1")
    return Request(scope, request.receive)


def page_template(name: str) -> jinja2.Template:
    return _templates().get_template(name)


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every value is escaped unless marked safe (highlight's Markup)
        trim_blocks=True,
        lstrip_blocks=True,
    )
