"""The shared Milvus Lite store process: ``python -m searchapp.store.local_server``.

A Milvus Lite folder can be opened by one process only. To let ``serve``,
``ingest`` and ``worker`` use the embedded store at the same time, one
background process opens it and serves Milvus's gRPC API on 127.0.0.1; every
searchapp command connects to that. It writes its address to an info file
(atomically, after it is listening) and removes it on a clean stop.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

log = logging.getLogger("searchapp.store.local_server")


def write_info(path: Path, info: dict[str, object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, path)


def serve(data_dir: Path, info_file: Path, token: str) -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    try:
        from milvus_lite.adapter.grpc.server import start_server_in_thread

        # Port 0: the OS picks a free port, so two stores never race for one.
        server, db, port = start_server_in_thread(str(data_dir), host="127.0.0.1", port=0)
    except Exception as exc:
        # Tell the starter at once (it waits on this file), then fail loudly.
        write_info(info_file, {"pid": os.getpid(), "token": token, "error": str(exc)})
        raise
    write_info(
        info_file,
        {
            "pid": os.getpid(),
            "token": token,
            "host": "127.0.0.1",
            "port": port,
            "data_dir": str(data_dir),
            "started": time.time(),
        },
    )
    log.info("Milvus Lite store for %s listening on 127.0.0.1:%d", data_dir, port)
    try:
        stop.wait()
    finally:
        server.stop(grace=5).wait()
        db.close()
        info_file.unlink(missing_ok=True)
        log.info("Milvus Lite store for %s stopped", data_dir)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--info-file", type=Path, required=True)
    parser.add_argument("--token", default="", help="echoed in the info file for the starter")
    parser.add_argument(
        "--detach", action="store_true", help="fork into the background and return at once"
    )
    args = parser.parse_args(argv)
    if args.detach and os.fork() > 0:
        # The starter waits for this parent, which exits at once; the child is
        # then nobody's child (init reaps it), so no zombie outlives a stop.
        os._exit(0)
    if args.detach:
        os.setsid()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(args.data_dir, args.info_file, args.token)


if __name__ == "__main__":
    main()
