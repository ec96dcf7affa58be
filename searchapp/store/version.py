"""What the connected Milvus is, and which features it has."""

from __future__ import annotations

import re
from dataclasses import dataclass

from searchapp.errors import FeatureUnsupportedError

# Upsert, ARRAY fields, count(*) and query iterators: everything ingest and
# search use arrived in Milvus 2.3.
MINIMUM_SERVER = (2, 3, 0)


@dataclass(frozen=True)
class ServerInfo:
    """The store's kind and version, and the features searchapp depends on."""

    version: str
    is_lite: bool
    release: tuple[int, int, int]

    @classmethod
    def parse(cls, version: str) -> ServerInfo:
        """From ``get_server_version()``: ``milvus_lite-3.2.2``, ``v2.6.4`` or ``v2.3.5-lite``.

        Only Milvus Lite 3 says ``milvus_lite``; the PyPI ``milvus`` server
        package calls itself ``v2.3.5-lite`` but is a real 2.3.5 server.
        """
        is_lite = version.lower().startswith("milvus_lite")
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

    @property
    def supports_bm25(self) -> bool:
        """Full-text search (BM25 functions): Milvus 2.5+ and Lite 3."""
        return self.is_lite or self.release >= (2, 5, 0)

    @property
    def supports_multiple_vector_fields(self) -> bool:
        """More than one vector field per collection: Milvus 2.4+ and Lite 3."""
        return self.is_lite or self.release >= (2, 4, 0)

    @property
    def serves_one_search_at_a_time(self) -> bool:
        """Milvus Lite 3 runs every search in one Python process, one after another;
        a server runs several at once."""
        return self.is_lite

    def features(self) -> dict[str, bool]:
        """The optional features, by the name `searchapp doctor` shows."""
        return {
            "BM25 keyword search": self.supports_bm25,
            "several vector fields per collection": self.supports_multiple_vector_fields,
        }

    def check_supported(self) -> None:
        """Refuse servers older than searchapp needs, saying what to do."""
        if self.is_lite or self.release >= MINIMUM_SERVER or self.release == (0, 0, 0):
            return
        raise FeatureUnsupportedError(
            f"{self.describe()} is too old: searchapp needs Milvus "
            f"{'.'.join(map(str, MINIMUM_SERVER))} or newer (upsert, ARRAY fields, "
            "query iterators). Upgrade the server, or unset SEARCHAPP_MILVUS_URI to use "
            "the embedded Milvus Lite."
        )

    def describe(self) -> str:
        return f"{self.kind} {self.version}"
