"""Liveness and readiness, for process supervisors and load balancers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from searchapp.errors import SearchappError
from searchapp.store import TEXT_SPEC
from searchapp.web.deps import AppDep
from searchapp.web.responses import Health, Readiness
from searchapp.web.security import Caller

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (it answers); says nothing about the store or models."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "store or text model not ready"}},
)
def readyz(app: AppDep, caller: Caller) -> JSONResponse:
    """Ready to search: the store answers and the text model is loaded.

    Open to every caller (probes carry no token); why a part is not ready is said
    to admins only, since it names paths and addresses on the server.
    """
    details = caller.sees_full_paths
    store = _check(lambda: app.store.existing_collection(TEXT_SPEC), details)
    text_model = _check(app.embedders.query_text, details)
    clip = _check(app.embedders.clip, details)
    body = Readiness(
        ready=store == "ok" and text_model == "ok", store=store, text_model=text_model, clip=clip
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)


def _check(probe: object, details: bool) -> str:
    try:
        probe()  # type: ignore[operator]
    except SearchappError as exc:
        return str(exc) if details else "unavailable (an admin token shows why)"
    return "ok"
