"""The page's login and logout: a token, typed once, becomes a signed session cookie.

The cookie is HttpOnly (no script reads it) and SameSite=Strict (no other
site's page can send it); it names the token, so revoking the token ends the
session. ``GET /login?token=...`` is the address ``serve`` prints when it
made a token itself (as Jupyter does): it logs in and leaves the token out
of the address bar at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from searchapp.auth.sessions import SESSION_COOKIE
from searchapp.web.page import page_template, render_template
from searchapp.web.security import check_form_csrf, get_access, set_cookie

login_router = APIRouter(include_in_schema=False)


@login_router.get("/login")
def login_form(
    request: Request,
    next: Annotated[str, Query(max_length=4000)] = "/",
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    if token:
        return _log_in(request, token, next)
    return _form(request, next)


@login_router.post("/login")
def log_in(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str | None, Form()] = None,
    next: Annotated[str, Form(max_length=4000)] = "/",
) -> Response:
    check_form_csrf(request, csrf_token)
    return _log_in(request, token, next)


@login_router.post("/logout")
def log_out(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> Response:
    check_form_csrf(request, csrf_token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _log_in(request: Request, token: str, next: str) -> Response:
    access = get_access(request)
    record = access.tokens.verify(token.strip())
    if record is None:
        return _form(request, next, "that token is not valid (mistyped, or revoked)", 401)
    response = RedirectResponse(_local(next), status_code=303)
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        access.sessions.open(record),
        max_age=access.sessions.max_age,
    )
    return response


def _form(request: Request, next: str, error: str | None = None, status: int = 200) -> Response:
    return render_template(
        request, page_template("login.html"), status, next=_local(next), error=error
    )


def _local(target: str) -> str:
    """Only a path on this server (never ``//evil.example`` or a full URL): no open redirect."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
