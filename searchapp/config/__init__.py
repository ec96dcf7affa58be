"""Settings: one validated object, read from ``SEARCHAPP_*`` variables and ``.env``.

Nothing here runs at import time: call :func:`get_settings` where settings are
needed (it builds them once), or build a :class:`Settings` yourself in tests.

Each area's settings (fields, their validators and derived values) live in their
own module as a plain pydantic model; :class:`Settings` composes them into the one
pydantic-settings class, and holds only what spans areas.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from searchapp.config.access import AccessSettings
from searchapp.config.explore import ExploreSettings
from searchapp.config.ingest import IngestSettings
from searchapp.config.limits import LimitsSettings
from searchapp.config.media import MediaSettings
from searchapp.config.models import (
    DEFAULT_TEXT_MODEL,
    PILLOW_MAX_IMAGE_PIXELS,
    ModelSettings,
    TextBackend,
)
from searchapp.config.search import SearchSettings
from searchapp.config.store import StoreSettings, redacted_uri
from searchapp.config.worker import WorkerSettings
from searchapp.errors import ConfigError

__all__ = [
    "DEFAULT_TEXT_MODEL",
    "PILLOW_MAX_IMAGE_PIXELS",
    "Settings",
    "TextBackend",
    "get_settings",
    "redacted_uri",
    "settings_table",
]


# pydantic orders the fields from the last base to the first: the areas are listed
# bottom-up so that the settings table (and the JSON schema) read store first.
class Settings(
    ExploreSettings,
    MediaSettings,
    AccessSettings,
    LimitsSettings,
    WorkerSettings,
    SearchSettings,
    IngestSettings,
    ModelSettings,
    StoreSettings,
    BaseSettings,
):
    """Every knob of searchapp. Environment: ``SEARCHAPP_<FIELD>`` (case-insensitive)."""

    model_config = SettingsConfigDict(
        env_prefix="SEARCHAPP_", env_file=".env", extra="ignore", validate_default=True
    )

    # --- what spans areas -------------------------------------------------------
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

    @field_validator("watch_roots", "file_roots")
    @classmethod
    def _expand_roots(cls, value: list[Path]) -> list[Path]:
        return [root.expanduser().resolve() for root in value]

    @property
    def resolved_uploads_dir(self) -> Path:
        return self.uploads_dir or self.state_dir / "uploads"

    @property
    def worker_queue_path(self) -> Path:
        """The worker's durable queue and status (SQLite), shared by serve and worker."""
        return self.state_dir / "worker-queue.db"


def settings_table() -> str:
    """The settings tables of docs/configuration.md, one per area, made from the fields."""
    areas = [
        base
        for base in reversed(Settings.__bases__)
        if issubclass(base, BaseModel) and base is not BaseSettings
    ]
    in_areas = {name for area in areas for name in area.model_fields}
    if outside := sorted(set(Settings.model_fields) - in_areas):
        raise ValueError(f"declare {', '.join(outside)} in its area's module, not on Settings")
    sections = []
    for area in areas:
        module = area.__module__.rpartition(".")[2]
        doc = (area.__doc__ or "").strip()
        lines = [
            f"**{module.capitalize()}** (`searchapp/config/{module}.py`): {doc}",
            "",
            "| variable | default | meaning |",
            "| --- | --- | --- |",
        ]
        for name in area.model_fields:
            field = Settings.model_fields[name]
            if field.default_factory is not None:
                default = "~/.local/share/searchapp" if name == "state_dir" else "(computed)"
            else:
                default = "(none)" if field.default in (None, "") else str(field.default)
            lines.append(f"| `SEARCHAPP_{name.upper()}` | `{default}` | {field.description} |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


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
