"""Fuzz every operation of our OpenAPI schema: no generated request may get a 5xx.

Generic over the schema, so routes added later are fuzzed too. Each operation
gets valid requests (positive: every value the schema allows, e.g. any text,
any date, any k in range) and invalid ones (negative: values the schema
forbids), run against the ingested test store with the real models. The test
counts what it sent: at least 1,000 requests in all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from searchapp.app import App
from searchapp.web import create_app

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.slow]

MIN_REQUESTS = 1000
EXAMPLES = {GenerationMode.POSITIVE: 250, GenerationMode.NEGATIVE: 150}


def test_no_request_gets_a_server_error(api_app: App) -> None:
    web = create_app(api_app, warm=False)
    with TestClient(web):  # run the lifespan once, as a server would
        schema = schemathesis.openapi.from_asgi("/openapi.json", web)
        operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6  # health, readiness, search, upload, similar, collections
    counts = {
        f"{operation.label} ({mode.value})": fuzz(operation, mode, examples)
        for operation in operations
        for mode, examples in EXAMPLES.items()
    }
    assert sum(sent for sent, _ in counts.values()) >= MIN_REQUESTS, str(counts)


def fuzz(operation: Any, mode: GenerationMode, examples: int) -> tuple[int, int]:
    """Send up to ``examples`` generated requests and check each; how many were sent,
    and how many answered 2xx."""
    sent = succeeded = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: a failure prints its case as it was
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        nonlocal sent, succeeded
        response = case.call()
        sent += 1
        succeeded += response.status_code < 300
        case.validate_response(response, checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters (health, collections) has no invalid
        # request to make: the negative mode draws nothing.
        if mode is not GenerationMode.NEGATIVE or sent:
            raise
    return sent, succeeded


# --- searches that reach Milvus -----------------------------------------------------
# The schema cannot say which combinations make sense (mode image needs item=,
# a folder is absolute...), so most schema-generated searches are refused
# before any work. These are well-formed, with arbitrary text everywhere user
# text goes: the query, and filter values that end up in Milvus expressions.

_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
SEARCHES = st.fixed_dictionaries(
    {"q": _TEXT.filter(str.strip), "min_relevance": st.just(0)},
    optional={
        "mode": st.sampled_from(["text", "text-to-image"]),
        "retrieval": st.sampled_from(["dense", "keyword", "hybrid"]),
        "k": st.integers(1, 100),
        "offset": st.integers(0, 200),
        "folder": st.builds("/{}".format, _TEXT),
        "media_type": st.one_of(
            st.sampled_from(["text/markdown", "image/*", "text/*", "image/png"]),
            st.builds("{}/{}".format, _TEXT, _TEXT),
        ),
        "ext": st.one_of(st.sampled_from(["md", ".txt", "jsonl.gz"]), _TEXT),
        "modified_after": st.datetimes().map(datetime.isoformat),
    },
)


@pytest.fixture(scope="module")
def fuzz_client(api_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(api_app, warm=False)) as client:
        yield client


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(params=SEARCHES)
def test_well_formed_searches_answer_or_say_why(
    fuzz_client: TestClient, params: dict[str, Any]
) -> None:
    response = fuzz_client.get("/api/search", params=params)
    assert response.status_code in (200, 400), (params, response.text)
    if response.status_code == 400:
        assert response.json()["detail"], params
    else:
        assert len(response.json()["hits"]) <= params.get("k", 10)
