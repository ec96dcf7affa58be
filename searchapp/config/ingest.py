"""Settings of ingest runs: retries, rounds, overlap, and the crash tests' pauses."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from searchapp.faults import parse_pauses


class IngestSettings(BaseModel):
    """How an ingest run writes, checkpoints and overlaps its stages; crash-test pauses."""

    # --- ingest runs ----------------------------------------------------------
    store_retries: int = Field(
        default=6,
        ge=1,
        le=100,
        description="Attempts of each ingest write (upsert, delete, flush, and the look-up of "
        "the collections written to) while Milvus is "
        "unreachable, with doubling waits from STORE_RETRY_BACKOFF (6: about 30 s in all); "
        "then ingest stops, recording nothing unfinished as done.",
    )
    store_retry_backoff: float = Field(
        default=1.0, ge=0, le=60, description="Seconds before the first retry of a write."
    )
    max_file_bytes: int = Field(
        default=1 << 30,
        ge=1,
        description="Files larger than this are reported and skipped unread (1 GiB).",
    )
    ingest_checkpoint_files: int = Field(
        default=200,
        ge=1,
        le=100_000,
        description="Files per ingest round: after each round the store is flushed and "
        "the ingest state records the round's files as done, so a killed run redoes at "
        "most one round. Larger rounds make fewer, larger segments.",
    )
    ingest_read_workers: int = Field(
        default=1,
        ge=0,
        le=64,
        description="Threads that read, extract and chunk documents while the model "
        "encodes (0: read in line, between model calls).",
    )
    ingest_write_ahead: int = Field(
        default=1,
        ge=0,
        le=16,
        description="Batches written to Milvus in the background while the model encodes "
        "the next (0: each batch is written before the next is encoded).",
    )

    # --- crash tests ------------------------------------------------------------
    fault_pause: str = Field(
        default="",
        description="TEST ONLY: pause at named fault points so a crash test can kill the "
        "process inside a phase, e.g. flush@2:60000 (the second flush, 60 s); items "
        "PHASE[@N]:MS separated by commas, PHASE one of pending, upsert, delete, flush, "
        "commit, lease, ack (see searchapp/faults.py). A pause changes timing only.",
    )

    @field_validator("fault_pause")
    @classmethod
    def _check_fault_pause(cls, value: str) -> str:
        parse_pauses(value)  # a ValueError says which item is wrong
        return value
