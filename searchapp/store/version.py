"""What the connected Milvus is, and which features it has."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ServerInfo:
    """The store's kind and version, and the features searchapp depends on."""

    version: str
    is_lite: bool
    release: tuple[int, int, int]

    @classmethod
    def parse(cls, version: str) -> ServerInfo:
        """From ``get_server_version()``: ``milvus_lite-3.2.2`` or ``v2.3.5``."""
        is_lite = "lite" in version.lower()
        match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
        release = (
            (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
            if match
            else (0, 0, 0)
        )
        return cls(version=version, is_lite=is_lite, release=release)

    @property
    def kind(self) -> str:
        return "Milvus Lite" if self.is_lite else "Milvus server"

    # Features follow the release number alone: Milvus Lite 3 reports 3.x, but the
    # embedded server of the PyPI package `milvus` reports "v2.3.5-lite" and has
    # neither feature (checked: it refuses an index on a sparse field).

    @property
    def supports_bm25(self) -> bool:
        """Full-text search (BM25 functions): Milvus 2.5+ and Lite 3."""
        return self.release >= (2, 5, 0)

    @property
    def supports_multiple_vector_fields(self) -> bool:
        """More than one vector field per collection: Milvus 2.4+ and Lite 3."""
        return self.release >= (2, 4, 0)

    def describe(self) -> str:
        return f"{self.kind} {self.version}"
