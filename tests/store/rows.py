"""A complete row of the text space (TEXT_SPEC, 4-d vectors by default) for tests
that write rows straight into a collection, without ingesting files."""

from __future__ import annotations

from typing import Any


def text_row(i: int = 0, **fields: Any) -> dict[str, Any]:
    """Row ``i`` with every field TEXT_SPEC needs; ``fields`` replace the defaults."""
    row: dict[str, Any] = {
        "id": f"id{i}",
        "source": f"/docs/{i}.txt",
        "folders": ["/", "/docs"],
        "record_id": "",
        "title": f"doc {i}",
        "media_type": "text/plain",
        "ext": "txt",
        "mtime": float(i),
        "sha256": "s",
        "metadata": {},
        "chunk_index": 0,
        "char_start": 0,
        "char_end": 1,
        "text": f"text {i}",
        "vector": [1.0, float(i), 0.5, 0.0],
    }
    unknown = fields.keys() - row.keys()
    assert not unknown, f"not fields of a text row: {sorted(unknown)}"
    row.update(fields)
    return row
