"""Settings of access control: who may log in, which host names, which files are served."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import NoDecode


class AccessSettings(BaseModel):
    """Who must log in, which host names are answered, which files are served."""

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

    file_roots: Annotated[list[Path], NoDecode] = Field(
        default=[],
        description="Folders whose files the web app may serve (an ingested item's file "
        "and thumbnail), separated by ':' or as a JSON list. Empty: the folders given to "
        "`searchapp ingest`, as it records them in STATE_DIR.",
    )

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
