"""Open a pymilvus client for the configured URI (Lite folder or server URL)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchapp.config import Settings
from searchapp.errors import ConfigError
from searchapp.store.errors import translated
from searchapp.store.local import LocalStore

if TYPE_CHECKING:
    from pymilvus import MilvusClient

# A server answers pymilvus's connect call (a deadline-bound RPC) at once, or not at all.
_CONNECT_TIMEOUT = 10.0


def open_client(settings: Settings) -> tuple[MilvusClient, str]:
    """A connected client and the URI it reached, for messages (credentials masked).

    The embedded store goes through the shared local store process unless
    ``lite_shared`` is off, in which case this process opens the folder itself.
    """
    client_class = _import_client()

    uri = settings.resolved_milvus_uri
    target = uri
    options: dict[str, Any] = {}
    if settings.uses_milvus_lite:
        data_dir = Path(uri).expanduser().resolve()
        try:
            data_dir.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the store folder {data_dir.parent} ({exc.strerror or exc}); "
                "set SEARCHAPP_STATE_DIR (or SEARCHAPP_MILVUS_URI) to a folder you can write"
            ) from exc
        target = (
            LocalStore(data_dir).ensure_running(idle_exit=settings.lite_idle_exit)
            if settings.lite_shared
            else str(data_dir)
        )
    else:
        options = server_options(settings)
    shown = settings.shown_milvus_uri  # the URI in every message, log line and API answer
    with translated("connect", shown):
        client = client_class(
            uri=target,
            db_name=settings.milvus_db,
            # Milvus Lite answers the connect call in Python: on a busy machine that
            # took over 10 s (a test's set-up failed), so it gets the deadline of any
            # other store call. A store that is not running refuses at once; a hung
            # one must still give a 503 within the deadline, not hold the request.
            timeout=settings.store_timeout
            if settings.uses_milvus_lite
            else min(_CONNECT_TIMEOUT, settings.store_timeout),
            # Its own channel, not pymilvus's shared one per address: after the store
            # was lost, a reconnect must get a fresh channel, and close must close it.
            dedicated=True,
            **options,
        )
    return client, shown


def _import_client() -> type[MilvusClient]:
    """pymilvus's client class, keeping the level the application set for its logger.

    On first import pymilvus configures its own logger (WARNING, its own
    handler), overriding a level set before; the CLI quiets it because our
    errors already say what its log lines would repeat.
    """
    logger = logging.getLogger("pymilvus")
    wanted = logger.level
    from pymilvus import MilvusClient

    if wanted != logging.NOTSET:
        logger.setLevel(wanted)
    return MilvusClient


def server_options(settings: Settings) -> dict[str, Any]:
    """Credentials and TLS options for a server, as pymilvus's client takes them.

    pymilvus reads TLS files itself when it opens the channel; they are checked
    here first so a wrong path is a clear setting error, not a gRPC failure.
    """
    options: dict[str, Any] = {}
    if settings.milvus_token is not None:
        options["token"] = settings.milvus_token.get_secret_value()
    elif settings.milvus_user and settings.milvus_password is not None:
        options["user"] = settings.milvus_user
        options["password"] = settings.milvus_password.get_secret_value()
    if not settings.uses_tls:
        return options
    options["secure"] = True
    if settings.milvus_tls_server_name:
        options["server_name"] = settings.milvus_tls_server_name
    ca = _readable(settings.milvus_tls_ca, "SEARCHAPP_MILVUS_TLS_CA")
    cert = _readable(settings.milvus_tls_client_cert, "SEARCHAPP_MILVUS_TLS_CLIENT_CERT")
    key = _readable(settings.milvus_tls_client_key, "SEARCHAPP_MILVUS_TLS_CLIENT_KEY")
    if cert and key and ca:  # mutual TLS: pymilvus wants the CA as ca_pem_path then
        options.update(client_pem_path=cert, client_key_path=key, ca_pem_path=ca)
    elif ca:  # one-way TLS with a private CA or a self-signed server certificate
        options["server_pem_path"] = ca
    return options


def _readable(path: Path | None, variable: str) -> str | None:
    if path is None:
        return None
    try:
        path.expanduser().read_bytes()
    except OSError as exc:
        raise ConfigError(f"{variable}: cannot read {path}: {exc.strerror or exc}") from exc
    return str(path.expanduser())
