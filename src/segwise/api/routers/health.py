"""Liveness and readiness (no key needed: load balancers and orchestrators call them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from segwise.api.auth import StateDep
from segwise.exceptions import SegwiseError

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "the store cannot be read"}})
def ready(state: StateDep) -> Any:
    """The store opens; the age of the latest run (null before the first)."""
    try:
        latest = state.reading(lambda store: store.last_run())
    except SegwiseError as exc:
        return JSONResponse({"status": "unavailable", "reason": exc.one_line()}, status_code=503)
    age = None
    if latest is not None and latest.get("finished_at") is not None:
        age = (datetime.now() - latest["finished_at"]).total_seconds()
    return {
        "status": "ready",
        "store": "opened" if latest is not None else "empty",
        "last_run": None if latest is None else latest["run_id"],
        "last_run_age_seconds": age,
    }
