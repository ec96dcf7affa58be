"""The remote text embedder against a fake OpenAI-compatible server started here:
deterministic vectors, batching, retries on 429/5xx honouring Retry-After, a
timeout, clear refusals of a bad key or model, and the key shown nowhere."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.embed.endpoint import ApiKey, EndpointConfig, EndpointTextEmbedder
from searchapp.errors import ConfigError, ModelUnavailableError
from tests.embed.fake_endpoint import DIM, KEY, MODEL, FakeServer, running, vector


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with running() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeServer) -> FakeServer:
    server.reset()
    return server


def make(url: str, waits: list[float] | None = None, **options: Any) -> EndpointTextEmbedder:
    config = EndpointConfig(
        **{"base_url": url, "model": MODEL, "api_key": ApiKey(KEY), "timeout": 30.0, **options}
    )
    sleep = waits.append if waits is not None else (lambda _: None)
    return EndpointTextEmbedder(config, sleep=sleep)


def test_vectors_are_the_servers_normalised_in_order_and_batched(fake: FakeServer) -> None:
    embedder = make(fake.url, batch_size=4)
    assert (embedder.dim, embedder.model_id) == (DIM, "endpoint:fake-embed")
    texts = [f"text number {i}" for i in range(10)]
    fake.reset()
    vectors = embedder.embed(texts)
    expected = np.array([vector(t) / np.linalg.norm(vector(t)) for t in texts])
    assert np.allclose(vectors, expected, atol=1e-6)
    assert [len(r["input"]) for r in fake.requests] == [4, 4, 2]
    assert all(r["auth"] == f"Bearer {KEY}" and "dimensions" not in r for r in fake.requests)
    assert np.allclose(embedder.embed_queries(texts[:1]), expected[:1], atol=1e-6)


def test_dimensions_are_asked_for(fake: FakeServer) -> None:
    embedder = make(fake.url, dimensions=8)
    assert embedder.dim == 8 and fake.requests[-1]["dimensions"] == 8


def test_429_and_5xx_are_retried_with_backoff_at_least_retry_after(fake: FakeServer) -> None:
    waits: list[float] = []
    embedder = make(fake.url, waits, backoff=0.5)
    fake.faults += [
        {"status": 429, "headers": {"Retry-After": "7"}, "body": {"error": "slow down"}},
        {"status": 500},
        {"status": 503, "headers": {"Retry-After": "0"}},
    ]
    fake.requests.clear()
    vectors = embedder.embed(["retried"])
    assert np.allclose(vectors[0], vector("retried") / np.linalg.norm(vector("retried")))
    assert len(fake.requests) == 4
    assert waits == [7.0, 1.0, 2.0]  # Retry-After 7 beats the 0.5 s backoff; then 0.5*2^n


def test_retries_run_out_with_a_message(fake: FakeServer) -> None:
    waits: list[float] = []
    embedder = make(fake.url, waits, retries=2)
    fake.faults += [{"status": 502, "body": {"error": {"message": "bad gateway"}}}] * 3
    with pytest.raises(ModelUnavailableError, match=r"HTTP 502 after 3 tries: bad gateway"):
        embedder.embed(["x"])
    assert len(waits) == 2


def test_a_retry_after_too_long_to_wait_fails_at_once(fake: FakeServer) -> None:
    waits: list[float] = []
    embedder = make(fake.url, waits)
    fake.faults.append({"status": 429, "headers": {"Retry-After": "3600"}})
    with pytest.raises(ModelUnavailableError, match="HTTP 429"):
        embedder.embed(["x"])
    assert waits == []


def test_a_slow_answer_times_out_and_is_retried(fake: FakeServer) -> None:
    waits: list[float] = []
    embedder = make(fake.url, waits, timeout=30.0)
    # A short timeout only for the request that hangs: normal answers under load stay safe.
    embedder._client.timeout = httpx.Timeout(0.3)
    fake.faults.append({"hang": True})
    vectors = embedder.embed(["after a timeout"])
    assert vectors.shape == (1, DIM) and len(waits) == 1
    fake.faults += [{"hang": True}] * 2
    embedder._config = dataclasses.replace(embedder._config, retries=1)
    with pytest.raises(ModelUnavailableError, match=r"did not answer within .* \(2 tries\)"):
        embedder.embed(["never answered"])


def test_a_bad_key_is_refused_clearly_and_never_shown(fake: FakeServer, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "sk-wrong-0123456789"
    with pytest.raises(ModelUnavailableError) as info:
        make(fake.url, api_key=ApiKey(bad))
    message = str(info.value)
    assert "refused the API key (HTTP 401" in message
    assert "SEARCHAPP_TEXT_ENDPOINT_API_KEY" in message
    embedder = make(fake.url)
    shown = [message, repr(embedder), str(embedder._config), repr(info.value.__cause__)]
    shown += [record.getMessage() for record in caplog.records]
    assert not [text for text in shown if bad in text or KEY in text]


def test_an_unknown_model_is_refused_clearly(fake: FakeServer) -> None:
    with pytest.raises(ModelUnavailableError, match=r"HTTP 404: The model `nope` does not exist"):
        make(fake.url, model="nope")
    with pytest.raises(ModelUnavailableError, match="ends where /embeddings is served"):
        make(fake.url.removesuffix("/v1"))


def test_an_unreachable_endpoint_fails_with_a_message(fake: FakeServer) -> None:
    import socket

    # A port that nobody listens on: a fresh socket bound and released.

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ModelUnavailableError, match=r"cannot reach .* \(2 tries\)"):
        make(f"http://127.0.0.1:{port}/v1", retries=1)


def test_the_settings_select_it_with_a_key_file(fake: FakeServer, tmp_path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    settings = Settings(
        state_dir=tmp_path,
        text_model=f"endpoint:{MODEL}",
        text_endpoint_url=fake.url,
        text_endpoint_api_key_file=key_file,
        text_endpoint_batch_size=3,
    )
    embedder = Embedders(settings).text()
    assert isinstance(embedder, EndpointTextEmbedder)
    assert (embedder.dim, embedder.batch_size) == (DIM, 3)
    assert KEY not in repr(settings) and KEY not in repr(embedder)
    with pytest.raises(ConfigError, match="SEARCHAPP_TEXT_ENDPOINT_URL"):
        Embedders(Settings(state_dir=tmp_path, text_model="endpoint:m")).text()


def test_a_family_prompt_is_sent_for_queries_and_documents(fake: FakeServer) -> None:
    embedder = make(fake.url)
    embedder.prompts = type(embedder.prompts)("query: ", "passage: ")
    fake.requests.clear()
    embedder.embed(["doc"])
    embedder.embed_queries(["question"])
    assert [r["input"] for r in fake.requests] == [["passage: doc"], ["query: question"]]
