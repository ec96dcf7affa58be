"""Resource limits against hostile requests and files (issue 14): each is refused
with a clear 4xx (or reported, for a file) instead of exhausting the server.

Memory is measured as the growth of this process's peak resident set
(``VmHWM``, reset through ``/proc/self/clear_refs``), with the server in-process
(TestClient, or ingest called directly), so a short spike counts too.
"""

from __future__ import annotations

import gzip
import io
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from searchapp.app import App
from searchapp.cli import app as cli
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.extract.images import ImageLoader, to_rgb
from searchapp.ingest import Outcome, ingest, scan
from searchapp.search.query_images import QueryImages
from searchapp.web import create_app
from tests.web.forms import csrf_token

pytestmark = [pytest.mark.integration, pytest.mark.model]

MB = 1024 * 1024
RSS_CEILING = 300 * MB


# --- helpers -------------------------------------------------------------------


def peak_rss_reset() -> int:
    """Reset this process's peak RSS to its current RSS; returns that, in bytes."""
    Path("/proc/self/clear_refs").write_text("5")
    return peak_rss()


def peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


def grey16_png(width: int, height: int) -> bytes:
    """A 16-bit greyscale PNG of black pixels, compressed as it is written (the
    test never holds the picture: 9400 x 9400 is 177 MB raw, ~200 KB as PNG)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 2 * width)  # filter byte 0, then the row's samples
    data = bytearray()
    for _ in range(height):
        data += compressor.compress(row)
    data += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", bytes(data))
        + chunk(b"IEND", b"")
    )


def gzip_with_one_long_line(path: Path, line_bytes: int) -> None:
    """A .jsonl.gz holding one JSON line of ``line_bytes`` bytes, written in pieces."""
    piece = b"a" * MB
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(b'{"text": "')
        for _ in range(line_bytes // MB):
            out.write(piece)
        out.write(b'"}\n')


# --- a small ingested corpus ---------------------------------------------------


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory: pytest.TempPathFactory, embedders: Embedders) -> Iterator[App]:
    root = tmp_path_factory.mktemp("limits-corpus")
    (root / "ferry.md").write_text("# Ferry\n\nThe ferry leaves the harbour at seven.\n")
    (root / "bread.md").write_text("# Bread\n\nKnead the dough and let the bread rise.\n")
    Image.fromarray(np.full((32, 32, 3), 200, dtype=np.uint8)).save(root / "grey.png")
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("limits-state"),
        lite_shared=False,
        search_consistency="Strong",
    )
    app = App(settings, embedders=embedders)
    summary = ingest(app, scan([root]).files)
    assert summary.count(Outcome.INGESTED) == 3, summary.results
    yield app
    app.close()


@pytest.fixture(scope="module")
def client(corpus_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(corpus_app)) as test_client:
        yield test_client


# --- result window ---------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"offset": str(10**30)},
        {"offset": "995", "k": "10"},
        {"offset": "1000"},
    ],
)
@pytest.mark.parametrize("path", ["/api/search", "/"])
def test_a_page_deeper_than_the_result_window_is_400(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params={"q": "ferry", **params})
    assert response.status_code == 400, response.text
    assert "SEARCHAPP_MAX_RESULT_WINDOW" in response.text


@pytest.mark.parametrize("path", ["/api/search", "/"])
def test_the_last_page_of_the_window_is_served(client: TestClient, path: str) -> None:
    response = client.get(path, params={"q": "ferry", "offset": "990", "k": "10"})
    assert response.status_code == 200, response.text


def test_the_result_window_is_a_setting(client: TestClient, corpus_app: App) -> None:
    corpus_app.settings.max_result_window = 5
    try:
        assert client.get("/api/search", params={"q": "ferry", "k": "6"}).status_code == 400
        assert client.get("/api/search", params={"q": "ferry", "k": "5"}).status_code == 200
        similar_to = client.get("/api/search", params={"q": "ferry", "k": "1"}).json()["hits"][0][
            "id"
        ]
        deep = client.get(f"/api/search/similar/{similar_to}", params={"offset": "5"})
        assert deep.status_code == 400, deep.text
    finally:
        corpus_app.settings.max_result_window = 1000


def test_the_cli_refuses_a_deep_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from searchapp.config import get_settings

    monkeypatch.setenv("SEARCHAPP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SEARCHAPP_LITE_SHARED", "false")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["search", "ferry", "--offset", str(10**30)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0
    assert "SEARCHAPP_MAX_RESULT_WINDOW" in result.output


# --- dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"modified_after": "0001-01-01T00:00:00"},
        {"modified_before": "0001-01-01T00:00:00"},
        {"modified_after": "9999-12-31T23:59:59"},
        {"modified_after": "0001-01-01T00:00:00+14:00"},
    ],
)
@pytest.mark.parametrize("path", ["/api/search", "/"])
def test_an_extreme_date_is_400(client: TestClient, path: str, params: dict[str, str]) -> None:
    response = client.get(path, params={"q": "ferry", **params})
    assert response.status_code in (200, 400), response.text  # never a 500
    if response.status_code == 400:
        assert "out of range" in response.text


def test_year_one_is_400(client: TestClient) -> None:
    response = client.get(
        "/api/search", params={"q": "ferry", "modified_after": "0001-01-01T00:00:00"}
    )
    assert response.status_code == 400, response.text
    assert "modified_after is out of range" in response.json()["detail"]


# --- query images ------------------------------------------------------------------


def test_a_16_bit_png_bomb_is_refused_without_decoding(client: TestClient) -> None:
    bomb = grey16_png(9400, 9400)
    assert len(bomb) < 400_000
    client.post(  # warm-up: the route and CLIP's first call allocate once
        "/api/search/image", files={"image": ("q.png", grey16_png(64, 64), "image/png")}
    )
    before = peak_rss_reset()
    response = client.post("/api/search/image", files={"image": ("q.png", bomb, "image/png")})
    grown = peak_rss() - before
    assert 400 <= response.status_code < 500, response.text
    assert "SEARCHAPP_QUERY_IMAGE_MAX_PIXELS" in response.json()["detail"]
    assert grown < RSS_CEILING, f"peak RSS grew by {grown / MB:.0f} MB"


def test_a_query_image_under_the_pixel_cap_is_searched(client: TestClient) -> None:
    response = client.post(
        "/api/search/image", files={"image": ("q.png", grey16_png(300, 200), "image/png")}
    )
    assert response.status_code == 200, response.text


def test_the_page_refuses_a_png_bomb_too(client: TestClient) -> None:
    response = client.post(
        "/image",
        files={"image": ("q.png", grey16_png(9400, 9400), "image/png")},
        data={"csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert "SEARCHAPP_QUERY_IMAGE_MAX_PIXELS" in response.text


def test_a_16_bit_picture_is_converted_without_a_wide_copy() -> None:
    side = 6000  # 36 MP: a float64 copy of it alone is 288 MB
    ramp = np.arange(side * side, dtype=np.uint32) % 65536
    image = Image.frombytes("I;16", (side, side), ramp.astype("<u2").tobytes())
    del ramp
    tracemalloc.start()
    try:
        rgb = to_rgb(image)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rgb.mode == "RGB" and rgb.size == (side, side)
    assert (
        rgb.getpixel((0, 0)) == (0, 0, 0) and rgb.getpixel((65535 % side, 65535 // side))[0] == 255
    )
    # numpy's allocations (traced): the 8-bit result and a strip, not 8 bytes a pixel.
    assert peak < 2 * side * side, f"numpy peak {peak / MB:.0f} MB"


def test_the_page_decodes_an_uploaded_image_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    load = ImageLoader.load

    def counted(self: ImageLoader, data: bytes, **kwargs: object):
        calls.append(len(data))
        return load(self, data, **kwargs)

    monkeypatch.setattr(ImageLoader, "load", counted)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buffer, "PNG")
    response = client.post(
        "/image",
        files={"image": ("q.png", buffer.getvalue(), "image/png")},
        data={"csrf_token": csrf_token(client)},
    )
    assert response.status_code == 200, response.text
    assert "data:image/jpeg;base64," in response.text  # the preview is there
    assert len(calls) == 1


# --- record files --------------------------------------------------------------------


def test_a_gzip_bomb_is_reported_and_the_batch_goes_on(tmp_path: Path, app: App) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nThe ferry leaves the harbour at seven.\n")
    bomb = folder / "bomb.jsonl.gz"
    gzip_with_one_long_line(bomb, 300 * MB)
    assert bomb.stat().st_size < 1 * MB
    warm = tmp_path / "warm"
    warm.mkdir()
    (warm / "warm.md").write_text("# Warm\n\nLoads what the first ingest loads.\n")
    ingest(app, scan([warm]).files)
    before = peak_rss_reset()
    summary = ingest(app, scan([folder]).files)
    grown = peak_rss() - before
    by_name = {r.path.name: r for r in summary.results}
    assert by_name["good.md"].outcome is Outcome.INGESTED
    assert by_name["bomb.jsonl.gz"].outcome is Outcome.FAILED
    assert "SEARCHAPP_MAX_RECORD_BYTES" in by_name["bomb.jsonl.gz"].reason
    assert grown < RSS_CEILING, f"peak RSS grew by {grown / MB:.0f} MB"


def test_a_gzip_that_decompresses_past_the_file_limit_is_reported(tmp_path: Path, app: App) -> None:
    path = tmp_path / "many.jsonl.gz"
    with gzip.open(path, "wb") as out:
        for _ in range(2000):
            out.write(b'{"text": "the ferry leaves the harbour at seven ' + b"x" * 200 + b'"}\n')
    app.settings.max_file_bytes = 100_000  # the file itself is far smaller
    assert path.stat().st_size < 100_000
    summary = ingest(app, scan([path]).files)
    assert summary.results[0].outcome is Outcome.FAILED
    assert "decompresses to more than" in summary.results[0].reason


@pytest.mark.parametrize("kind", [".jsonl", ".csv", ".json"])
def test_a_long_record_is_reported(tmp_path: Path, app: App, kind: str) -> None:
    path = tmp_path / f"long{kind}"
    text = "word " * 1000
    if kind == ".csv":
        path.write_text(f"title,text\nshort,fine\nlong,{text}\n")
    else:
        path.write_text(
            f'{{"text": "fine"}}\n{{"text": "{text}"}}\n'
            if kind == ".jsonl"
            else f'[{{"text": "{text}"}}]'
        )
    app.settings.max_record_bytes = 2048
    summary = ingest(app, scan([path]).files)
    assert summary.results[0].outcome is Outcome.FAILED
    assert "SEARCHAPP_MAX_RECORD_BYTES" in summary.results[0].reason


# --- uploads ---------------------------------------------------------------------------


def upload_client(settings: Settings, embedders: Embedders) -> TestClient:
    # No lifespan (no `with`): uploads need neither the store nor the models.
    return TestClient(create_app(App(settings, embedders=embedders), warm=False))


def md(name: str, size: int = 100) -> tuple[str, tuple[str, bytes, str]]:
    return ("files", (name, b"# Note\n\n" + b"x" * size, "text/markdown"))


def stored(settings: Settings) -> list[Path]:
    folder = settings.resolved_uploads_dir
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_uploads_past_the_quota_are_413_and_leave_nothing(
    settings: Settings, embedders: Embedders
) -> None:
    settings.uploads_quota_bytes = 4096
    client = upload_client(settings, embedders)
    first = client.post("/api/ingest", files=[md("a.md", 3000)])
    assert first.status_code == 202, first.text
    kept = stored(settings)
    second = client.post("/api/ingest", files=[md("b.md", 3000)])
    assert second.status_code == 413, second.text
    assert "SEARCHAPP_UPLOADS_QUOTA_BYTES" in second.json()["detail"]
    assert stored(settings) == kept


def test_too_many_files_in_one_upload_is_400(settings: Settings, embedders: Embedders) -> None:
    settings.max_upload_files = 2
    client = upload_client(settings, embedders)
    response = client.post("/api/ingest", files=[md("a.md"), md("b.md"), md("c.md")])
    assert response.status_code == 400, response.text
    assert "SEARCHAPP_MAX_UPLOAD_FILES" in response.json()["detail"]
    assert stored(settings) == []
    assert client.post("/api/ingest", files=[md("a.md"), md("b.md")]).status_code == 202


def test_uploads_are_rate_limited_per_client(settings: Settings, embedders: Embedders) -> None:
    settings.upload_rate_burst = 2
    settings.upload_rate_per_minute = 1
    client = upload_client(settings, embedders)
    assert client.post("/api/ingest", files=[md("a.md")]).status_code == 202
    assert client.post("/api/ingest", files=[md("b.md")]).status_code == 202
    refused = client.post("/api/ingest", files=[md("c.md")])
    assert refused.status_code == 429, refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "SEARCHAPP_UPLOAD_RATE_PER_MINUTE" in refused.json()["detail"]
    assert len(stored(settings)) == 2
    # Another address has its own bucket.
    other = TestClient(client.app, client=("203.0.113.7", 50000))
    assert other.post("/api/ingest", files=[md("d.md")]).status_code == 202


def test_query_image_decodes_are_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    active, most, release = [0], [0], threading.Event()
    lock = threading.Lock()

    def slow_load(self: ImageLoader, data: bytes, **kwargs: object) -> None:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        release.wait(60)
        with lock:
            active[0] -= 1

    monkeypatch.setattr(ImageLoader, "load", slow_load)
    images = QueryImages(
        Settings(state_dir=tmp_path, image_decode_concurrency=2, lite_shared=False)
    )
    threads = [
        threading.Thread(target=images.load, args=(b"x",), kwargs={"min_side": None})
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while active[0] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # room for a third decode to start if the bound did not hold
    release.set()
    for thread in threads:
        thread.join(60)
    assert most[0] == 2
