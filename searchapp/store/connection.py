"""Open a pymilvus client for the configured URI (Lite folder or server URL)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from searchapp.config import Settings
from searchapp.store.errors import translated
from searchapp.store.local import LocalStore

if TYPE_CHECKING:
    from pymilvus import MilvusClient

_CONNECT_TIMEOUT = 10.0


def open_client(settings: Settings) -> tuple[MilvusClient, str]:
    """A connected client and the URI it reached (for messages).

    The embedded store goes through the shared local store process unless
    ``lite_shared`` is off, in which case this process opens the folder itself.
    """
    from pymilvus import MilvusClient

    uri = settings.resolved_milvus_uri
    target = uri
    if settings.uses_milvus_lite:
        data_dir = Path(uri).expanduser().resolve()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        target = LocalStore(data_dir).ensure_running() if settings.lite_shared else str(data_dir)
    token = settings.milvus_token.get_secret_value() if settings.milvus_token else ""
    with translated("connect", uri):
        client = MilvusClient(
            uri=target, token=token, db_name=settings.milvus_db, timeout=_CONNECT_TIMEOUT
        )
    return client, uri
