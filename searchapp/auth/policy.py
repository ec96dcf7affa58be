"""Who must log in, which Host names are answered, whether uploads are allowed.

The policy follows from the settings and from the address ``serve`` listens
on: like Jupyter, a server that only this machine can reach (a loopback bind)
needs no login by default, and one on any other address does. Host and
Origin checks apply either way: a loopback server is still reachable through
a web page the user visits (CSRF) or a DNS-rebound name.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from searchapp.config import Settings

# Answered on every server (any port); more through SEARCHAPP_ALLOWED_HOSTS.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
# What a server started without a bind address (a TestClient, an embedding) assumes.
DEFAULT_BIND = "127.0.0.1"
_ANY_ADDRESS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    """``host`` (a name or an address, IPv6 with or without brackets) is this machine only."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def host_pattern(address: str) -> str:
    """An address as a Host header names it (IPv6 in brackets), lower case."""
    name = address.strip().lower()
    if ":" in name and not name.startswith("["):
        return f"[{name}]"
    return name


@dataclass(frozen=True)
class AccessPolicy:
    login_required: bool
    allowed_hosts: tuple[str, ...]
    read_only: bool

    @classmethod
    def of(cls, settings: Settings, bind_host: str | None = None) -> AccessPolicy:
        bind = DEFAULT_BIND if bind_host is None else bind_host
        if settings.auth == "required":
            login = True
        elif settings.auth == "off":
            login = False
        else:
            login = not is_loopback(bind)
        hosts = [*LOOPBACK_HOSTS]
        if bind.strip() not in _ANY_ADDRESS:
            hosts.append(host_pattern(bind))
        hosts.extend(settings.allowed_hosts)
        return cls(
            login_required=login,
            allowed_hosts=tuple(dict.fromkeys(hosts)),
            read_only=settings.read_only,
        )
