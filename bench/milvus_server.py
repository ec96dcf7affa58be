"""A throwaway Milvus standalone server on this machine, for tests and benchmarks.

The PyPI package ``milvus`` (Milvus 2.3.5 standalone, the C++ engine with
embedded etcd and local storage) runs a real server without Docker. Its
``milvus-server`` launcher picks the proxy and coordinator ports it is given
(or the next free ones), but its embedded etcd always listens on 2379/2380 and
the server waits up to 30 minutes on SIGTERM. So this module gives etcd its own
ports through ``ETCD_CONFIG_PATH``, shortens the graceful stop, runs the
launcher in its own process group and stops the whole group, killing what
outlives the grace period.

Not used by searchapp itself: ``SEARCHAPP_MILVUS_URI`` points at real servers.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from searchapp.errors import StoreUnavailableError

# The launcher prints this once /healthz answered OK (and it waited a second more).
_READY_BANNER = "Ctrl+C to exit"
# The PyPI launcher checks each port by binding it without SO_REUSEADDR, so after a
# stop the old server's connections in TIME_WAIT (about a minute) make it refuse the
# port. The server itself (Go) listens with SO_REUSEADDR: the launcher's probe here
# does the same, so a restart binds the same ports at once.
_LAUNCHER = """
import socket, sys
import milvus

def try_bind_port(self, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        return sock
    except OSError:
        sock.close()
        return None

milvus.MilvusServerConfig.try_bind_port = try_bind_port
sys.exit(milvus.main())
"""

# Every port the launcher accepts, each given a free port of its own.
_PORT_OPTIONS = (
    "--proxy-port",
    "--proxy-internal-port",
    "--root-coord-port",
    "--query-coord-port",
    "--query-node-port",
    "--index-coord-port",
    "--index-node-port",
    "--data-coord-port",
    "--data-node-port",
)
# The server's own graceful stop can hang for 10 s in its query coordinator; a
# throwaway server's data does not need it.
_STOP_GRACE = 3.0
ROOT_TOKEN = "root:Milvus"  # the default superuser when authorization is on


@dataclass(frozen=True)
class ServerTls:
    """One-way TLS: the server's certificate and key, and the CA clients trust."""

    cert: Path
    key: Path
    ca: Path
    server_name: str = "localhost"


class StandaloneServer:
    """Start with :meth:`start`, connect to :attr:`uri`, always :meth:`stop`."""

    def __init__(
        self,
        folder: Path,
        *,
        tls: ServerTls | None = None,
        authorization: bool = False,
        start_timeout: float = 240.0,
    ) -> None:
        self.folder = folder.resolve()
        self.tls = tls
        self.authorization = authorization
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: TextIO | None = None
        self._ports: list[int] = []  # kept by restart(): clients find it at the same URI
        self.port = 0

    @property
    def uri(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return ROOT_TOKEN if self.authorization else ""

    @property
    def log_file(self) -> Path:
        return self.folder / "launcher.log"

    def start(self) -> StandaloneServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        ports = self._ports or free_ports(len(_PORT_OPTIONS) + 2)
        self._ports = ports
        etcd_client, etcd_peer = ports[-2:]
        etcd_config = self.folder / "embedEtcd.yaml"
        etcd_config.write_text(_embedded_etcd_config(etcd_client, etcd_peer))
        command = [
            sys.executable,
            "-c",
            _LAUNCHER,
            "--data",
            str(self.folder),
            "--etcd-port",
            str(etcd_client),
            "--extra-config",
            "common.gracefulStopTimeout=3",
        ]
        for option, port in zip(_PORT_OPTIONS, ports, strict=False):
            command += [option, str(port)]
        if self.authorization:
            command += ["--authorization-enabled", "true"]
        if self.tls:
            command += [
                "--tls-mode",
                "1",
                "--server-pem-path",
                str(self.tls.cert),
                "--server-key-path",
                str(self.tls.key),
                "--ca-pem-path",
                str(self.tls.ca),
            ]
        env = {**os.environ, "ETCD_CONFIG_PATH": str(etcd_config), "PYTHONUNBUFFERED": "1"}
        self._log = open(self.log_file, "w")  # noqa: SIM115 - closed in stop()
        # A process group of its own: stop() can end the launcher and the server it spawns.
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.folder,
            start_new_session=True,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise StoreUnavailableError(f"milvus-server exited early: {self._tail()}")
            if _READY_BANNER in self.log_file.read_text(errors="replace"):
                self.port = _configured_proxy_port(self.folder / "configs" / "milvus.yaml")
                return
            time.sleep(0.25)
        raise StoreUnavailableError(
            f"milvus-server did not start within {self._start_timeout:.0f}s: {self._tail()}"
        )

    def stop(self) -> None:
        """Stop the launcher and the server (SIGTERM, then SIGKILL after a grace period)."""
        process, self._process = self._process, None
        if process is not None:
            _signal_group(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + _STOP_GRACE
            while _group_alive(process.pid) and time.monotonic() < deadline:
                process.poll()
                time.sleep(0.1)
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=_STOP_GRACE)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> StandaloneServer:
        """Stop and start again on the same ports and data (an outage, for tests).

        The launcher moves to another port when the one asked for cannot be bound:
        wait until no process listens on them (the old server's children may take a
        moment to exit), so clients find the server at the same URI.
        """
        self.stop()
        deadline = time.monotonic() + self._start_timeout
        while not all(_bindable(port) for port in self._ports):
            if time.monotonic() > deadline:
                raise StoreUnavailableError(f"ports {self._ports} stayed busy after a stop")
            time.sleep(0.5)
        return self.start()

    def __enter__(self) -> StandaloneServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _tail(self, lines: int = 15) -> str:
        texts = []
        for path in (self.log_file, self.folder / "logs" / "milvus-stderr.log"):
            if path.exists():
                texts += path.read_text(errors="replace").strip().splitlines()[-lines:]
        return " | ".join(texts) or "(no log)"


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports that were free a moment ago (held open together)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def make_self_signed_tls(folder: Path, server_name: str = "localhost") -> ServerTls:
    """A CA and a server certificate it signed, valid for ``server_name`` and 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "searchapp test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, server_name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(server_name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = ServerTls(
        cert=folder / "server.pem",
        key=folder / "server.key",
        ca=folder / "ca.pem",
        server_name=server_name,
    )
    paths.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def _embedded_etcd_config(client_port: int, peer_port: int) -> str:
    client = f"http://127.0.0.1:{client_port}"
    peer = f"http://127.0.0.1:{peer_port}"
    return (
        "name: default\n"
        f"listen-client-urls: {client}\n"
        f"advertise-client-urls: {client}\n"
        f"listen-peer-urls: {peer}\n"
        f"initial-advertise-peer-urls: {peer}\n"
        f"initial-cluster: default={peer}\n"
    )


def _configured_proxy_port(config: Path) -> int:
    """The proxy port the launcher wrote (it moves on when the one asked for is taken)."""
    in_proxy = False
    for line in config.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            in_proxy = line.startswith("proxy:")
        elif in_proxy and (match := re.fullmatch(r"  port: (\d+).*", line)):
            return int(match.group(1))
    raise StoreUnavailableError(f"no proxy port in {config}")


def _bindable(port: int) -> bool:
    # As the launcher (patched by _LAUNCHER) and Go's listeners bind: with SO_REUSEADDR,
    # so only a live listener blocks the port, not the old server's TIME_WAIT connections.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has exited already
        os.killpg(pid, signum)


def _group_alive(pgid: int) -> bool:
    """True while a process of the group runs (zombies waiting for a reaper do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    proc = Path("/proc")
    if not proc.is_dir():  # no /proc (macOS): trust the signal probe
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False
