"""A deadline on reading one file, so a hung extraction cannot stop a run.

A parser can hang on a hostile or broken file (a PDF whose content streams
loop). The file is read in a thread of its own, and the reader waits at most
``seconds`` for it; past that, the file is reported as failed and the run goes
on. A Python thread cannot be killed, so the abandoned read keeps its thread
(and whatever CPU and memory it uses) until the parser returns by itself; it
is a daemon thread, so it never keeps the process from exiting, and its result
is dropped. (A process per file could be killed, but costs a process start
and pickling every file's text: many times the cost of reading a small file.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from searchapp.errors import ExtractError

Result = TypeVar("Result")


def within(seconds: float | None, work: Callable[[], Result], *, name: str) -> Result:
    """``work()``, or ExtractError when it takes longer than ``seconds`` (None: no limit).

    Exceptions of ``work`` are raised here, as if it had run in this thread.
    """
    if seconds is None:
        return work()
    outcome: list[Result] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the waiting thread, raised there
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"searchapp-read {name}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise ExtractError(
            f"reading took longer than {seconds:g} s (SEARCHAPP_EXTRACT_TIMEOUT_SECONDS); "
            "the file was skipped"
        )
    if failure:
        raise failure[0]
    return outcome[0]
