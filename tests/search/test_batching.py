"""Batched search on a real Milvus Lite store with real MiniLM (and the tiny CLIP):
concurrent requests with different retrievals, filters, k and offsets, served in
one batch, each get exactly what they get alone; a failing job fails alone."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from searchapp.app import App
from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.errors import StoreError
from searchapp.ingest import Outcome, ingest, scan
from searchapp.search import Mode, Retrieval, SearchFilters, SearchRequest, SearchResult
from searchapp.search import service as service_module
from searchapp.search.query_batch import Found, RetrievalJob, serve_jobs
from searchapp.search.service import SearchService
from tests.polling import until

pytestmark = [pytest.mark.integration, pytest.mark.model]

DEADLINE = 120.0  # a ceiling for polled conditions; never reached when things work

IMAGES = Path(__file__).resolve().parents[2] / "data" / "images"
TOPICS = {
    "volcano": "Molten rock rises through the crust and erupts from a volcano as lava.",
    "coffee": "Roasted coffee beans are ground and brewed with hot water.",
    "solar": "Solar panels on a roof turn sunlight into electricity for the house.",
    "tomato": "A recipe with tomatoes: simmer tomatoes, garlic and basil into a sauce.",
    "mars": "Iron oxide dust makes the planet Mars look red.",
    "web": "The World Wide Web began as a way to share documents between physicists.",
}
EXTENSIONS = ("md", "txt", "html")


def request(text: str, k: int, retrieval: Retrieval, **more: object) -> SearchRequest:
    # Relevance floor off: every request has hits to compare (one keeps it).
    return SearchRequest(text=text, k=k, retrieval=retrieval, **{"min_relevance": 0, **more})


REQUESTS = [
    request("how do volcanoes erupt", 3, Retrieval.DENSE),
    request("how do volcanoes erupt", 5, Retrieval.DENSE, offset=2),
    # With the floor on, what it drops is counted among the job's own rows only.
    request("how do volcanoes erupt", 2, Retrieval.DENSE, min_relevance=None),
    request("coffee", 4, Retrieval.DENSE, filters=SearchFilters(extensions=("md",))),
    request("solar panels on a roof", 3, Retrieval.HYBRID),
    request("solar panels on a roof", 6, Retrieval.HYBRID, offset=1),
    request(
        "sharing documents on the web",
        3,
        Retrieval.HYBRID,
        filters=SearchFilters(media_types=("text/html",)),
    ),
    request("the of and", 3, Retrieval.HYBRID),  # stop words only: by meaning alone
    request("recipe with tomatoes", 4, Retrieval.KEYWORD),
    request("recipe with tomatoes", 2, Retrieval.KEYWORD, offset=1),
    request("the red planet", 10, Retrieval.HYBRID, min_relevance=None),  # the default floor
    SearchRequest(mode=Mode.TEXT_TO_IMAGE, text="a cat", k=3),
    SearchRequest(
        mode=Mode.TEXT_TO_IMAGE,
        text="a rocket launch",
        k=2,
        offset=1,
        filters=SearchFilters(extensions=("png",)),
    ),
]


class Gate:
    """serve_jobs, holding the first batch until ``open`` is set: whatever is
    submitted meanwhile queues, and is then served as one batch."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.open = threading.Event()

    def __call__(
        self, jobs: Sequence[RetrievalJob], settings, store_gate=None
    ) -> list[Found | Exception]:
        self.sizes.append(len(jobs))
        if len(self.sizes) == 1:
            assert self.open.wait(DEADLINE)
        return serve_jobs(jobs, settings, store_gate)


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory: pytest.TempPathFactory, embedders: Embedders) -> Iterator[App]:
    """Three documents per topic (one per extension, each chunk a sentence), and a
    few captioned images for text -> image."""
    root = tmp_path_factory.mktemp("corpus")
    for topic, text in TOPICS.items():
        for n, extension in enumerate(EXTENSIONS):
            body = f"<p>{text}</p>" if extension == "html" else text
            (root / f"{topic}-{n}.{extension}").write_text(f"{body} Note {n}.")
    for name in ("chelsea-the-cat", "rocket-launch", "coffee", "astronaut"):
        for found in IMAGES.glob(f"{name}.*"):
            (root / found.name).write_bytes(found.read_bytes())
    settings = Settings(state_dir=tmp_path_factory.mktemp("state"), lite_shared=False)
    app = App(settings, embedders=embedders)
    summary = ingest(app, scan([root]).files)
    assert summary.count(Outcome.FAILED) == 0 and summary.count(Outcome.INGESTED) >= 20
    yield app
    app.close()


@pytest.fixture
def services(sample_app: App) -> Iterator[tuple[SearchService, SearchService]]:
    """A batching service and one that serves each query alone, on the same store."""
    settings = sample_app.settings
    batched = SearchService(
        settings.model_copy(
            update={"search_batching": True, "search_batch_wait_ms": 0, "search_batch_workers": 1}
        ),
        sample_app.store,
        sample_app.embedders,
    )
    alone = SearchService(
        settings.model_copy(update={"search_batching": False}),
        sample_app.store,
        sample_app.embedders,
    )
    yield batched, alone
    batched.close()


def in_one_batch(
    service: SearchService, calls: list[Callable[[], object]], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[object], list[int]]:
    """Run ``calls`` concurrently while a first search is held, so that they queue
    and are served in one batch; their outcomes (results or errors) and the sizes
    of the batches served."""
    gate = Gate()
    monkeypatch.setattr(service_module, "serve_jobs", gate)
    with ThreadPoolExecutor(max_workers=len(calls) + 1) as pool:
        plug = pool.submit(service.search_text, "a first query, held", k=1)
        until(lambda: gate.sizes == [1])
        futures = [pool.submit(call) for call in calls]
        until(lambda: service._batcher.pending() == len(calls))
        gate.open.set()
        plug.result()
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except Exception as exc:
                outcomes.append(exc)
    return outcomes, gate.sizes


def comparable(result: SearchResult) -> tuple:
    hits = [
        (hit.id, round(hit.score, 4), None if hit.relevance is None else round(hit.relevance, 4))
        for hit in result.hits
    ]
    return (hits, result.more, result.below_floor, result.retrieval, result.notice, result.mode)


def test_each_request_in_a_batch_gets_what_it_gets_alone(
    services: tuple[SearchService, SearchService], monkeypatch: pytest.MonkeyPatch
) -> None:
    batched, alone = services
    expected = [comparable(alone.search(request)) for request in REQUESTS]
    assert all(hits for hits, *_ in expected), expected  # each has hits to compare

    outcomes, sizes = in_one_batch(
        batched, [lambda r=r: batched.search(r) for r in REQUESTS], monkeypatch
    )

    assert sizes == [1, len(REQUESTS)]  # all of them in one batch
    assert [comparable(result) for result in outcomes] == expected


def test_a_failing_job_fails_alone(
    services: tuple[SearchService, SearchService],
    sample_app: App,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    batched, alone = services
    good = SearchRequest(text="how do volcanoes erupt", k=3, retrieval=Retrieval.DENSE)
    collection = batched.text_collection()
    assert collection is not None

    class BrokenCollection:
        """The real collection, but its searches fail (as a dropped one's would)."""

        def __getattr__(self, name: str) -> object:
            return getattr(collection, name)

        def search(self, *args: object, **kwargs: object) -> object:
            raise StoreError("Milvus failed to search: collection not found")

    class BrokenEmbedder:
        identity = collection.identity

        def embed(self, texts: Sequence[str]) -> object:
            raise RuntimeError("the model broke")

    def job(**changes: object) -> RetrievalJob:
        text_model = sample_app.embedders.text_model(collection.identity.model_id)
        fields = {
            "text": "how do volcanoes erupt",
            "embedder": text_model,
            "collection": collection,
            "retrieval": Retrieval.DENSE,
            "limit": 12,
            "fields": ("source", "record_id"),
            **changes,
        }
        return RetrievalJob(**fields)

    calls: list[Callable[[], object]] = [
        lambda: batched.search(good),
        # Same group as the good ones (same collection object would be needed to
        # share a call; a broken one is its own group), and one that fails to encode.
        lambda: batched.retrieve(job(collection=BrokenCollection())),
        lambda: batched.retrieve(job(embedder=BrokenEmbedder())),
        lambda: batched.retrieve(job()),
        lambda: batched.search(good),
    ]
    outcomes, sizes = in_one_batch(batched, calls, monkeypatch)

    assert sizes == [1, len(calls)]
    first, broken_store, broken_model, plain, last = outcomes
    assert comparable(first) == comparable(last) == comparable(alone.search(good))
    assert isinstance(broken_store, StoreError)
    assert isinstance(broken_model, RuntimeError) and "model broke" in str(broken_model)
    assert isinstance(plain, Found) and len(plain.rows) == 12


def test_a_failing_call_is_retried_one_job_at_a_time(
    sample_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs of one group share a Milvus call; when it fails (one job's fault),
    each is retried alone, so the others still get their rows."""
    service = SearchService(sample_app.settings, sample_app.store, sample_app.embedders)
    collection = service.text_collection()
    assert collection is not None
    embedder = sample_app.embedders.text_model(collection.identity.model_id)
    real_search = type(collection).search
    calls = []

    def search(self, vectors, **kwargs):  # fails whenever the poisoned query is among them
        calls.append(len(vectors))
        if any(abs(float(v[0]) - 0.5) < 1e-9 for v in vectors):
            raise StoreError("Milvus failed to search: bad query")
        return real_search(self, vectors, **kwargs)

    monkeypatch.setattr(type(collection), "search", search)
    vector = embedder.embed(["how do volcanoes erupt"])[0]
    poisoned = vector.copy()
    poisoned[0] = 0.5
    jobs = [
        RetrievalJob("q", embedder, collection, Retrieval.DENSE, 8, ("source",), vector=v)
        for v in (vector, poisoned, vector)
    ]
    outcomes = serve_jobs(jobs, sample_app.settings)

    assert calls == [3, 1, 1, 1]  # one call for the group, then one per job
    assert isinstance(outcomes[1], StoreError)
    assert isinstance(outcomes[0], Found) and isinstance(outcomes[2], Found)
    assert outcomes[0].rows == outcomes[2].rows and outcomes[0].rows
