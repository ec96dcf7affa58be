"""Ingestion: discover files, extract and chunk text, embed, write to the store."""

from searchapp.ingest.runner import Scan, ingest, remove, scan
from searchapp.ingest.shards import Shard
from searchapp.ingest.summary import FileResult, IngestSummary, Outcome

__all__ = ["FileResult", "IngestSummary", "Outcome", "Scan", "Shard", "ingest", "remove", "scan"]
