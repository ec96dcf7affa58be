"""`searchapp` commands as processes forked from a warm server, for tests that start
many of them (the crash test starts 22 ingest runs and kills 20).

A fresh `python -m searchapp.cli ingest` spends most of its start importing torch
and open_clip (5 s on a quiet machine here, 15-20 s under load) before its first
write. The standard library's forkserver imports them once (its preload) and
forks every run from there: each run is still a process of its own, with its own
environment, killed with a real SIGKILL, reaped by its exit code; only the
imports are shared, as pages copied on write.

`WarmRun` has the part of `subprocess.Popen`'s interface the tests use.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

# Imported by the forkserver before it forks anything: the slow part of a start.
PRELOAD = ["searchapp.cli", "open_clip", "torch", "onnxruntime", "pymilvus"]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)


def _run(
    argv: list[str],
    env: dict[str, str],
    out: Connection | str,
    err: Connection | None,
    cwd: str | None,
) -> None:
    """The child: the given environment, folder and argv; stdout and stderr on the
    pipes (stderr on stdout's when ``err`` is None), or both in the file named by
    ``out``."""
    os.environ.clear()
    os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
    if isinstance(out, str):
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    else:
        os.dup2(out.fileno(), 1)
        os.dup2((err or out).fileno(), 2)
        out.close()
        if err is not None:
            err.close()
    from searchapp.cli import main

    sys.argv = ["searchapp", *argv]
    try:
        main()
    except SystemExit as exit_:
        sys.stdout.flush()
        sys.stderr.flush()
        # multiprocessing turns SystemExit's code into the exit code
        raise SystemExit(exit_.code if isinstance(exit_.code, int) else 1) from None
    sys.stdout.flush()
    sys.stderr.flush()


class WarmRun:
    """A forked `searchapp ARGV...`; stdout and stderr are binary pipes, or one pipe
    (``stderr`` None) with ``stderr_to_stdout``, as Popen's ``stderr=STDOUT``; or,
    with ``log``, both written to that file (no pipes: a long-running server)."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        *,
        stderr_to_stdout: bool = False,
        log: Path | None = None,
        cwd: Path | None = None,
    ) -> None:
        out_read = out_write = err_read = err_write = None
        if log is None:
            out_read, out_write = _context.Pipe(duplex=False)
            if not stderr_to_stdout:
                err_read, err_write = _context.Pipe(duplex=False)
        output = str(log) if out_write is None else out_write
        folder = None if cwd is None else str(cwd)
        self._process = _context.Process(
            target=_run, args=(list(argv), dict(env), output, err_write, folder), daemon=True
        )
        self._process.start()
        self.pid = self._process.pid
        # The child holds its own copies: ours closed, EOF comes when it ends.
        self.stdout = None if out_read is None else self._reader(out_read, out_write)
        self.stderr = None if err_read is None else self._reader(err_read, err_write)

    @staticmethod
    def _reader(read: Connection, write: Connection | None) -> IO[bytes]:
        if write is not None:
            write.close()
        stream = os.fdopen(os.dup(read.fileno()), "rb")
        read.close()
        return stream

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def kill(self) -> None:
        self._process.kill()

    def terminate(self) -> None:
        self._process.terminate()

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def wait(self, timeout: float | None = None) -> int:
        """The exit code, once the run ended; TimeoutExpired if it did not in time."""
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(["searchapp"], timeout or 0)
        return self._process.exitcode

    def communicate(self, timeout: float | None = None) -> tuple[bytes, bytes | None]:
        """The pipes read to their end (stdout in a thread: neither can fill and
        block the child), then the exit code reaped."""
        stdout = self.stdout
        assert stdout is not None, "a run with a log file has no pipes"
        out: list[bytes] = []
        reader = threading.Thread(target=lambda: out.append(stdout.read()), daemon=True)
        reader.start()
        err = self.stderr.read() if self.stderr is not None else None
        reader.join(timeout)
        self._process.join(timeout)
        stdout.close()
        if self.stderr is not None:
            self.stderr.close()
        return (out[0] if out else b""), err


def run(
    argv: Sequence[str], env: dict[str, str], *, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """`searchapp ARGV...` forked warm, to its end: as ``subprocess.run`` with
    ``capture_output=True, text=True``; killed and TimeoutExpired past ``timeout``."""
    process = WarmRun(argv, env)
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        process.kill()  # the pipes close: communicate() returns

    timer = threading.Timer(timeout, expire) if timeout is not None else None
    if timer is not None:
        timer.start()
    try:
        out, err = process.communicate()
    finally:
        if timer is not None:
            timer.cancel()
    if timed_out.is_set():
        raise subprocess.TimeoutExpired(["searchapp", *argv], timeout or 0)
    return subprocess.CompletedProcess(
        ["searchapp", *argv], process.returncode, out.decode(), (err or b"").decode()
    )
