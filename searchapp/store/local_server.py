"""The shared Milvus Lite store process: ``python -m searchapp.store.local_server``.

A Milvus Lite folder can be opened by one process only. To let ``serve``,
``ingest`` and ``worker`` use the embedded store at the same time, one
background process opens it and serves Milvus's gRPC API; every searchapp
command connects to that. It writes its address to an info file (atomically,
after it is listening) and removes it on a clean stop.

Access: Milvus Lite's gRPC server has no authentication, so it listens on a
Unix socket (not TCP) created 0600 in the 0700 state folder: only this user
can connect. Lifecycle: it exits after ``--idle-exit`` seconds without a
request, and at once when its folder is deleted or replaced.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc

log = logging.getLogger("searchapp.store.local_server")

# How often the process looks at its folder and its idle time.
_CHECK_INTERVAL = 1.0
# Milvus standalone's message limits; Lite's own server uses the same.
_MAX_MESSAGE_SIZE = 256 * 1024 * 1024
_WORKERS = 10


def write_info(path: Path, info: dict[str, object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, path)


class Activity(grpc.ServerInterceptor):
    """Counts requests in flight and remembers when the last one ended."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._last = time.monotonic()

    def idle_for(self) -> float:
        """Seconds since the last request ended; 0 while one runs."""
        with self._lock:
            return 0.0 if self._in_flight else time.monotonic() - self._last

    def intercept_service(
        self, continuation: Callable[[Any], Any], handler_call_details: Any
    ) -> Any:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler  # Milvus's API is unary; anything else passes uncounted
        inner = handler.unary_unary

        def counted(request: Any, context: Any) -> Any:
            with self._lock:
                self._in_flight += 1
            try:
                return inner(request, context)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._last = time.monotonic()

        return grpc.unary_unary_rpc_method_handler(
            counted,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _folder_identity(data_dir: Path) -> tuple[int, int] | None:
    try:
        stat = data_dir.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _build_server(db: Any, activity: Activity) -> grpc.Server:
    from milvus_lite.adapter.grpc.servicer import MilvusServicer
    from pymilvus.grpc_gen import milvus_pb2_grpc

    # Lite's own start_server_in_thread binds TCP only and takes no interceptor.
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=_WORKERS),
        interceptors=[activity],
        options=[
            ("grpc.max_receive_message_length", _MAX_MESSAGE_SIZE),
            ("grpc.max_send_message_length", _MAX_MESSAGE_SIZE),
            # pymilvus pings every 10 s, also between calls; gRPC's default server
            # policy answers that with GOAWAY "too_many_pings", dropping the connection.
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", 5000),
            ("grpc.http2.max_ping_strikes", 0),
        ],
    )
    milvus_pb2_grpc.add_MilvusServiceServicer_to_server(MilvusServicer(db), server)
    return server


def serve(data_dir: Path, info_file: Path, socket_path: Path, token: str, idle_exit: float) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    activity = Activity()
    try:
        from milvus_lite.db import MilvusLite

        db = MilvusLite(str(data_dir))
        server = _build_server(db, activity)
        socket_path.unlink(missing_ok=True)  # a stale socket of a killed process
        if not server.add_insecure_port(f"unix:{socket_path}"):
            raise OSError(f"cannot listen on {socket_path}")
        server.start()
    except Exception as exc:
        # Tell the starter at once (it waits on this file), then fail loudly.
        write_info(info_file, {"pid": os.getpid(), "token": token, "error": str(exc)})
        raise
    folder = _folder_identity(data_dir)
    write_info(
        info_file,
        {
            "pid": os.getpid(),
            "token": token,
            "socket": str(socket_path),
            "data_dir": str(data_dir),
            "started": time.time(),
        },
    )
    log.info("Milvus Lite store for %s listening on %s", data_dir, socket_path)
    reason = "stopped"
    try:
        while not stop.wait(_CHECK_INTERVAL):
            if _folder_identity(data_dir) != folder:
                reason = "its folder is gone"
                break
            if idle_exit > 0 and activity.idle_for() >= idle_exit:
                reason = f"idle for {idle_exit:g} s"
                break
    finally:
        server.stop(grace=5).wait()
        try:
            db.close()
        except Exception:  # the folder may be gone: nothing is left to save
            log.warning("closing the store for %s failed", data_dir, exc_info=True)
        if reason != "its folder is gone":
            info_file.unlink(missing_ok=True)
            socket_path.unlink(missing_ok=True)
        log.info("Milvus Lite store for %s exits: %s", data_dir, reason)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--info-file", type=Path, required=True)
    parser.add_argument("--socket", type=Path, required=True, help="Unix socket to listen on")
    parser.add_argument("--token", default="", help="echoed in the info file for the starter")
    parser.add_argument(
        "--idle-exit", type=float, default=0.0, help="exit after this many idle seconds; 0: never"
    )
    parser.add_argument(
        "--detach", action="store_true", help="fork into the background and return at once"
    )
    args = parser.parse_args(argv)
    # Lite's files, the socket and the info file: this user's only.
    os.umask(0o077)
    if args.detach and os.fork() > 0:
        # The starter waits for this parent, which exits at once; the child is
        # then nobody's child (init reaps it), so no zombie outlives a stop.
        os._exit(0)
    if args.detach:
        os.setsid()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(args.data_dir, args.info_file, args.socket, args.token, args.idle_exit)


if __name__ == "__main__":
    main()
