"""`searchapp worker`: keep folders ingested, and ingest what is uploaded to the API."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from searchapp.cli.output import command_errors, err


def worker_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders to keep ingested (default: SEARCHAPP_WATCH_ROOTS). The uploads "
            "folder (SEARCHAPP_UPLOADS_DIR) is always included.",
            show_default=False,
        ),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Rescan the folders, drain the queue, then exit (for cron jobs and tests).",
        ),
    ] = False,
    batch_files: Annotated[
        int | None,
        typer.Option(
            "--batch", min=1, max=1000, help="Files per ingest call (SEARCHAPP_WORKER_BATCH_FILES)."
        ),
    ] = None,
) -> None:
    """Run continuously: watch folders, and ingest each file that appears, changes or
    is uploaded; remove the rows of each file that is deleted.

    File-system events are the fast path; a rescan at start and every
    SEARCHAPP_WATCH_RESCAN_SECONDS catches anything missed. Work is queued in a
    database in the state folder: a request accepted by the API, or a change
    seen, is done even if the worker is stopped or killed in between (run it
    again). Ctrl-C or SIGTERM finishes the current batch and stops; a second
    one stops at once (the batch goes back to the queue). `GET /api/ingest/status`
    shows the queue.
    """
    from searchapp.app import App
    from searchapp.config import get_settings
    from searchapp.worker import JobQueue, Worker, WorkerOptions

    with command_errors():
        settings = get_settings()
        uploads = settings.resolved_uploads_dir
        uploads.mkdir(parents=True, exist_ok=True)
        watched = [p.expanduser().resolve() for p in paths] if paths else settings.watch_roots
        roots = tuple(dict.fromkeys([*watched, uploads]))
        options = WorkerOptions(
            roots=roots,
            batch_files=batch_files or settings.worker_batch_files,
            rescan_seconds=settings.watch_rescan_seconds,
            debounce_seconds=settings.watch_debounce_seconds,
            once=once,
        )
        with App(settings) as app:
            worker = Worker(app, JobQueue(settings.worker_queue_path), options)
            stop = threading.Event()
            _on_stop_signals(stop)
            err.print(
                f"searchapp worker {worker.identity.id}: "
                + ("draining the queue" if once else "watching")
                + f" {', '.join(map(str, roots))}",
                markup=False,
            )
            totals = worker.run(stop)
    err.print(
        f"worker stopped: {totals.done} file(s) done, {totals.failed} failed, "
        f"{totals.batches} batch(es)",
        markup=False,
    )


def _on_stop_signals(stop: threading.Event) -> None:
    """First SIGTERM/SIGINT: finish the batch, then stop. Second: stop now."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        err.print(
            f"{signal.Signals(signum).name}: stopping after the current batch (again to stop now)",
            markup=False,
        )
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
