"""Test seams: an in-memory Milvus client and a hashing text embedder.

As httpx's ``MockTransport`` replaces the network under a real client, these
replace what is under searchapp's real ``Store`` and ``Embedders``:

- :class:`FakeMilvusClient` stands in for ``pymilvus.MilvusClient``. The real
  :class:`~searchapp.store.Store` and ``VectorCollection`` run on top of it
  (aliases, identity records, paging, filters, score handling), so a test of
  search, paging or API logic exercises everything above the wire. Rows live in
  dicts per collection; dense search is brute-force cosine, keyword search is
  BM25 over the analysed keyword text, hybrid fuses the two as Milvus's rankers
  do. Filters cover the expressions searchapp writes (``store/filters.py``,
  ``search/filters.py``); anything else raises NotImplementedError.
- :class:`FakeTextEmbedder` is a text model whose vectors are a normalised sum
  of one seeded random vector per word (a hash of the word seeds it): the same
  text always gets the same vector, in any process, and texts that share words
  are closer than texts that do not. No torch, no model files.

``tests/store/test_fakes.py`` checks the fakes against the real Lite store on
a shared case, so they cannot drift silently. docs/testing.md says which tests
use them and why the integration tests do not.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from searchapp.config import Settings
from searchapp.embed import Embedders
from searchapp.embed.base import ModelIdentity, TextEmbedder
from searchapp.store import Store
from searchapp.store.schema import SPARSE_FIELD

FAKE_URI = "fake://in-memory"
FAKE_VERSION = "milvus_lite-fake"  # parsed as Milvus Lite: BM25 and several vector fields


# --- the store ----------------------------------------------------------------


def fake_store(settings: Settings, client: FakeMilvusClient | None = None) -> Store:
    """searchapp's real Store on an in-memory client (a fresh one by default)."""
    return Store(client or FakeMilvusClient(), FAKE_URI, settings)  # type: ignore[arg-type]


class FakeMilvusError(Exception):
    """What a real client would raise as a MilvusException (the store translates neither)."""


@dataclass
class _Collection:
    name: str
    primary: str
    fields: list[str]
    keyword_input: str | None  # the VARCHAR field the BM25 function reads
    properties: dict[str, str]
    bm25: tuple[float, float] = (1.2, 0.75)
    rows: dict[Any, dict[str, Any]] = field(default_factory=dict)


class _IndexParams:
    """What ``prepare_index_params`` returns: the indexes to build, as given."""

    def __init__(self) -> None:
        self.indexes: list[dict[str, Any]] = []

    def add_index(self, field_name: str, **options: Any) -> None:
        self.indexes.append({"field_name": field_name, **options})


class FakeMilvusClient:
    """The ``MilvusClient`` calls searchapp makes, on rows held in memory.

    Consistency levels and timeouts are accepted and ignored: every write is
    seen by the next read.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._collections: dict[str, _Collection] = {}
        self._aliases: dict[str, str] = {}  # alias -> collection name
        self.closed = False

    # --- connection ------------------------------------------------------------

    def get_server_version(self, **_: Any) -> str:
        return FAKE_VERSION

    def close(self) -> None:
        self.closed = True

    # --- collections and aliases -----------------------------------------------

    def _resolve(self, name: str) -> _Collection:
        with self._lock:
            physical = self._aliases.get(name, name)
            if physical not in self._collections:
                raise FakeMilvusError(f"collection not found: {name}")
            return self._collections[physical]

    def has_collection(self, name: str, **_: Any) -> bool:
        with self._lock:
            return self._aliases.get(name, name) in self._collections

    def list_collections(self, **_: Any) -> list[str]:
        with self._lock:
            return list(self._collections)

    def describe_collection(self, name: str, **_: Any) -> dict[str, Any]:
        collection = self._resolve(name)
        return {"collection_name": collection.name, "properties": dict(collection.properties)}

    def create_collection(
        self, name: str, *, schema: Any, properties: dict[str, str] | None = None, **_: Any
    ) -> None:
        primary = next(f.name for f in schema.fields if f.is_primary)
        keyword_input = None
        for function in getattr(schema, "functions", []) or []:
            if SPARSE_FIELD in function.output_field_names:
                [keyword_input] = function.input_field_names
        with self._lock:
            if name in self._collections or name in self._aliases:
                raise FakeMilvusError(f"collection {name} already exists")
            self._collections[name] = _Collection(
                name=name,
                primary=primary,
                fields=[f.name for f in schema.fields if f.name != SPARSE_FIELD],
                keyword_input=keyword_input,
                properties=dict(properties or {}),
            )

    def drop_collection(self, name: str, **_: Any) -> None:
        with self._lock:
            if any(target == name for target in self._aliases.values()):
                raise FakeMilvusError(f"collection {name} still has an alias")
            self._collections.pop(name, None)

    def create_alias(self, collection_name: str, alias: str, **_: Any) -> None:
        with self._lock:
            if alias in self._aliases or alias in self._collections:
                raise FakeMilvusError(f"alias {alias} already exists")
            self._resolve(collection_name)
            self._aliases[alias] = collection_name

    def alter_alias(self, collection_name: str, alias: str, **_: Any) -> None:
        with self._lock:
            if alias not in self._aliases:
                raise FakeMilvusError(f"alias {alias} does not exist")
            self._resolve(collection_name)
            self._aliases[alias] = collection_name

    def drop_alias(self, alias: str, **_: Any) -> None:
        with self._lock:
            self._aliases.pop(alias, None)

    def list_aliases(self, collection_name: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            names = [a for a, target in self._aliases.items() if target == collection_name]
        return {"aliases": names, "collection_name": collection_name}

    # --- indexes and loading (nothing to build) --------------------------------

    def prepare_index_params(self) -> _IndexParams:
        return _IndexParams()

    def create_index(self, name: str, index_params: _IndexParams, **_: Any) -> None:
        collection = self._resolve(name)
        for index in index_params.indexes:
            if index.get("metric_type") == "BM25":
                params = index.get("params", {})
                collection.bm25 = (float(params["bm25_k1"]), float(params["bm25_b"]))

    def describe_index(self, name: str, field_name: str, **_: Any) -> dict[str, Any]:
        rows = len(self._resolve(name).rows)
        return {"field_name": field_name, "indexed_rows": rows, "total_rows": rows,
                "pending_index_rows": 0}  # fmt: skip

    def load_collection(self, name: str, **_: Any) -> None:
        self._resolve(name)

    def get_load_state(self, name: str, **_: Any) -> dict[str, Any]:
        self._resolve(name)
        return {"state": "Loaded"}

    def flush(self, name: str, **_: Any) -> None:
        self._resolve(name)

    # --- writes ----------------------------------------------------------------

    def upsert(self, name: str, rows: Sequence[dict[str, Any]], **_: Any) -> dict[str, int]:
        collection = self._resolve(name)
        with self._lock:
            for row in rows:
                unknown = set(row) - set(collection.fields)
                if unknown:
                    raise FakeMilvusError(f"{name} has no field(s) {sorted(unknown)}")
                collection.rows[row[collection.primary]] = dict(row)
        return {"upsert_count": len(rows)}

    def delete(self, name: str, *, filter: str = "", **_: Any) -> dict[str, int]:
        collection = self._resolve(name)
        matches = Filter.parse(filter)
        with self._lock:
            gone = [key for key, row in collection.rows.items() if matches(row)]
            for key in gone:
                del collection.rows[key]
        return {"delete_count": len(gone)}

    # --- reads -----------------------------------------------------------------

    def _matching(self, name: str, expression: str | None) -> tuple[_Collection, list[dict]]:
        collection = self._resolve(name)
        matches = Filter.parse(expression or "")
        with self._lock:
            return collection, [row for row in collection.rows.values() if matches(row)]

    def query(
        self,
        name: str,
        *,
        filter: str = "",
        output_fields: Sequence[str] = (),
        limit: int | None = None,
        **_: Any,
    ) -> list[dict[str, Any]]:
        collection, rows = self._matching(name, filter)
        if list(output_fields) == ["count(*)"]:
            return [{"count(*)": len(rows)}]
        rows = rows[:limit] if limit is not None else rows
        return [_shaped(collection, row, output_fields) for row in rows]

    def query_iterator(
        self,
        name: str,
        *,
        filter: str = "",
        output_fields: Sequence[str] = (),
        batch_size: int = 1000,
        **_: Any,
    ) -> _Pages:
        collection, rows = self._matching(name, filter)
        return _Pages([_shaped(collection, row, output_fields) for row in rows], batch_size)

    def get(
        self, name: str, *, ids: Sequence[Any], output_fields: Sequence[str] = (), **_: Any
    ) -> list[dict[str, Any]]:
        collection = self._resolve(name)
        with self._lock:
            found = [collection.rows[i] for i in ids if i in collection.rows]
        return [_shaped(collection, row, output_fields) for row in found]

    def search(
        self,
        name: str,
        *,
        data: Sequence[Any],
        anns_field: str,
        limit: int,
        filter: str = "",
        output_fields: Sequence[str] = (),
        **_: Any,
    ) -> list[list[dict[str, Any]]]:
        collection, rows = self._matching(name, filter)
        return [
            [_hit(collection, row, score, output_fields) for row, score in ranked[:limit]]
            for ranked in self._rank(collection, rows, anns_field, data)
        ]

    def hybrid_search(
        self,
        name: str,
        reqs: Sequence[Any],
        *,
        ranker: Any,
        limit: int,
        output_fields: Sequence[str] = (),
        **_: Any,
    ) -> list[list[dict[str, Any]]]:
        strategy = ranker.dict()
        per_request = []  # for each sub-request: per query, [(row, score), ...] best first
        for request in reqs:
            collection, rows = self._matching(name, request.filter)
            ranked = self._rank(collection, rows, request.anns_field, request.data)
            per_request.append([found[: request.limit] for found in ranked])
        results = []
        for query in range(len(per_request[0])):
            fused: dict[Any, float] = {}
            by_id: dict[Any, dict[str, Any]] = {}
            for n, ranked in enumerate(per_request):
                for rank, (row, score) in enumerate(ranked[query], start=1):
                    key = row[collection.primary]
                    by_id[key] = row
                    fused[key] = fused.get(key, 0.0) + _fused(strategy, n, rank, score)
            best = sorted(fused.items(), key=lambda item: -item[1])[:limit]
            results.append([_hit(collection, by_id[k], s, output_fields) for k, s in best])
        return results

    def _rank(
        self, collection: _Collection, rows: list[dict[str, Any]], field: str, data: Sequence[Any]
    ) -> list[list[tuple[dict[str, Any], float]]]:
        """For each query in ``data``: (row, score) best first (ties by id, as a tie-break)."""
        if field == SPARSE_FIELD:
            if collection.keyword_input is None:
                raise FakeMilvusError(f"{collection.name} has no BM25 function")
            # Term statistics over the whole collection, as Milvus keeps them.
            with self._lock:
                every = [row[collection.keyword_input] for row in collection.rows.values()]
            scorer = _Bm25(every, *collection.bm25)
            texts = [row[collection.keyword_input] for row in rows]
            scored = [[scorer.score(text, str(terms)) for text in texts] for terms in data]
            # Milvus returns only rows that share a term with the query.
            keep = [[(r, s) for r, s in zip(rows, q, strict=True) if s > 0] for q in scored]
        else:
            if not rows:
                return [[] for _ in data]
            matrix = np.asarray([row[field] for row in rows], dtype=np.float32)
            matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            queries = np.asarray(data, dtype=np.float32)
            queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
            keep = [list(zip(rows, (matrix @ q).tolist(), strict=True)) for q in queries]
        primary = collection.primary
        return [sorted(found, key=lambda rs: (-rs[1], str(rs[0][primary]))) for found in keep]


def _fused(strategy: dict[str, Any], request: int, rank: int, score: float) -> float:
    params = strategy["params"]
    if strategy["strategy"] == "rrf":
        return 1.0 / (params["k"] + rank)
    if strategy["strategy"] == "weighted" and not params.get("norm_score", False):
        return params["weights"][request] * score
    raise NotImplementedError(f"FakeMilvusClient: ranker {strategy}")


def _shaped(collection: _Collection, row: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The row as Milvus returns it: the primary key and the asked-for fields."""
    wanted = [collection.primary, *(f for f in fields if f != collection.primary)]
    missing = [f for f in wanted if f not in collection.fields]
    if missing:
        raise FakeMilvusError(f"{collection.name} has no field(s) {missing}")
    return {f: row[f] for f in wanted if f in row}


def _hit(
    collection: _Collection, row: dict[str, Any], score: float, fields: Iterable[str]
) -> dict[str, Any]:
    entity = _shaped(collection, row, fields)
    entity.pop(collection.primary)
    return {"id": row[collection.primary], "distance": score, "entity": entity}


class _Pages:
    """A query iterator over rows already read."""

    def __init__(self, rows: list[dict[str, Any]], size: int) -> None:
        self._rows, self._size = rows, size

    def next(self) -> list[dict[str, Any]]:
        page, self._rows = self._rows[: self._size], self._rows[self._size :]
        return page

    def close(self) -> None:
        self._rows = []


class _Bm25:
    """BM25 over Milvus's ``standard`` tokenizer (word characters, lower-cased)."""

    def __init__(self, documents: Sequence[str], k1: float, b: float) -> None:
        self._docs = [_words(doc) for doc in documents]
        self._k1, self._b = k1, b
        self._avg = (sum(len(d) for d in self._docs) / len(self._docs)) if self._docs else 0.0
        self._df: dict[str, int] = {}
        for doc in self._docs:
            for word in set(doc):
                self._df[word] = self._df.get(word, 0) + 1

    def score(self, document: str, query: str) -> float:
        """The BM25 score of ``document`` (one of the collection's) for ``query``."""
        n, doc, score = len(self._docs), _words(document), 0.0
        for word in _words(query):
            tf = doc.count(word)
            if not tf:
                continue
            df = self._df[word]
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            norm = self._k1 * (1 - self._b + self._b * len(doc) / (self._avg or 1))
            score += idf * tf * (self._k1 + 1) / (tf + norm)
        return score


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


# --- filter expressions -------------------------------------------------------


_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)'
    r"|(?P<op>==|!=|>=|<=|>|<|\(|\)|\[|\]|,)|(?P<word>[A-Za-z_][A-Za-z_0-9]*))"
)
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\r": "\r", "\\t": "\t"}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


class Filter:
    """A Milvus boolean expression of the forms searchapp writes, as a predicate.

    Comparisons, ``in [...]``, ``like "prefix%"``, ``array_contains``, ``and``,
    ``or``, ``not`` and parentheses; anything else raises NotImplementedError,
    so a test never passes on an expression the fake only half understood.
    """

    def __init__(self, expression: str) -> None:
        self._expression = expression
        self._tokens = self._lex(expression)
        self._at = 0

    @classmethod
    def parse(cls, expression: str) -> Predicate:
        if not expression.strip():
            return lambda row: True
        parser = cls(expression)
        predicate = parser._or()
        if parser._at != len(parser._tokens):
            parser._unsupported()
        return predicate

    def _lex(self, expression: str) -> list[tuple[str, Any]]:
        tokens: list[tuple[str, Any]] = []
        at = 0
        while at < len(expression.rstrip()):
            match = _TOKEN.match(expression, at)
            if match is None or match.lastgroup is None:
                return self._unsupported()
            at = match.end()
            kind = match.lastgroup
            text = match.group(kind)
            if kind == "string":
                value = re.sub(r"\\.", lambda m: _UNESCAPE[m.group(0)], text[1:-1])
                tokens.append(("value", value))
            elif kind == "number":
                tokens.append(("value", float(text) if any(c in text for c in ".e") else int(text)))
            elif kind == "word" and text in ("true", "false"):
                tokens.append(("value", text == "true"))
            else:
                tokens.append((kind, text))
        return tokens

    def _unsupported(self) -> NoReturn:
        raise NotImplementedError(f"FakeMilvusClient cannot evaluate {self._expression!r}")

    def _peek(self) -> tuple[str, Any] | None:
        return self._tokens[self._at] if self._at < len(self._tokens) else None

    def _take(self, kind: str, text: str | None = None) -> Any:
        token = self._peek()
        if token is None or token[0] != kind or (text is not None and token[1] != text):
            return self._unsupported()
        self._at += 1
        return token[1]

    def _accept(self, kind: str, text: str) -> bool:
        if self._peek() == (kind, text):
            self._at += 1
            return True
        return False

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._accept("word", "or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda row: any(p(row) for p in parts)

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._accept("word", "and"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else lambda row: all(p(row) for p in parts)

    def _unary(self) -> Predicate:
        if self._accept("word", "not"):
            inner = self._unary()
            return lambda row: not inner(row)
        if self._accept("op", "("):
            inner = self._or()
            self._take("op", ")")
            return inner
        if self._accept("word", "array_contains"):
            self._take("op", "(")
            name = self._take("word")
            self._take("op", ",")
            value = self._take("value")
            self._take("op", ")")
            return lambda row: value in row[name]
        return self._comparison()

    def _comparison(self) -> Predicate:
        name = self._take("word")
        if self._accept("word", "in"):
            self._take("op", "[")
            values = []
            while not self._accept("op", "]"):
                values.append(self._take("value"))
                if self._peek() != ("op", "]"):
                    self._take("op", ",")
            return lambda row: row[name] in values
        if self._accept("word", "like"):
            pattern = self._take("value")
            if not isinstance(pattern, str) or "%" in pattern[:-1] or "_" in pattern:
                self._unsupported()
            if not pattern.endswith("%"):
                return lambda row: row[name] == pattern
            prefix = pattern[:-1]
            return lambda row: str(row[name]).startswith(prefix)
        operator = self._take("op")
        if operator not in _COMPARE:
            self._unsupported()
        value = self._take("value")
        compare = _COMPARE[operator]
        return lambda row: compare(row[name], value)


# --- the embedder -------------------------------------------------------------


class FakeTokenizer:
    """Word pieces as a Hugging Face tokenizer reports them for chunking: each run of
    word characters is a piece (cut into pieces of at most 8), and so is each other
    non-space character."""

    _PIECE = re.compile(r"\w{1,8}|[^\w\s]")

    def __call__(self, text: str, **_: object) -> dict[str, list[Any]]:
        spans = [m.span() for m in self._PIECE.finditer(text)]
        return {"offset_mapping": spans, "input_ids": list(range(len(spans)))}


class FakeTextEmbedder(TextEmbedder):
    """A text model named ``model_id`` whose vectors come from hashes of the words.

    Each word (lower-cased) seeds a random vector; a text's vector is their sum,
    normalised. Deterministic everywhere; shared words mean a positive cosine.
    """

    def __init__(self, model_id: str, *, dim: int = 384, max_tokens: int = 254) -> None:
        super().__init__(ModelIdentity(model_id, dim), batch_size=64)
        self._max_tokens = max_tokens
        self._tokenizer = FakeTokenizer()
        self.calls = 0  # batches embedded: a test can see the model was asked

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    @property
    def tokenizer(self) -> FakeTokenizer:
        return self._tokenizer

    def _embed_batch(self, batch: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self.vector(text) for text in batch])

    def vector(self, text: str) -> np.ndarray:
        words = _words(text) or [text]
        total = np.sum([_word_vector(word, self.dim) for word in words], axis=0)
        norm = float(np.linalg.norm(total))
        return (total / norm if norm else total).astype(np.float32)


def _word_vector(word: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big")
    return np.random.default_rng(seed).standard_normal(dim)


def fake_embedders(settings: Settings, **options: Any) -> Embedders:
    """searchapp's Embedders with every text model a :class:`FakeTextEmbedder` (named as
    asked, so identities and mismatches behave as with real models); CLIP and
    speech models load as configured (the tests' tiny random CLIP)."""
    return Embedders(settings, load_text=lambda name, backend: FakeTextEmbedder(name), **options)
