"""Collection layouts: one collection per embedding space, each with its own fields.

A *space* is a set of vectors made by one model from one modality (MiniLM text
chunks, CLIP images, CLIP texts). Vectors from different spaces are never
compared, so they never share a collection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Byte limits of the VARCHAR fields (Milvus counts bytes). Values are cut to fit
# on write (see rows.fit_varchar), never rejected.
ID_LENGTH = 64
PATH_LENGTH = 4096
TITLE_LENGTH = 1024
TEXT_LENGTH = 65535
SHORT_LENGTH = 256
MAX_DEPTH = 64  # folders recorded per item, from the root down

SPARSE_FIELD = "sparse"  # BM25 term weights, computed by Milvus from the keyword field
# Words arrive analysed (see searchapp.keywords): Milvus only splits them.
KEYWORD_ANALYZER = {"tokenizer": "standard"}


@dataclass(frozen=True)
class ScalarField:
    name: str
    dtype: str  # a pymilvus DataType member name: VARCHAR, INT64, DOUBLE, JSON, ...
    max_length: int | None = None
    element_type: str | None = None  # for ARRAY fields
    max_capacity: int | None = None  # for ARRAY fields

    def add_to(self, schema: Any, **extra: Any) -> None:
        from pymilvus import DataType

        kwargs: dict[str, Any] = dict(extra)
        if self.max_length is not None:
            kwargs["max_length"] = self.max_length
        if self.element_type is not None:
            kwargs["element_type"] = getattr(DataType, self.element_type)
            kwargs["max_capacity"] = self.max_capacity
        schema.add_field(self.name, getattr(DataType, self.dtype), **kwargs)


@dataclass(frozen=True)
class CollectionSpec:
    """The fields of one space's collection; the vector field is always ``vector``.

    ``keyword_field`` names a VARCHAR field that Milvus can index for BM25
    keyword search (into the sparse field ``sparse``), where the server can;
    elsewhere the collection has no such field.
    """

    space: str
    description: str
    fields: tuple[ScalarField, ...] = field(default_factory=tuple)
    keyword_field: str | None = None

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def build_schema(self, dim: int, *, keywords: bool = False) -> Any:
        """The Milvus schema; with ``keywords``, also the BM25 function and sparse field
        (only for servers that have them: an old server accepts and ignores them)."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        schema = MilvusClient.create_schema(
            auto_id=False, enable_dynamic_field=False, description=self.description
        )
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=ID_LENGTH)
        analysed = self.keyword_field if keywords else None
        for scalar in self.fields:
            if scalar.name == self.keyword_field and not keywords:
                continue  # an old server: no keyword index, so no field to feed one
            if scalar.name == analysed:
                # A default, so writers that know nothing of keywords still fit.
                scalar.add_to(
                    schema,
                    enable_analyzer=True,
                    analyzer_params=KEYWORD_ANALYZER,
                    default_value="",
                )
            else:
                scalar.add_to(schema)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        if analysed is not None:
            schema.add_field(SPARSE_FIELD, DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name="bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=[analysed],
                    output_field_names=[SPARSE_FIELD],
                )
            )
        return schema


# Fields every ingested item carries: where it came from and which version of it.
SOURCE_FIELDS = (
    ScalarField("source", "VARCHAR", PATH_LENGTH),  # absolute path of the file
    # Every ancestor folder of source, so "under this folder" is an exact
    # array_contains() match rather than a LIKE pattern with wildcards to escape.
    ScalarField("folders", "ARRAY", PATH_LENGTH, element_type="VARCHAR", max_capacity=MAX_DEPTH),
    ScalarField("record_id", "VARCHAR", SHORT_LENGTH),  # record in a .jsonl/.csv/.json, else ""
    ScalarField("title", "VARCHAR", TITLE_LENGTH),
    ScalarField("media_type", "VARCHAR", SHORT_LENGTH),
    ScalarField("ext", "VARCHAR", 32),  # lower-case suffix without the dot, for filters
    ScalarField("mtime", "DOUBLE"),  # file modification time, seconds since the epoch
    ScalarField("sha256", "VARCHAR", ID_LENGTH),  # of the whole file's bytes
    ScalarField("metadata", "JSON"),
)

TEXT_SPEC = CollectionSpec(
    space="text",
    description="searchapp: text chunks embedded by a sentence-transformers model",
    fields=(
        *SOURCE_FIELDS,
        ScalarField("chunk_index", "INT64"),
        ScalarField("char_start", "INT64"),  # span of the chunk in the extracted text
        ScalarField("char_end", "INT64"),
        ScalarField("text", "VARCHAR", TEXT_LENGTH),
        # The chunk (with its title) as index terms: see searchapp.keywords.
        ScalarField("keyword_text", "VARCHAR", TEXT_LENGTH),
    ),
    keyword_field="keyword_text",
)
# CLIP spaces: one model embeds both images and texts into one comparable space,
# but images and texts are different items with different fields, so each has its
# own collection; both record the same CLIP model.
CLIP_IMAGE_SPEC = CollectionSpec(
    space="clip_image",
    description="searchapp: images embedded by a CLIP image tower",
    fields=(
        *SOURCE_FIELDS,
        ScalarField("width", "INT64"),  # as displayed (EXIF orientation applied)
        ScalarField("height", "INT64"),
        ScalarField("format", "VARCHAR", 32),  # JPEG, PNG, WEBP, GIF, BMP, TIFF, MPO
        ScalarField("caption", "VARCHAR", TEXT_LENGTH),  # "" when the image has none
    ),
)
# Texts in CLIP's space: windows of documents (source = the document) and image
# captions (source = the image, media_type image/*), for image -> text search.
# The same row layout as the text space, written out: the text space may gain
# fields (keyword search) that this one does not need.
CLIP_TEXT_SPEC = CollectionSpec(
    space="clip_text",
    description="searchapp: document windows and image captions embedded by a CLIP text tower",
    fields=(
        *SOURCE_FIELDS,
        ScalarField("chunk_index", "INT64"),
        ScalarField("char_start", "INT64"),
        ScalarField("char_end", "INT64"),
        ScalarField("text", "VARCHAR", TEXT_LENGTH),
    ),
)
ALL_SPECS = (TEXT_SPEC, CLIP_IMAGE_SPEC, CLIP_TEXT_SPEC)
