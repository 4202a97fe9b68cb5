"""``create_app``: the segwise service over one project.

``segwise serve`` starts it with uvicorn by import string
(``segwise.api.app:create_app``, factory), so the CLI never imports this
package. Routes live under ``/api/v1`` (OpenAPI at ``/docs``); ``/health``
and ``/ready`` are open to probes.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse

from segwise._version import __version__
from segwise.api import errors, logs
from segwise.api.routers import (
    activation,
    admin,
    customers,
    definitions,
    health,
    measure,
    privacy,
    project,
    rules,
    runs,
    segments,
)
from segwise.api.settings import Settings
from segwise.api.state import ServiceState
from segwise.api.strict_query import known_query_only
from segwise.api.ui import views
from segwise.store import audit

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

API = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service's app (settings from ``SEGWISE_*`` variables when not given).

    Examples
    --------
    >>> import tempfile, segwise as sw
    >>> from fastapi.testclient import TestClient
    >>> app = create_app(Settings(project=sw.Project.init(tempfile.mkdtemp())))
    >>> TestClient(app).get("/health").json()
    {'status': 'ok'}
    """
    settings = settings or Settings.from_env()
    state = ServiceState(settings)
    log_file = None if settings.log_file is None else recorded_log(state, settings.log_file)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.start()
        if log_file is not None:
            logs.to_file(log_file)
        logs.event("service started", project=str(state.project_file), version=__version__)
        yield
        state.stop()
        logs.event("service stopped")
        if log_file is not None:
            logs.close_file(log_file)

    app = FastAPI(
        title="segwise",
        version=__version__,
        summary="Customer segments: runs, segments, members, rules, classification.",
        lifespan=lifespan,
    )
    app.state.service = state
    errors.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(AccessLog, settings=settings)
    app.include_router(health.router)
    app.include_router(views.router)
    app.add_api_route("/", lambda: RedirectResponse("/ui"), include_in_schema=False)
    routers = (
        project, runs, segments, customers, rules, definitions, activation, measure, admin,
        privacy,
    )  # fmt: skip
    for router in routers:
        app.include_router(router.router, prefix=API, dependencies=[Depends(known_query_only)])
    return app


class AccessLog:
    """One JSON line per request: the route template (never ids), status, time, key name.

    Plain ASGI (not ``BaseHTTPMiddleware``, which costs a task and a stream per request).
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._log(scope, status, started)

    def _log(self, scope: Scope, status: int, started: float) -> None:
        path = scope.get("path", "")
        route = scope.get("route")
        principal = getattr(scope.get("state", {}).get("principal"), "name", None)
        fields: dict[str, Any] = {
            "method": scope.get("method"),
            # Routers included under /api/v1 keep their own paths in the scope.
            "route": (API if path.startswith(API + "/") else "")
            + getattr(route, "path", "(unmatched)"),
            "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 2),
            "key": principal,
        }
        if self.settings.debug_ids:
            fields["path"] = path
        logs.event("request", **fields)


def recorded_log(state: ServiceState, path: Path) -> Path:
    """``path`` inside the project, recorded in the audit log where ``forget`` looks for files."""
    project = state.project()
    target = project.resolve(str(path), key="--log-file").resolve()
    if project.store.path.exists():
        detail = {"log_file": str(target)}
        state.writing(lambda store: audit.record(store, "service", "serve", "log", detail=detail))
    return target
