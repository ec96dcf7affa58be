"""docker-compose.yml and the Dockerfile say what docs/deployment.md promises.

Docker cannot run on the machines this suite runs on, so these tests read the
files: services, pinned images, health checks, volumes, ports, and the
environment that wires searchapp to Milvus and Milvus to etcd and MinIO.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from searchapp.config import Settings

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
DOCKERFILE = (REPO / "Dockerfile").read_text()

PINNED = {
    "etcd": r"quay\.io/coreos/etcd:v3\.5\.\d+",
    "minio": r"minio/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ",
    "standalone": r"milvusdb/milvus:v2\.6\.\d+",
}


def environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment", {})
    if isinstance(env, list):  # ["KEY=value", ...]
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def command(service: str) -> list[str]:
    value = SERVICES[service]["command"]
    return shlex.split(value) if isinstance(value, str) else list(value)


def named_volumes(service: str) -> dict[str, str]:
    """Named volume -> mount point (bind mounts, which start with . / or $, left out)."""
    mounts = {}
    for entry in SERVICES[service].get("volumes", []):
        source, target = entry.split(":")[:2]
        if not source.startswith((".", "/", "$")):
            mounts[source] = target
    return mounts


def test_the_services() -> None:
    assert set(SERVICES) == {"etcd", "minio", "standalone", "web", "worker"}


@pytest.mark.parametrize("service", sorted(PINNED))
def test_milvus_images_are_pinned(service: str) -> None:
    assert re.fullmatch(PINNED[service], SERVICES[service]["image"])


def test_our_image_is_built_here_and_versioned() -> None:
    for service in ("web", "worker"):
        assert SERVICES[service]["build"] == "."
        assert SERVICES[service]["image"] == "searchapp:0.1.0"
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'version = "0.1.0"' in pyproject


@pytest.mark.parametrize("service", ["etcd", "minio", "standalone", "web"])
def test_health_checks(service: str) -> None:
    check = SERVICES[service]["healthcheck"]
    assert check["test"][0] == "CMD"
    assert {"interval", "timeout", "retries"} <= set(check)


def test_milvus_health_check_is_its_healthz() -> None:
    assert "http://localhost:9091/healthz" in SERVICES["standalone"]["healthcheck"]["test"]


def test_start_order_waits_for_health() -> None:
    assert SERVICES["standalone"]["depends_on"] == {
        "etcd": {"condition": "service_healthy"},
        "minio": {"condition": "service_healthy"},
    }
    for service in ("web", "worker"):
        assert SERVICES[service]["depends_on"] == {"standalone": {"condition": "service_healthy"}}


def test_data_lives_in_named_volumes() -> None:
    declared = set(COMPOSE["volumes"])
    assert named_volumes("etcd") == {"etcd": "/etcd"}
    assert named_volumes("minio") == {"minio": "/minio_data"}
    assert named_volumes("standalone") == {"milvus": "/var/lib/milvus"}
    assert "--data-dir /etcd" in SERVICES["etcd"]["command"]
    assert "/minio_data" in command("minio")
    for service in ("web", "worker"):
        assert named_volumes(service) == {"searchapp-state": "/var/lib/searchapp"}
        assert environment(service)["SEARCHAPP_STATE_DIR"] == "/var/lib/searchapp"
    used = {name for service in SERVICES for name in named_volumes(service)}
    assert used == declared


def test_milvus_is_wired_to_etcd_and_minio() -> None:
    env = environment("standalone")
    assert env["ETCD_ENDPOINTS"] == "etcd:2379"
    assert "-listen-client-urls http://0.0.0.0:2379" in SERVICES["etcd"]["command"]
    assert env["MINIO_ADDRESS"] == "minio:9000"
    assert command("minio")[:2] == ["minio", "server"]
    assert command("standalone") == ["milvus", "run", "standalone"]


def test_searchapp_is_wired_to_milvus() -> None:
    published = SERVICES["standalone"]["ports"]
    assert "127.0.0.1:19530:19530" in published  # gRPC, for commands on the host
    for service in ("web", "worker"):
        env = environment(service)
        assert env["SEARCHAPP_MILVUS_URI"] == "http://standalone:19530"
        # Every SEARCHAPP_* variable is a real setting (a typo would be ignored silently).
        for name in env:
            if name.startswith("SEARCHAPP_"):
                assert name.removeprefix("SEARCHAPP_").lower() in Settings.model_fields, name
        settings = Settings.model_validate(
            {
                key.removeprefix("SEARCHAPP_").lower(): value
                for key, value in env.items()
                if key.startswith("SEARCHAPP_") and "${" not in value
            }
        )
        assert not settings.uses_milvus_lite


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_ports_are_published_on_localhost_only(service: str) -> None:
    # "8000:8000" would publish on every interface of the host: anyone on the
    # network could search and upload. Exposing it is a choice (docs/deployment.md, Security).
    for port in SERVICES[service].get("ports", []):
        assert str(port).startswith("127.0.0.1:"), (service, port)


def test_web_access_settings_are_passed_through() -> None:
    env = environment("web")
    # serve listens on 0.0.0.0 in the container, so a login is needed unless said otherwise.
    assert env["SEARCHAPP_AUTH"] == "${SEARCHAPP_AUTH:-auto}"
    assert "SEARCHAPP_ALLOWED_HOSTS" in env and "SEARCHAPP_READ_ONLY" in env
    for name in ("SEARCHAPP_AUTH", "SEARCHAPP_ALLOWED_HOSTS", "SEARCHAPP_READ_ONLY"):
        assert name.lower().removeprefix("searchapp_") in Settings.model_fields


def test_web_and_worker_commands() -> None:
    assert command("web")[:2] == ["searchapp", "serve"]
    assert "127.0.0.1:8000:8000" in SERVICES["web"]["ports"]
    assert "--port" in command("web") and command("web")[command("web").index("--port") + 1] == (
        "8000"
    )
    # The web service is healthy when it can search (a route the app has), not merely up.
    assert "http://localhost:8000/readyz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert command("worker") == ["searchapp", "worker", "/documents"]
    mounts = [v for v in SERVICES["worker"]["volumes"] if ":/documents" in v]
    assert mounts and mounts[0].endswith(":ro")  # the worker only reads the documents
    assert "INGEST_INTERVAL" in environment("worker")["SEARCHAPP_WATCH_RESCAN_SECONDS"]
    # The web process queues uploads where the worker reads them: one state volume.
    for service in ("web", "worker"):
        assert "searchapp-state:/var/lib/searchapp" in SERVICES[service]["volumes"]


def test_dockerfile_builds_a_cpu_image_that_works_offline() -> None:
    assert re.search(r"^FROM python:3\.11-slim$", DOCKERFILE, re.MULTILINE)
    assert "--index-url https://download.pytorch.org/whl/cpu -c constraints.txt torch" in (
        DOCKERFILE
    )
    assert "pip install -c constraints.txt '.[media]'" in DOCKERFILE  # audio and video too
    assert "HF_HUB_OFFLINE=1" in DOCKERFILE
    assert re.search(r"^USER searchapp$", DOCKERFILE, re.MULTILINE)
    assert "ENTRYPOINT" not in DOCKERFILE  # compose runs `searchapp ...` and `sh -c` alike
    assert 'searchapp = "searchapp.cli:main"' in (REPO / "pyproject.toml").read_text()
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests", "data"} <= set(ignored)
