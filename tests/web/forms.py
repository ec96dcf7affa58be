"""The page's forms carry a CSRF token: what a browser gets from the page, for tests."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: TestClient, page: str = "/") -> str:
    """Open ``page`` as a browser would (its CSRF cookie lands in the client's jar) and
    return the token its forms carry."""
    response = client.get(page)
    match = _FIELD.search(response.text)
    assert match, f"no CSRF token on {page} ({response.status_code})"
    return match.group(1)
