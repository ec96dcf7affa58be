"""The page's login session and CSRF token: cookies signed with ``itsdangerous``.

The session cookie names the token it was opened with (its name and a prefix
of its hash), so revoking the token ends the session on the next request.
The CSRF token is a random value in its own signed cookie that every form
repeats in a hidden field (the double-submit pattern); the signature stops a
neighbouring site from planting a cookie of its choosing. The signing key is
random, made once per state folder (``session.key``, 0600).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from searchapp.auth.files import read_or_create_private
from searchapp.auth.tokens import TokenRecord

SESSION_COOKIE = "searchapp_session"
CSRF_COOKIE = "searchapp_csrf"
CSRF_FIELD = "csrf_token"  # the forms' hidden field
CSRF_HEADER = "X-CSRF-Token"  # the same value, for scripts calling the API with the cookie
KEY_FILE = "session.key"
# Enough of a token's hash to tell it from a re-created token of the same name.
_HASH_PREFIX = 16


@dataclass(frozen=True)
class SessionClaim:
    """Who a valid session cookie says is logged in."""

    name: str
    sha256_prefix: str

    def matches(self, record: TokenRecord) -> bool:
        return record.name == self.name and hmac.compare_digest(
            record.sha256[:_HASH_PREFIX], self.sha256_prefix
        )


class Sessions:
    def __init__(self, state_dir: Path, max_age_seconds: int) -> None:
        key = read_or_create_private(state_dir / KEY_FILE, secrets.token_hex(32).encode())
        self.max_age = max_age_seconds
        self._sessions = URLSafeTimedSerializer(key, salt="searchapp.session")
        self._csrf = URLSafeTimedSerializer(key, salt="searchapp.csrf")

    # --- sessions ---------------------------------------------------------------

    def open(self, record: TokenRecord) -> str:
        """The cookie value of a new session for ``record``."""
        return self._sessions.dumps([record.name, record.sha256[:_HASH_PREFIX]])

    def claim(self, cookie: str | None) -> SessionClaim | None:
        """Who ``cookie`` names, or None when it is absent, forged or expired."""
        if not cookie:
            return None
        try:
            name, prefix = self._sessions.loads(cookie, max_age=self.max_age)
        except (BadSignature, ValueError, TypeError):
            return None
        return SessionClaim(str(name), str(prefix))

    # --- CSRF -------------------------------------------------------------------

    def new_csrf(self) -> str:
        return self._csrf.dumps(secrets.token_urlsafe(16))

    def csrf_valid(self, cookie: str | None) -> bool:
        if not cookie:
            return False
        try:
            self._csrf.loads(cookie)
        except BadSignature:
            return False
        return True

    def csrf_matches(self, cookie: str | None, submitted: str | None) -> bool:
        """The form (or header) repeats the browser's own signed CSRF cookie."""
        if not submitted or not self.csrf_valid(cookie):
            return False
        return hmac.compare_digest(cookie.encode(), submitted.encode())  # type: ignore[union-attr]
