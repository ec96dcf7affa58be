"""Console output shared by the commands: where text goes, and how errors end a command."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.text import Text

# Results go to stdout (pipe-able); progress, summaries and errors to stderr.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


class _FromOpenClip(logging.Filter):
    """open_clip logs through the root logger, so it cannot be quieted by name."""

    def filter(self, record: logging.LogRecord) -> bool:
        return f"{os.sep}open_clip{os.sep}" not in record.pathname


def quiet_third_party_logs() -> None:
    """Our own messages say what failed; libraries' internal logs only repeat it."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for name in (
        "pymilvus",
        "transformers",
        "sentence_transformers",
        "huggingface_hub",
        "pypdf",
        "grpc",  # the in-process Milvus Lite server logs calls it does not implement
        "python_multipart",  # logs each malformed upload; the API's 400 says what was wrong
    ):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    root = logging.getLogger()
    if not any(isinstance(f, _FromOpenClip) for f in root.filters):
        root.addFilter(_FromOpenClip())
    # transformers reads these when it is first imported: importing it here to set
    # them would cost a query-only command (ONNX backend) about a second.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    hf_logging = sys.modules.get("transformers.utils.logging")
    if hf_logging is not None:  # already imported: set them on it directly
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


@contextmanager
def command_errors() -> Iterator[None]:
    """Turn a searchapp error into one line on stderr and exit status 1."""
    from searchapp.errors import SearchappError

    try:
        yield
    except SearchappError as exc:
        err.print(Text.assemble(("error: ", "bold red"), str(exc)))
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
