"""Fuzz every operation of our OpenAPI schema, and the search page's form: no
generated request may get a 5xx, and a fair share of page searches are answered.

Generic over the schema, so routes added later are fuzzed too. Each operation
gets valid requests (positive: every value the schema allows, e.g. any text,
any date, any k in range) and invalid ones (negative: values the schema
forbids), run against the ingested test store with the real models. The test
counts what it sent: at least 1,000 requests in all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
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
# Per operation: 200 requests. The schema has grown to 15+ operations (explore,
# items, uploads), so the suite sends 3,000+ in all; 400 each took 3.5 min under load.
EXAMPLES = {GenerationMode.POSITIVE: 120, GenerationMode.NEGATIVE: 80}


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


# --- the search page's form ------------------------------------------------------
# The page's routes are not in the OpenAPI schema, so its form is fuzzed here: the
# fields as a browser sends them (strings, empty when left blank), mostly values
# the form offers and sometimes anything at all. A fair share must be searched,
# not refused, or the test would only exercise the input checks.

PAGE_EXAMPLES = 200
# Any day a date picker can send, year 1 to 9999 (extreme dates answer 400, never 500).
_DAYS = st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat)
MIN_ACCEPTED = 0.2


def _field(offered: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # Three draws in four are what the form itself can send (a value or blank).
    return st.one_of(offered, offered, st.just(""), _TEXT)


PAGE_FORMS = st.fixed_dictionaries(
    {"q": _TEXT},
    optional={
        "mode": _field(st.sampled_from(["text", "text-to-image"])),
        "folder": _field(st.builds("/{}".format, _TEXT)),
        "ext": _field(st.sampled_from(["md", "txt", "html", "png", ".md"])),
        "media_type": _field(st.sampled_from(["text/*", "application/pdf", "image/*"])),
        "modified_after": _field(_DAYS),
        "modified_before": _field(_DAYS),
        "retrieval": _field(st.sampled_from(["dense", "keyword", "hybrid"])),
        "k": _field(st.integers(1, 100).map(str)),
        "min_relevance": _field(st.sampled_from(["0", "0.1", "0.25", "0.5", "1"])),
        "offset": _field(st.integers(0, 50).map(str)),
    },
)


def test_search_page_form_answers_pages_and_mostly_searches(fuzz_client: TestClient) -> None:
    sent = accepted = 0

    @settings(
        max_examples=PAGE_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(form=PAGE_FORMS)
    def run(form: dict[str, str]) -> None:
        nonlocal sent, accepted
        response = fuzz_client.get("/", params=form)
        sent += 1
        assert response.status_code < 500, (form, response.text[-500:])
        assert response.headers["content-type"].startswith("text/html"), form
        if response.status_code < 300:
            accepted += 1
        else:  # refused with the page and its reason, at the API's status
            assert response.status_code == 400, (form, response.status_code)
            assert 'role="alert"' in response.text, form

    run()
    assert sent >= PAGE_EXAMPLES // 2
    assert accepted / sent >= MIN_ACCEPTED, f"only {accepted} of {sent} page searches answered"
