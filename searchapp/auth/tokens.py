"""API tokens: made by `searchapp token create`, stored hashed in the state folder.

A token is 32 random bytes from ``secrets`` (URL-safe text, prefixed ``sa_``
so it is recognisable in a leaked log). Only its SHA-256 is stored: a token
has enough entropy that a fast hash is safe, and a stolen ``tokens.json``
gives nobody a usable token. Hashes are compared with ``hmac.compare_digest``.

The file is JSON, 0600, replaced atomically on each change; the web app reads
it again when it changes, so a revoked token stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from searchapp.auth.files import write_private
from searchapp.auth.scopes import Scope
from searchapp.errors import ConfigError, NotFoundError

TOKENS_FILE = "tokens.json"
TOKEN_PREFIX = "sa_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class TokenRecord:
    """A token as stored: never the token itself."""

    name: str
    scope: Scope
    sha256: str
    created_at: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """The tokens of one state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / TOKENS_FILE
        self._lock = threading.Lock()
        # (inode, mtime, size) of the file read, and its records: an atomic
        # replace always makes a new inode, so a change is never missed.
        self._cache: tuple[tuple[int, int, int], list[TokenRecord]] | None = None

    def records(self) -> list[TokenRecord]:
        """Every token, oldest first (read again whenever the file changed)."""
        try:
            status = self.path.stat()
            stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
        except FileNotFoundError:
            return []
        with self._lock:
            if self._cache is None or self._cache[0] != stamp:
                self._cache = (stamp, self._read())
            return list(self._cache[1])

    def create(self, name: str, scope: Scope) -> str:
        """A new token named ``name``; the token is returned once and never stored."""
        if not NAME.fullmatch(name):
            raise ConfigError(
                f"bad token name {name!r}: use letters, digits, '.', '_' or '-' (up to 64)"
            )
        records = self.records()
        if any(record.name == name for record in records):
            raise ConfigError(f"a token named {name!r} exists: revoke it first, or pick another")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        records.append(TokenRecord(name, Scope(scope), _digest(token), time.time()))
        self._write(records)
        return token

    def revoke(self, name: str) -> None:
        records = self.records()
        kept = [record for record in records if record.name != name]
        if len(kept) == len(records):
            raise NotFoundError(f"no token named {name!r} (see `searchapp token list`)")
        self._write(kept)

    def verify(self, token: str) -> TokenRecord | None:
        """The record of ``token``, or None when it is unknown or revoked."""
        digest = _digest(token)
        found = None
        for record in self.records():  # no early exit: every record is compared
            if hmac.compare_digest(record.sha256, digest):
                found = record
        return found

    def find(self, name: str, sha256: str) -> TokenRecord | None:
        """The token a session names, if it still exists (not revoked, not re-created)."""
        found = None
        for record in self.records():
            if record.name == name and hmac.compare_digest(record.sha256, sha256):
                found = record
        return found

    def _read(self) -> list[TokenRecord]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [
                TokenRecord(
                    name=str(item["name"]),
                    scope=Scope(item["scope"]),
                    sha256=str(item["sha256"]),
                    created_at=float(item["created_at"]),
                )
                for item in data["tokens"]
            ]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Refusing every token is the safe reading of a damaged file.
            raise ConfigError(
                f"the token file {self.path} is unreadable ({exc}); fix or delete it and "
                "create the tokens again"
            ) from None

    def _write(self, records: list[TokenRecord]) -> None:
        payload = {"tokens": [asdict(record) for record in records]}
        with self._lock:
            write_private(self.path, (json.dumps(payload, indent=2) + "\n").encode("utf-8"))
            self._cache = None
