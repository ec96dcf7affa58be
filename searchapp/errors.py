"""The one exception tree of searchapp.

Every error a user can meet is a :class:`SearchappError` whose message is written
for that user: what went wrong and, where there is one, what to do about it.
Third-party errors (pymilvus, torch, Pillow, pypdf, ...) are translated into
these at the boundary where they are raised, so the CLI can print one line and
exit non-zero, and the API can answer 4xx/503 with a body.
"""

from __future__ import annotations


class SearchappError(Exception):
    """Base class: the message is user-facing."""


class ConfigError(SearchappError):
    """A setting is missing or invalid."""


# --- files -----------------------------------------------------------------


class FileSkipped(SearchappError):
    """A file is deliberately not ingested (unsupported type, empty, no text).

    Not a failure: the summary lists it under "skipped" with this reason.
    """


class ExtractError(SearchappError):
    """A file could not be read or parsed (corrupt, unreadable, binary...).

    The summary lists it under "failed" with this reason; the batch goes on.
    """


# --- models ----------------------------------------------------------------


class ModelUnavailableError(SearchappError):
    """An embedding model cannot be loaded (missing weights, bad checkpoint)."""


# --- store -----------------------------------------------------------------


class StoreError(SearchappError):
    """Milvus answered with an error we could not handle."""


class StoreUnavailableError(StoreError):
    """Milvus cannot be reached (server down, wrong URI, Lite folder locked)."""


class ModelMismatchError(StoreError):
    """A collection was built by another model than the one configured."""


class FeatureUnsupportedError(StoreError):
    """The Milvus server is too old for a requested feature."""


# --- queries ---------------------------------------------------------------


class InvalidQueryError(SearchappError):
    """A search request is malformed (unknown mode, bad filter, bad k...)."""


class NotFoundError(SearchappError):
    """An item id does not exist in the store."""


# --- serving files -----------------------------------------------------------


class FileGoneError(NotFoundError):
    """An ingested item's file no longer exists where ingest found it."""


class FileAccessDenied(SearchappError):
    """An ingested item's file is outside the folders the web app may serve."""


# --- evaluation ------------------------------------------------------------


class DatasetError(SearchappError):
    """An evaluation dataset is missing files or is not in the BEIR layout."""


# --- the worker and uploads ------------------------------------------------


class InvalidUploadError(SearchappError):
    """An upload to ingest is malformed (no files, an empty file, a bad form)."""


class UploadTooLargeError(InvalidUploadError):
    """An uploaded file (to search by or to ingest) is bigger than SEARCHAPP_MAX_UPLOAD_BYTES."""


class UnsupportedUploadError(InvalidUploadError):
    """An uploaded file's type is not one that ingest reads."""


class UploadQuotaError(UploadTooLargeError):
    """The uploads folder holds SEARCHAPP_UPLOADS_QUOTA_BYTES already."""


class RateLimitedError(SearchappError):
    """A client made more requests of a kind than its rate allows; it may retry later."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueUnavailableError(SearchappError):
    """The worker's queue database cannot be read or written (locked, disk full...)."""


# --- access control ---------------------------------------------------------


class NotAuthenticated(SearchappError):
    """The request carries no valid credential, and this server needs one (401)."""


class AccessDenied(SearchappError):
    """The caller is known but may not do this: a missing scope, a failed CSRF or
    origin check, or uploads switched off (403)."""
