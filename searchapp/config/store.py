"""Settings of the Milvus store: where it is, how to reach it, its deadlines."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator


def _default_state_dir() -> Path:
    # XDG's data folder: state survives upgrades of the code and stays out of data/.
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "searchapp"


class StoreSettings(BaseModel):
    """Where the store lives, its credentials and TLS, deadlines, collection names."""

    # --- where things live ---------------------------------------------------
    state_dir: Path = Field(
        default_factory=_default_state_dir,
        description="Folder for the embedded Milvus Lite store, caches and ingest state.",
    )
    milvus_uri: str | None = Field(
        default=None,
        description="A Milvus Lite path (*.db) or a server URL such as http://host:19530. "
        "Default: STATE_DIR/milvus.db (embedded Milvus Lite).",
    )
    milvus_token: SecretStr | None = Field(
        default=None, description="Token (or user:password) for a Milvus server."
    )
    milvus_user: str = Field(
        default="",
        description="User name for a Milvus server with authentication (with "
        "MILVUS_PASSWORD; instead of MILVUS_TOKEN).",
    )
    milvus_password: SecretStr | None = Field(default=None, description="Password of MILVUS_USER.")
    milvus_db: str = Field(default="", description="Milvus database name (server only).")
    milvus_tls_ca: Path | None = Field(
        default=None,
        description="PEM file of the CA (or self-signed certificate) that signed the "
        "server's TLS certificate; turns TLS on. An https:// URI also turns TLS on, "
        "trusting the system's CAs.",
    )
    milvus_tls_client_cert: Path | None = Field(
        default=None,
        description="PEM client certificate, for servers that require mutual TLS "
        "(tlsMode 2); needs MILVUS_TLS_CLIENT_KEY and MILVUS_TLS_CA.",
    )
    milvus_tls_client_key: Path | None = Field(
        default=None, description="PEM private key of MILVUS_TLS_CLIENT_CERT."
    )
    milvus_tls_server_name: str = Field(
        default="",
        description="Name to verify in the server's certificate when it differs from "
        "the URI's host (e.g. connecting by IP address).",
    )
    lite_shared: bool = Field(
        default=True,
        description="Serve the embedded Milvus Lite store from one shared background "
        "process, so serve, ingest and worker can use it at once. Off: each command "
        "opens the store itself, one process at a time.",
    )
    # --- store lifecycle and deadlines -----------------------------------------
    store_timeout: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Deadline in seconds of each Milvus call (search, query, upsert, ...): a "
        "hung store answers 503 after this long instead of holding a request forever.",
    )
    store_slow_timeout: float = Field(
        default=600.0,
        gt=0,
        le=86400,
        description="Deadline in seconds of the long Milvus calls: flush, index creation "
        "and loading a collection.",
    )
    lite_idle_exit: float = Field(
        default=300.0,
        ge=0,
        description="The shared Milvus Lite store process exits after this many seconds "
        "without a request (the next command starts it again); 0: never. It exits at "
        "once when its folder is deleted.",
    )
    collection_prefix: str = Field(
        default="searchapp",
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
        description="Prefix of every collection name; separate prefixes separate indexes.",
    )

    @field_validator("milvus_token", "milvus_password")
    @classmethod
    def _empty_secret_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        # Compose files pass unset variables as "": that means no credential.
        return value if value is not None and value.get_secret_value() else None

    @field_validator("state_dir")
    @classmethod
    def _expand_state_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _credentials_complete(self) -> StoreSettings:
        if bool(self.milvus_user) != (self.milvus_password is not None):
            raise ValueError(
                "SEARCHAPP_MILVUS_USER and SEARCHAPP_MILVUS_PASSWORD go together: set both "
                "or neither"
            )
        if self.milvus_user and self.milvus_token is not None:
            raise ValueError(
                "set SEARCHAPP_MILVUS_TOKEN or SEARCHAPP_MILVUS_USER/PASSWORD, not both"
            )
        client_cert = (self.milvus_tls_client_cert, self.milvus_tls_client_key)
        if any(client_cert) and not (all(client_cert) and self.milvus_tls_ca):
            raise ValueError(
                "mutual TLS needs SEARCHAPP_MILVUS_TLS_CLIENT_CERT, "
                "SEARCHAPP_MILVUS_TLS_CLIENT_KEY and SEARCHAPP_MILVUS_TLS_CA"
            )
        return self

    @property
    def resolved_milvus_uri(self) -> str:
        """The URI to connect to: explicit setting, else the Lite folder in state_dir."""
        return self.milvus_uri or str(self.state_dir / "milvus.db")

    @property
    def shown_milvus_uri(self) -> str:
        """The URI for messages, logs and the API: without a user, password or token."""
        return redacted_uri(self.resolved_milvus_uri)

    @property
    def uses_milvus_lite(self) -> bool:
        return not self.resolved_milvus_uri.startswith(("http://", "https://", "tcp://"))

    @property
    def uses_tls(self) -> bool:
        return self.milvus_tls_ca is not None or self.resolved_milvus_uri.startswith("https://")


def redacted_uri(uri: str) -> str:
    """``uri`` with any credential in it (``user:pass@``, a token parameter) masked."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    if not parts.scheme or not parts.netloc:
        return uri  # a Lite folder
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if k.lower() in _SECRET_PARAMETERS else v) for k, v in pairs], safe="*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_SECRET_PARAMETERS = frozenset({"token", "password", "secret", "api_key", "apikey", "key"})
