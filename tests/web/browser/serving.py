"""What the browser tests share: the chromium they drive, and a corpus ingested and
served by real `searchapp` processes on a free port."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.environment import searchapp_environment
from tests.polling import free_port
from tests.warm_cli import WarmRun

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "data"
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium")
# Flags for a headless browser in a container: no sandbox (root), no GPU, and none
# of the background traffic (updates, sync) that cannot reach the internet here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The marks of every browser test module.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (apt-get install -y chromium; "
        "`make test` installs it)",
    ),
]


def _environment(state_dir: Path) -> dict[str, str]:
    # Ingest, then serve, each opening the store itself: no background store process.
    return searchapp_environment(state_dir, SEARCHAPP_LITE_SHARED="0")


def _wait_ready(url: str, process: WarmRun, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"searchapp serve exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening or not ready yet
        time.sleep(0.5)
    pytest.fail(f"searchapp serve was not ready within 180 s:\n{log.read_text()}")


@contextmanager
def serving(corpus: Path, work: Path, **settings: str) -> Iterator[tuple[str, Path]]:
    """`searchapp ingest CORPUS`, then `searchapp serve` on a free port, with extra
    SEARCHAPP_* ``settings``: its base URL and its log."""
    env = {**_environment(work / "state"), **settings}
    # Forked warm (tests/warm_cli.py): each still a process of its own, without the
    # seconds of importing torch and open_clip.
    ingesting = WarmRun(["ingest", str(corpus)], env, cwd=work)
    _, errors = ingesting.communicate(timeout=600)
    assert ingesting.returncode == 0, (errors or b"").decode()
    port = free_port()
    log = work / "serve.log"
    process = WarmRun(
        ["serve", "--port", str(port), "--log-level", "warning"], env, log=log, cwd=work
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def screenshot(tab: Any, name: str) -> None:
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
