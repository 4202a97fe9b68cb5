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

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse

from segwise._version import __version__
from segwise.api import errors, logs
from segwise.api.routers import (
    admin,
    customers,
    definitions,
    health,
    project,
    rules,
    runs,
    segments,
)
from segwise.api.settings import Settings
from segwise.api.state import ServiceState
from segwise.api.ui import views

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from starlette.responses import Response

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

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        logs.event("service started", project=str(state.project_file), version=__version__)
        yield
        logs.event("service stopped")

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
    app.middleware("http")(_access_log(settings))
    app.include_router(health.router)
    app.include_router(views.router)
    app.add_api_route("/", lambda: RedirectResponse("/ui"), include_in_schema=False)
    for router in (project, runs, segments, customers, rules, definitions, admin):
        app.include_router(router.router, prefix=API)
    return app


def _access_log(settings: Settings) -> Callable[[Request, Any], Awaitable[Response]]:
    """One JSON line per request: the route template (never ids), status, time, key name."""

    async def log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        principal = getattr(request.state, "principal", None)
        fields: dict[str, Any] = {
            "method": request.method,
            # Routers included under /api/v1 keep their own paths in the scope.
            "route": (API if request.url.path.startswith(API + "/") else "")
            + getattr(route, "path", "(unmatched)"),
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 2),
            "key": None if principal is None else principal.name,
        }
        if settings.debug_ids:
            fields["path"] = request.url.path
        logs.event("request", **fields)
        return response

    return log
