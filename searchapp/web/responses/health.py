"""What /healthz and /readyz answer."""

from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    ready: bool
    store: str  # "ok" or why not
    text_model: str  # "ok" or why not
    clip: str  # "ok" or why not: CLIP is optional, so it never makes the process unready
