"""Access control applied to the web app: Host and Origin checks, who is asking,
and the scope each route needs.

- Host: Starlette's ``TrustedHostMiddleware`` answers 400 to any Host header
  not allowed by the policy (a DNS-rebound name), before any route runs.
- Origin: every state-changing request (POST, PUT, PATCH, DELETE) whose
  ``Origin`` (or, without one, ``Referer``) is another site's is refused
  (403); browsers always send one of them on a cross-site POST, so no other
  site can make the user's browser upload or act. Clients that send neither
  (curl, scripts) are not browsers and are judged by their token alone.
- Who: ``Authorization: Bearer TOKEN``, ``X-API-Key: TOKEN``, or the page's
  session cookie (whose state-changing API calls must repeat the CSRF token in
  ``X-CSRF-Token``). Routes declare the scope they need with the aliases in
  ``searchapp.web.deps``.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Form, Request
from starlette._utils import parse_host_header
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from searchapp.auth import AccessPolicy, Principal, Sessions, TokenStore
from searchapp.auth import Scope as TokenScope
from searchapp.auth.sessions import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from searchapp.config import Settings
from searchapp.errors import AccessDenied, NotAuthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass
class Access:
    """The policy and the credentials of one web app (``web.state.access``)."""

    policy: AccessPolicy
    settings: Settings
    tokens: TokenStore
    _sessions: Sessions | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sessions(self) -> Sessions:
        # Made on first use: the signing key is a file in the state folder.
        with self._lock:
            if self._sessions is None:
                self._sessions = Sessions(
                    self.settings.state_dir, self.settings.session_hours * 3600
                )
            return self._sessions


def install_security(web: FastAPI, settings: Settings, bind_host: str | None) -> None:
    """Apply the access policy for ``settings`` and the address serve listens on."""
    policy = AccessPolicy.of(settings, bind_host)
    web.state.access = Access(policy, settings, TokenStore(settings.state_dir))
    web.add_middleware(OriginCheck)
    # Added last, so it runs first: a foreign Host is refused before anything else.
    allowed = ["*"] if "*" in policy.allowed_hosts else list(policy.allowed_hosts)
    web.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed, www_redirect=False)


def get_access(request: Request) -> Access:
    return request.app.state.access


# --- the Origin check -------------------------------------------------------------


class OriginCheck:
    """Refuse (403) a state-changing request sent from another site's page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        sender = headers.get("origin") or headers.get("referer")
        if sender is not None and not same_origin(sender, headers.get("host")):
            response = JSONResponse(
                {
                    "detail": "cross-site request refused: its Origin (or Referer) is not "
                    "this server; send it from this server's own page, or without a "
                    "browser (with a token)"
                },
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def same_origin(sender: str, host_header: str | None) -> bool:
    """``sender`` (an Origin or Referer URL) names the host and port the request was sent to.

    The scheme is not compared: behind a TLS proxy the browser's origin is
    https while this server sees http. ``null`` (a sandboxed or privacy-hidden
    origin) is never this server.
    """
    host = parse_host_header(host_header)
    try:
        parts = urlsplit(sender.strip())
        port = parts.port
    except ValueError:
        return False
    if host is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    sender_host = parts.hostname.lower()
    if ":" in sender_host:
        sender_host = f"[{sender_host}]"
    default = 443 if parts.scheme == "https" else 80
    request_port = int(host.port) if host.port else default
    return sender_host == host.host.lower() and (port or default) == request_port


# --- who is asking ------------------------------------------------------------------


async def authenticate(request: Request) -> Principal:
    """The caller: a token (header or session cookie), the local owner, or nobody.

    A token that is sent but unknown is refused (401) even where no login is
    needed: a client that thinks it is authenticated should learn it is not.
    ``async``, so no thread-pool hop: it hashes a token and stats the small
    tokens file, which is re-read only when it changed.
    """
    access = get_access(request)
    token = _header_token(request)
    if token is not None:
        record = access.tokens.verify(token)
        if record is None:
            raise NotAuthenticated("the token is not valid (mistyped, or revoked)")
        principal = Principal(record.name, record.scope)
    else:
        session = _session_principal(request, access)
        if session is not None:
            principal = session
        elif access.policy.login_required:
            principal = Principal.nobody()
        else:
            principal = Principal.local_owner()
    request.state.principal = principal
    return principal


def _header_token(request: Request) -> str | None:
    authorization = request.headers.get("authorization")
    if authorization:
        kind, _, value = authorization.partition(" ")
        if kind.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("send the token as 'Authorization: Bearer TOKEN'")
        return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def _session_principal(request: Request, access: Access) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    claim = access.sessions.claim(cookie)
    if claim is None:
        return None
    record = next((r for r in access.tokens.records() if claim.matches(r)), None)
    if record is None:  # the token was revoked since the login
        return None
    return Principal(record.name, record.scope, session=True)


Caller = Annotated[Principal, Depends(authenticate)]


def require(needed: TokenScope) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, who must hold ``needed`` (401 without a credential, 403
    with too small a scope). A page session's state-changing API call must also carry
    the CSRF token in ``X-CSRF-Token``."""

    async def dependency(request: Request, principal: Caller) -> Principal:
        check_scope(principal, needed)
        if principal.session and request.method not in SAFE_METHODS:
            access = get_access(request)
            submitted = request.headers.get(CSRF_HEADER)
            if not access.sessions.csrf_matches(request.cookies.get(CSRF_COOKIE), submitted):
                raise AccessDenied(f"missing or wrong {CSRF_HEADER} for this session")
        return principal

    return dependency


def check_scope(principal: Principal, needed: TokenScope) -> None:
    if principal.scope is None:
        raise NotAuthenticated(
            "this server needs a token: send 'Authorization: Bearer TOKEN' (or X-API-Key), "
            "or log in at /login; `searchapp token create` makes one"
        )
    if not principal.can(needed):
        raise AccessDenied(
            f"token {principal.name!r} has scope {principal.scope.value}; this needs "
            f"{needed.value} (or admin)"
        )


async def require_uploads(
    request: Request, principal: Annotated[Principal, Depends(require(TokenScope.INGEST))]
) -> Principal:
    """Uploading to ingest: the ingest scope, on a server that is not read-only."""
    if get_access(request).policy.read_only:
        raise AccessDenied(
            "this server is read-only (serve --read-only, SEARCHAPP_READ_ONLY): uploads are off"
        )
    return principal


# --- the page: forms carry the CSRF token; the cookies ---------------------------


def require_page_form(needed: TokenScope | None) -> Callable[..., Principal]:
    """A dependency for a page form's POST: the caller (holding ``needed``, when given),
    and the form's ``csrf_token`` matching the browser's CSRF cookie."""

    def dependency(
        request: Request,
        principal: Caller,
        csrf_token: Annotated[str | None, Form()] = None,
    ) -> Principal:
        if needed is not None:
            check_scope(principal, needed)
        check_form_csrf(request, csrf_token)
        return principal

    return dependency


def check_form_csrf(request: Request, submitted: str | None) -> None:
    if not get_access(request).sessions.csrf_matches(request.cookies.get(CSRF_COOKIE), submitted):
        raise AccessDenied(
            "the form's security token is missing or out of date (or the form came from "
            "another site): reload the page and try again"
        )


def page_csrf(request: Request) -> tuple[str, bool]:
    """The CSRF token for the page's forms, and whether it is new (its cookie must be set)."""
    sessions = get_access(request).sessions
    cookie = request.cookies.get(CSRF_COOKIE)
    if sessions.csrf_valid(cookie):
        return cookie, False  # type: ignore[return-value]
    return sessions.new_csrf(), True


def set_cookie(request: Request, response: Response, name: str, value: str, **options: Any) -> None:
    """HttpOnly, path /, Secure when the browser came over https (a TLS proxy with
    --proxy-headers); SameSite=Strict unless ``samesite`` says otherwise."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        secure=request.url.scheme == "https",
        path="/",
        **{"samesite": "strict", **options},
    )
