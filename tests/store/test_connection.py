"""Credentials and TLS reach pymilvus as it expects; wrong ones are clear errors.

The session's server requires a token and speaks TLS only (see conftest), so
these tests show each setting doing its job against a real server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from searchapp.config import Settings
from searchapp.errors import ConfigError, StoreUnavailableError
from searchapp.store import Store
from searchapp.store.connection import server_options


def test_token_and_user_password_are_passed(tmp_path: Path) -> None:
    token = Settings(milvus_uri="http://milvus:19530", milvus_token=SecretStr("root:Milvus"))
    assert server_options(token) == {"token": "root:Milvus"}
    user = Settings(
        milvus_uri="http://milvus:19530", milvus_user="ana", milvus_password=SecretStr("pw")
    )
    assert server_options(user) == {"user": "ana", "password": "pw"}
    assert server_options(Settings(milvus_uri="http://milvus:19530")) == {}


def test_tls_options_follow_the_settings(tmp_path: Path) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_text("PEM")
    https = Settings(milvus_uri="https://milvus.example:443")
    assert server_options(https) == {"secure": True}  # system CAs
    one_way = Settings(
        milvus_uri="http://10.0.0.5:19530",
        milvus_tls_ca=tmp_path / "ca.pem",
        milvus_tls_server_name="milvus.internal",
    )
    assert server_options(one_way) == {
        "secure": True,
        "server_name": "milvus.internal",
        "server_pem_path": str(tmp_path / "ca.pem"),
    }
    mutual = Settings(
        milvus_uri="https://milvus.internal:19530",
        milvus_tls_ca=tmp_path / "ca.pem",
        milvus_tls_client_cert=tmp_path / "client.pem",
        milvus_tls_client_key=tmp_path / "client.key",
    )
    assert server_options(mutual) == {
        "secure": True,
        "ca_pem_path": str(tmp_path / "ca.pem"),
        "client_pem_path": str(tmp_path / "client.pem"),
        "client_key_path": str(tmp_path / "client.key"),
    }


def test_unreadable_tls_file_is_a_setting_error(tmp_path: Path) -> None:
    settings = Settings(milvus_uri="https://milvus:19530", milvus_tls_ca=tmp_path / "missing.pem")
    with pytest.raises(ConfigError, match=r"SEARCHAPP_MILVUS_TLS_CA: cannot read .*missing.pem"):
        server_options(settings)


@pytest.mark.server
def test_server_with_token_and_tls_answers(milvus_server, tmp_path: Path) -> None:
    settings = Settings(
        state_dir=tmp_path,
        milvus_uri=milvus_server.uri,
        milvus_user="root",
        milvus_password=SecretStr("Milvus"),
        milvus_tls_ca=milvus_server.tls.ca,
        milvus_tls_server_name=milvus_server.tls.server_name,
    )
    store = Store.connect(settings)
    assert store.info.release == (2, 3, 5) and not store.info.is_lite
    store.close()


@pytest.mark.server
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"milvus_token": SecretStr("root:wrong")}, "answers but refused the connection"),
        # TLS without the CA. Another host name for the same server: pymilvus shares
        # connections by address and token, and must not reuse a trusted one here.
        ({"milvus_tls_ca": None, "host": "localhost"}, "answers but refused the connection"),
    ],
    ids=["wrong-token", "untrusted-certificate"],
)
def test_wrong_credentials_or_tls_say_what_to_check(
    milvus_server, tmp_path: Path, change: dict, message: str
) -> None:
    change = dict(change)
    host = change.pop("host", "127.0.0.1")
    settings = Settings(
        state_dir=tmp_path,
        milvus_uri=milvus_server.uri.replace("127.0.0.1", host),
        milvus_token=SecretStr(milvus_server.token),
        milvus_tls_ca=milvus_server.tls.ca,
        milvus_tls_server_name=milvus_server.tls.server_name,
    ).model_copy(update=change)
    with pytest.raises(StoreUnavailableError, match=message) as caught:
        Store.connect(settings)
    assert "SEARCHAPP_MILVUS_TOKEN" in str(caught.value)


def test_a_busy_embedded_store_gets_time_to_answer_the_connect_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pymilvus's connect is an RPC with a deadline; Milvus Lite answers it in Python on
    this machine, so a busy machine must not turn "slow" into "unreachable" (a test's
    set-up once failed that way): it gets the deadline of every store call (30 s by
    default, and no more, so a hung store still answers 503 in time). A server keeps
    the short deadline."""
    from searchapp.store import connection

    deadlines: dict[str, float] = {}

    class Client:
        def __init__(self, *, uri: str, timeout: float, **options: object) -> None:
            deadlines[uri] = timeout

    monkeypatch.setattr(connection, "_import_client", lambda: Client)
    lite = Settings(state_dir=tmp_path, lite_shared=False)
    connection.open_client(lite)
    connection.open_client(Settings(milvus_uri="http://milvus:19530"))
    assert deadlines[lite.resolved_milvus_uri] == lite.store_timeout >= 30
    assert deadlines["http://milvus:19530"] <= 10
