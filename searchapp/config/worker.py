"""Settings of `searchapp worker` and the uploads it ingests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import NoDecode


class WorkerSettings(BaseModel):
    """The worker's folders, rescans and batches, and where uploads go."""

    # --- the worker and uploads (searchapp worker, POST /api/ingest) ---------
    watch_roots: Annotated[list[Path], NoDecode] = Field(
        default=[],
        description="Folders `searchapp worker` keeps ingested (watched, and rescanned "
        'periodically): a JSON list (["/a", "/b"]) or paths separated by ":". '
        "`searchapp worker PATH...` overrides it. The uploads folder is always watched.",
    )
    uploads_dir: Path | None = Field(
        default=None,
        description="Where files uploaded through POST /api/ingest are stored (and then "
        "ingested from). Default: STATE_DIR/uploads.",
    )
    watch_rescan_seconds: float = Field(
        default=300.0,
        ge=0,
        description="The worker walks its roots this often, as a safety net for file-system "
        "events that were missed (network drives, a full event queue); 0: only at start.",
    )
    watch_debounce_seconds: float = Field(
        default=1.0,
        ge=0,
        le=3600,
        description="A changed file is queued once it has been quiet this long, so a file "
        "still being written is ingested once, when complete.",
    )
    worker_batch_files: int = Field(
        default=8,
        ge=1,
        le=1000,
        description="Files per ingest call of the worker: small batches keep the status "
        "(current file, rates) fresh; large ones fill the model's batches better.",
    )

    @field_validator("uploads_dir")
    @classmethod
    def _expand_uploads(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None
