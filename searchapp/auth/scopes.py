"""What a token may do. One scope per token; ``admin`` implies the others."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    READ = "read"  # search, item metadata, files, thumbnails
    INGEST = "ingest"  # uploads and the ingest status
    ADMIN = "admin"  # collections, store details, absolute paths; and all of the above

    def grants(self, needed: Scope) -> bool:
        return self is Scope.ADMIN or self is needed
