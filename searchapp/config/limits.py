"""Settings that bound untrusted clients and files (issue 14)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LimitsSettings(BaseModel):
    """Limits for untrusted clients and files: sizes, rates, timeouts."""

    # --- limits for untrusted clients and files (issue 14) --------------------
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest file the API accepts as an upload (a query image, or a file to "
        "ingest), in bytes; a bigger one is refused (413) while it arrives. It also caps a "
        "query image given to `searchapp search`.",
    )
    max_result_window: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Deepest hit a search may page to (offset + k), as Elasticsearch's "
        "max_result_window; deeper pages answer 400.",
    )
    query_image_max_pixels: int = Field(
        default=40_000_000,
        ge=1,
        description="Largest query image (width x height, read from its header before "
        "decoding) a search accepts; a bigger one answers 400.",
    )
    image_decode_concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Query images decoded at once by the server; further ones wait.",
    )
    max_record_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Longest line of a .jsonl or .csv file, and largest .json file (read "
        "whole), in bytes; a file over it is reported and skipped. A .gz file is also "
        "limited to MAX_FILE_BYTES once decompressed.",
    )
    follow_symlinks_outside: bool = Field(
        default=False,
        description="Ingest symlinked files whose target is outside the ingested or "
        "watched folders; off: they are reported and skipped.",
    )
    extract_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Longest time reading one file may take (a hung PDF); it is then "
        "reported as failed and the run goes on.",
    )
    uploads_quota_bytes: int = Field(
        default=10 * 1024**3,
        ge=1024,
        description="Most the uploads folder may hold, in bytes; an upload past it is "
        "refused (413).",
    )
    max_upload_files: int = Field(
        default=100, ge=1, le=10_000, description="Most files in one POST /api/ingest."
    )
    upload_rate_per_minute: float = Field(
        default=30.0,
        gt=0,
        description="Upload requests one client (IP address) may make per minute, with "
        "bursts of UPLOAD_RATE_BURST; more answer 429 with Retry-After.",
    )
    upload_rate_burst: int = Field(
        default=10, ge=1, description="Upload requests a client may make at once."
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="`serve`: a client must send a request's headers within this time, "
        "or the connection is closed (slow clients).",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="`serve`: longest wait for the next part of a request body; a "
        "stalled upload is cut (408) and what it wrote is removed.",
    )
