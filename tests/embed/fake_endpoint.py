"""A fake OpenAI-compatible /v1/embeddings server for tests: deterministic vectors
from the text, faults to order (an HTTP status with headers, or a hang)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

KEY = "sk-test-7f3a9c1e5b"
DIM = 16
MODEL = "fake-embed"


def vector(text: str, dim: int = DIM) -> np.ndarray:
    """The fake model: a vector seeded by the text (not normalised, as some servers)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32) * 3


class FakeServer:
    """An OpenAI-style /v1/embeddings with faults to order: each queued fault answers
    one request instead of the model."""

    def __init__(self) -> None:
        self.faults: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()  # ends a "hang" fault (at teardown at the latest)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append(
                        {**body, "path": self.path, "auth": self.headers.get("Authorization")}
                    )
                    fault = server.faults.pop(0) if server.faults else None
                if fault and fault.get("hang"):
                    server.release.wait(60)
                    return
                if fault:
                    return self._send(fault["status"], fault.get("body", {}), fault.get("headers"))
                if self.path != "/v1/embeddings":
                    return self._send(404, {"error": {"message": "no such route"}})
                if self.headers.get("Authorization") != f"Bearer {KEY}":
                    # As OpenAI does: the refused key is quoted back.
                    got = self.headers.get("Authorization", "")
                    return self._send(401, {"error": {"message": f"Incorrect API key: {got}"}})
                if body["model"] != MODEL:
                    message = f"The model `{body['model']}` does not exist"
                    return self._send(404, {"error": {"message": message}})
                dim = body.get("dimensions", DIM)
                data = [
                    {"object": "embedding", "index": i, "embedding": vector(t, dim).tolist()}
                    for i, t in enumerate(body["input"])
                ]
                data.reverse()  # rows may come in any order: "index" says which is which
                self._send(200, {"object": "list", "data": data, "model": MODEL})

            def _send(self, status: int, payload: Any, headers: dict | None = None) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.requests.clear()


@contextmanager
def running() -> Iterator[FakeServer]:
    """A started FakeServer, shut down (any hang released) on the way out."""
    server = FakeServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.httpd.shutdown()
        server.httpd.server_close()
