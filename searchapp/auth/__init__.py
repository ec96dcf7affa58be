"""Access control: API tokens and their scopes, the page's session and CSRF
cookies, and the policy (who must log in, which hosts are answered).

The web layer applies it (searchapp.web.security); nothing here knows FastAPI.
"""

from searchapp.auth.policy import AccessPolicy, is_loopback
from searchapp.auth.principal import Principal
from searchapp.auth.scopes import Scope
from searchapp.auth.sessions import Sessions
from searchapp.auth.tokens import TokenRecord, TokenStore

__all__ = [
    "AccessPolicy",
    "Principal",
    "Scope",
    "Sessions",
    "TokenRecord",
    "TokenStore",
    "is_loopback",
]
