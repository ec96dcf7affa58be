"""Text embeddings from a remote OpenAI-compatible ``/v1/embeddings`` endpoint.

OpenAI, Ollama, vLLM, text-embeddings-inference and LM Studio speak the same
protocol: POST ``{"model", "input": [texts], "dimensions"?}``, answer
``{"data": [{"index", "embedding"}]}``. A model is named
``endpoint:<model name>`` (SEARCHAPP_TEXT_MODEL); its dimension is what the
endpoint returns for a probe at load, so a bad URL, key or model name fails at
once with a message, not at the first ingest batch.

The API key is held by :class:`ApiKey`, whose repr hides it, and is scrubbed
from any server text an error quotes: it never reaches logs, errors or stats.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from searchapp.config import DEFAULT_TEXT_MODEL, Settings
from searchapp.embed.base import ModelIdentity, TextEmbedder
from searchapp.embed.prompts import Prompts, resolve_prompts
from searchapp.errors import ConfigError, ModelUnavailableError

if TYPE_CHECKING:
    import httpx
    from transformers import PreTrainedTokenizerBase

ENDPOINT_PREFIX = "endpoint:"
# Answers worth another try: rate limits and server-side failures.
_RETRY_STATUSES = frozenset({408, 409, 429}) | frozenset(range(500, 600))
_MAX_BACKOFF = 30.0
# A Retry-After longer than this is not waited for: the request fails with a message.
_MAX_RETRY_AFTER = 120.0


def endpoint_model_name(name: str) -> str | None:
    """The endpoint's model name when ``name`` is ``endpoint:<model name>``."""
    if name.startswith(ENDPOINT_PREFIX) and name[len(ENDPOINT_PREFIX) :].strip():
        return name[len(ENDPOINT_PREFIX) :].strip()
    return None


class ApiKey:
    """An API key that does not show itself: repr and str are masked."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        return text.replace(self._value, "***") if self._value else text

    def __repr__(self) -> str:
        return "ApiKey('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class EndpointConfig:
    """Everything the endpoint embedder needs, from the settings or a test."""

    base_url: str
    model: str
    api_key: ApiKey | None = None
    dimensions: int | None = None
    batch_size: int = 64
    timeout: float = 60.0
    retries: int = 5
    backoff: float = 0.5
    max_tokens: int = 510

    @classmethod
    def from_settings(cls, name: str, settings: Settings) -> EndpointConfig:
        model = endpoint_model_name(name)
        if model is None:
            raise ConfigError(f"{name!r} is not of the form endpoint:<model name>")
        if not settings.text_endpoint_url:
            raise ConfigError(
                f"the text model {name} needs SEARCHAPP_TEXT_ENDPOINT_URL (the base URL of an "
                "OpenAI-compatible API, e.g. http://localhost:11434/v1 for Ollama)"
            )
        return cls(
            base_url=settings.text_endpoint_url,
            model=model,
            api_key=_api_key(settings),
            dimensions=settings.text_endpoint_dimensions,
            batch_size=settings.text_endpoint_batch_size,
            timeout=settings.text_endpoint_timeout,
            retries=settings.text_endpoint_retries,
            max_tokens=settings.text_endpoint_max_tokens,
        )


def _api_key(settings: Settings) -> ApiKey | None:
    if settings.text_endpoint_api_key is not None:
        return ApiKey(settings.text_endpoint_api_key.get_secret_value())
    path = settings.text_endpoint_api_key_file
    if path is None:
        return None
    try:
        return ApiKey(Path(path).expanduser().read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise ConfigError(
            f"cannot read SEARCHAPP_TEXT_ENDPOINT_API_KEY_FILE {path}: {exc.strerror}"
        ) from exc


class EndpointTextEmbedder(TextEmbedder):
    """Vectors from an OpenAI-compatible endpoint, L2-normalised here (not every
    server normalises), with retries and a timeout per request."""

    def __init__(
        self,
        config: EndpointConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self._config = config
        self._sleep = sleep  # a seam: tests record the waits instead of waiting
        headers = {"Content-Type": "application/json"}
        if config.api_key is not None:
            headers["Authorization"] = f"Bearer {config.api_key.reveal()}"
        self._client = httpx.Client(
            base_url=config.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=config.timeout,
            transport=transport,
        )
        self._key = config.api_key
        self.prompts: Prompts = resolve_prompts(config.model, None, None)
        self._chunk_tokenizer: PreTrainedTokenizerBase | None = None
        probe = self._request(["dimension probe"])
        dim = probe.shape[1]
        if config.dimensions is not None and dim != config.dimensions:
            raise ModelUnavailableError(
                f"the endpoint returned {dim}-d vectors for {config.model}, not the "
                f"{config.dimensions} asked for: the model does not support "
                "SEARCHAPP_TEXT_ENDPOINT_DIMENSIONS; unset it"
            )
        identity = ModelIdentity(
            model_id=ENDPOINT_PREFIX + config.model, dim=dim, backend="endpoint"
        )
        super().__init__(identity, config.batch_size)

    def __repr__(self) -> str:
        return f"EndpointTextEmbedder({self._config.base_url!r}, model={self._config.model!r})"

    @property
    def max_tokens(self) -> int:
        return self._config.max_tokens

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """MiniLM's tokenizer, for chunking: the endpoint's own is not known here, and
        its word pieces are close to the sub-word tokens of the usual embedding models."""
        if self._chunk_tokenizer is None:
            from transformers import AutoTokenizer

            from searchapp.embed.text import resolve_text_model

            self._chunk_tokenizer = AutoTokenizer.from_pretrained(
                resolve_text_model(DEFAULT_TEXT_MODEL)
            )
            self._chunk_tokenizer.model_max_length = 1_000_000
        return self._chunk_tokenizer

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        if len(queries) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [self.prompts.query + query for query in queries]
        size = self.batch_size
        parts = [self._request(texts[at : at + size]) for at in range(0, len(texts), size)]
        return self._checked(np.concatenate(parts), len(texts))

    def _embed_batch(self, batch: Sequence[str]) -> np.ndarray:
        return self._request([self.prompts.document + text for text in batch])

    def _request(self, texts: list[str]) -> np.ndarray:
        # OpenAI refuses an empty string; a space embeds as "nothing" everywhere.
        body: dict[str, Any] = {
            "model": self._config.model,
            "input": [text if text.strip() else " " for text in texts],
        }
        if self._config.dimensions is not None:
            body["dimensions"] = self._config.dimensions
        answer = self._post(body)
        return self._vectors(answer, len(texts))

    def _post(self, body: dict[str, Any]) -> Any:
        import httpx

        where = f"the embedding endpoint {self._config.base_url} (model {self._config.model})"
        for attempt in range(self._config.retries + 1):
            last_try = attempt == self._config.retries
            try:
                response = self._client.post("embeddings", json=body)
            except httpx.TimeoutException as exc:
                if last_try:
                    raise ModelUnavailableError(
                        f"{where} did not answer within {self._config.timeout:g} s "
                        f"({attempt + 1} tries); raise SEARCHAPP_TEXT_ENDPOINT_TIMEOUT or "
                        "check the server"
                    ) from exc
                self._sleep(self._backoff(attempt))
                continue
            except httpx.TransportError as exc:
                if last_try:
                    raise ModelUnavailableError(
                        f"cannot reach {where}: {type(exc).__name__} ({attempt + 1} tries)"
                    ) from exc
                self._sleep(self._backoff(attempt))
                continue
            if response.status_code < 300:
                try:
                    return response.json()
                except ValueError as exc:
                    raise ModelUnavailableError(f"{where} answered with invalid JSON") from exc
            if response.status_code in _RETRY_STATUSES and not last_try:
                wait = self._wait(response, attempt)
                if wait is not None:
                    self._sleep(wait)
                    continue
            raise ModelUnavailableError(self._refusal(where, response, attempt + 1))
        raise AssertionError("unreachable: the last try returns or raises")

    def _backoff(self, attempt: int) -> float:
        return min(self._config.backoff * 2**attempt, _MAX_BACKOFF)

    def _wait(self, response: httpx.Response, attempt: int) -> float | None:
        """How long to wait before the next try: the backoff, at least the server's
        Retry-After; None when the server asks for longer than we wait."""
        retry_after = _retry_after(response.headers.get("Retry-After"))
        if retry_after is not None and retry_after > _MAX_RETRY_AFTER:
            return None
        return max(self._backoff(attempt), retry_after or 0.0)

    def _refusal(self, where: str, response: httpx.Response, tries: int) -> str:
        status = response.status_code
        detail = self._server_message(response)
        if status == 401 or status == 403:
            return (
                f"{where} refused the API key (HTTP {status}: {detail}); check "
                "SEARCHAPP_TEXT_ENDPOINT_API_KEY or SEARCHAPP_TEXT_ENDPOINT_API_KEY_FILE"
            )
        if status == 404:
            return (
                f"{where}: not found (HTTP 404: {detail}); check the model name in "
                "SEARCHAPP_TEXT_MODEL=endpoint:<model> and that SEARCHAPP_TEXT_ENDPOINT_URL "
                "ends where /embeddings is served (usually .../v1)"
            )
        if status in _RETRY_STATUSES:
            return f"{where} failed with HTTP {status} after {tries} tries: {detail}"
        return f"{where} refused the request (HTTP {status}): {detail}"

    def _server_message(self, response: httpx.Response) -> str:
        """The server's own words (OpenAI's error.message, else the body), short,
        with the API key scrubbed: some servers quote the key they refused."""
        try:
            payload = response.json()
            error = payload.get("error") if isinstance(payload, dict) else None
            message = error.get("message") if isinstance(error, dict) else error
            text = str(message or payload or "")
        except ValueError:
            text = response.text
        text = " ".join(text.split())[:300] or response.reason_phrase
        return self._key.scrub(text) if self._key is not None else text

    def _vectors(self, answer: Any, count: int) -> np.ndarray:
        where = f"the embedding endpoint {self._config.base_url} (model {self._config.model})"
        try:
            rows = sorted(answer["data"], key=lambda row: row["index"])
            vectors = np.array([row["embedding"] for row in rows], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelUnavailableError(
                f"{where} answered in an unexpected form (no data[].embedding): {exc!r}"
            ) from exc
        if vectors.ndim != 2 or len(vectors) != count:
            raise ModelUnavailableError(
                f"{where} returned {len(vectors)} vectors for {count} texts"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
