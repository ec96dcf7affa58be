"""The body of every error answer (4xx, 503): one message for a person."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorResponse(BaseModel):
    detail: str = Field(description="What went wrong, for a person to read.")
