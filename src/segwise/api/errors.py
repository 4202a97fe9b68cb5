"""segwise's errors as HTTP answers: one message and a hint, rule errors with their position."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from segwise.api import logs
from segwise.exceptions import NotFoundError, RuleError, SegwiseError
from segwise.project.definitions import ConflictError
from segwise.project.jobs import RunInProgressError, SyncInProgressError
from segwise.store import StoreError, StoreLockedError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request


def _status(error: SegwiseError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(
        error, ConflictError | RunInProgressError | SyncInProgressError | StoreLockedError
    ):
        return 409
    if isinstance(error, StoreError):
        return 503
    return 422


async def segwise_error(_request: Request, error: Exception) -> JSONResponse:
    """A user error as ``{"error": {"message", "hint", "kind"[, rule position]}}``."""
    assert isinstance(error, SegwiseError)
    body: dict[str, Any] = {
        "message": error.message,
        "hint": error.hint,
        "kind": type(error).__name__,
    }
    if isinstance(error, RuleError):
        body["rule"] = error.to_dict()
    return JSONResponse({"error": body}, status_code=_status(error))


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    """A bug: logged as one JSON line (its type, never the request's data), a plain 500."""
    route = request.scope.get("route")
    logs.event("internal error", error=type(error).__name__, route=getattr(route, "path", None))
    return JSONResponse(
        {
            "error": {
                "message": "internal error",
                "hint": "see the service log",
                "kind": "InternalError",
            }
        },
        status_code=500,
    )


async def http_error(_request: Request, error: Exception) -> JSONResponse:
    """FastAPI's own refusals (401, 403, 404, 405, 429…) in the same shape as segwise's."""
    assert isinstance(error, StarletteHTTPException)
    body = {"message": str(error.detail), "hint": None, "kind": "HTTPError"}
    return JSONResponse({"error": body}, status_code=error.status_code, headers=error.headers)


async def invalid_request(_request: Request, error: Exception) -> JSONResponse:
    """A request that does not match the schema: each bad field named, in the same shape."""
    assert isinstance(error, RequestValidationError)
    problems = [
        {"location": ".".join(str(part) for part in e["loc"]), "message": e["msg"]}
        for e in error.errors()
    ]
    first = problems[0] if problems else {"location": "request", "message": "invalid"}
    body = {
        "message": f"{first['location']}: {first['message']}",
        "hint": "see the schema at /docs",
        "kind": "RequestValidationError",
        "fields": problems,
    }
    return JSONResponse({"error": body}, status_code=422)


def install(app: FastAPI) -> None:
    """Register the handlers."""
    app.add_exception_handler(SegwiseError, segwise_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, internal_error)
