"""Ingestion: discover files, extract and chunk text, embed, write to the store."""

from typing import TYPE_CHECKING, Any

from searchapp.ingest.summary import FileResult, IngestSummary, Outcome

if TYPE_CHECKING:
    from searchapp.ingest.runner import ingest, remove
    from searchapp.ingest.scanning import Scan, scan
    from searchapp.ingest.shards import Shard

__all__ = ["FileResult", "IngestSummary", "Outcome", "Scan", "Shard", "ingest", "remove", "scan"]

# The runner pulls in every extractor (PDF, HTML, images): imported on first use,
# so commands that only report on ingests (or only search) start without them.
_LAZY = {
    "Scan": "searchapp.ingest.scanning",
    "ingest": "searchapp.ingest.runner",
    "remove": "searchapp.ingest.runner",
    "scan": "searchapp.ingest.scanning",
    "Shard": "searchapp.ingest.shards",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
