"""Who is asking: the token a request carries, or the local owner when no login is needed."""

from __future__ import annotations

from dataclasses import dataclass

from searchapp.auth.scopes import Scope


@dataclass(frozen=True)
class Principal:
    name: str  # the token's name; "local" when this server needs no login
    scope: Scope | None  # None: nobody (no credential, on a server that needs one)
    session: bool = False  # authenticated by the page's session cookie (CSRF applies)

    @classmethod
    def local_owner(cls) -> Principal:
        # No login needed (a loopback bind, or SEARCHAPP_AUTH=off): whoever can
        # reach the server is trusted as its owner, as before access control.
        return cls("local", Scope.ADMIN)

    @classmethod
    def nobody(cls) -> Principal:
        return cls("", None)

    @property
    def signed_in(self) -> bool:
        return self.scope is not None and self.name != "local"

    def can(self, needed: Scope) -> bool:
        return self.scope is not None and self.scope.grants(needed)

    @property
    def sees_full_paths(self) -> bool:
        """Absolute server paths are for admins; others see root name + relative path."""
        return self.can(Scope.ADMIN)
