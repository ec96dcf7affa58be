"""Slow clients and hung files (issue 14): a client that trickles its headers or
stalls its body is disconnected, and a file whose reading hangs is reported
while the run goes on.

The server is the one `searchapp serve` runs (uvicorn with
searchapp.web.server's configuration) in a thread of the test. Deadlines in the
tests are generous ceilings, never the thing measured: a guard that works
closes the connection after about a second.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.ingest import Outcome, ingest, scan
from searchapp.ingest.reader import FilePreparer
from searchapp.web import create_app
from searchapp.web.server import server_config
from tests.polling import free_port, until

# A guard that works closes within about its timeout (1 s here); the ceiling
# only stops a test whose guard does not work, on however loaded a machine.
CEILING = 60.0
TIMEOUT = 1.0


@pytest.fixture
def server(settings: Settings, embedders: Embedders) -> Iterator[tuple[int, Settings]]:
    """`searchapp serve`'s server on a free port, with 1 s header and body timeouts."""
    settings.body_timeout_seconds = TIMEOUT
    app = App(settings, embedders=embedders)
    port = free_port()
    config = server_config(
        create_app(app, warm=False),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        header_timeout=TIMEOUT,
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    until(lambda: running.started, "the server to start")
    try:
        yield port, settings
    finally:
        running.should_exit = True
        thread.join(timeout=CEILING)
        app.close()


def _closed_while_trickling(sock: socket.socket, trickle: bytes) -> bool:
    """Send ``trickle`` a byte at a time (one every 0.2 s, as slowloris does) until
    the server closes the connection; False if it is still open at the ceiling."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + CEILING
    index = 0
    while time.monotonic() < deadline:
        try:
            sock.sendall(trickle[index % len(trickle) : index % len(trickle) + 1])
            index += 1
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            continue  # nothing to read yet: keep trickling
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False


def _response(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or the ceiling)."""
    sock.settimeout(CEILING)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_client_trickling_its_headers_is_disconnected(server: tuple[int, Settings]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert _closed_while_trickling(sock, b"X-Slow: " + b"a" * 1000)


def test_a_client_silent_after_connecting_is_disconnected(server: tuple[int, Settings]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as sock:
        assert _response(sock) == b""  # closed without an answer


def test_a_slow_second_request_on_a_kept_alive_connection_is_cut(
    server: tuple[int, Settings],
) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(CEILING)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert _closed_while_trickling(sock, b"X-Slow: " + b"a" * 1000)


def test_prompt_clients_are_served(server: tuple[int, Settings]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert _response(sock).startswith(b"HTTP/1.1 200")


def test_a_stalled_upload_body_is_cut_and_its_file_removed(
    server: tuple[int, Settings],
) -> None:
    port, settings = server
    part = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="files"; filename="slow.md"\r\n'
        b"Content-Type: text/markdown\r\n\r\n"
        b"# Slow\n\nThe first bytes of a file whose rest never comes.\n"
    )
    chunk = b"%x\r\n%s\r\n" % (len(part), part)
    uploads = settings.resolved_uploads_dir
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /api/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=XyZ\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunk
        )
        # The upload has begun: its temporary file exists.
        until(lambda: uploads.is_dir() and any(uploads.iterdir()), "the upload to start")
        answer = _response(sock)  # and then nothing more is sent
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"SEARCHAPP_BODY_TIMEOUT_SECONDS" in answer
    assert list(uploads.iterdir()) == []


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_client_leaving_mid_upload_is_no_error(server: tuple[int, Settings]) -> None:
    port, settings = server
    records = _Records()
    # uvicorn's loggers do not propagate to the root: listen on them, and on ours.
    watched = [logging.getLogger(name) for name in ("uvicorn.error", "searchapp.web")]
    for logger in watched:
        logger.addHandler(records)
    old_levels = [logger.level for logger in watched]
    for logger in watched:
        logger.setLevel(logging.INFO)
    part = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="files"; filename="gone.md"\r\n'
        b"Content-Type: text/markdown\r\n\r\n# Gone\n\nThe client leaves.\n"
    )
    uploads = settings.resolved_uploads_dir
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                b"POST /api/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=XyZ\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n" % (len(part), part)
            )
            until(lambda: uploads.is_dir() and any(uploads.iterdir()), "the upload to start")
        # The server notices the disconnect, removes the partial file and says so.
        until(
            lambda: any(
                "disconnected" in r.getMessage() or r.levelno >= logging.ERROR
                for r in records.records
            ),
            "the disconnect to be logged",
        )
    finally:
        for logger, level in zip(watched, old_levels, strict=True):
            logger.removeHandler(records)
            logger.setLevel(level)
    assert [r.getMessage() for r in records.records if r.levelno >= logging.WARNING] == []
    assert list(uploads.iterdir()) == []


# --- a hung file in an ingest run ------------------------------------------------------


@pytest.mark.integration
@pytest.mark.model
def test_a_hung_extraction_is_reported_and_the_run_goes_on(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nThe ferry leaves the harbour at seven.\n")
    (folder / "hung.md").write_text("# Hung\n\nA parser never returns from this one.\n")
    (folder / "later.md").write_text("# Later\n\nBread dough rises in a warm kitchen.\n")
    release = threading.Event()
    prepare = FilePreparer.prepare

    def hangs_on_one(self: FilePreparer, found, sha256):  # the seam: a fake slow extractor
        if found.path.name == "hung.md":
            release.wait(CEILING)
        return prepare(self, found, sha256)

    monkeypatch.setattr(FilePreparer, "prepare", hangs_on_one)
    app.settings.extract_timeout_seconds = TIMEOUT
    try:
        summary = ingest(app, scan([folder]).files)
    finally:
        release.set()  # let the abandoned thread finish
    by_name = {result.path.name: result for result in summary.results}
    assert by_name["hung.md"].outcome is Outcome.FAILED
    assert "SEARCHAPP_EXTRACT_TIMEOUT_SECONDS" in by_name["hung.md"].reason
    assert by_name["good.md"].outcome is Outcome.INGESTED
    assert by_name["later.md"].outcome is Outcome.INGESTED
    hits = app.search.search_text("a parser never returns", k=5).hits
    assert all(Path(hit.source).name != "hung.md" for hit in hits)
