"""Query parameters a route does not take are refused and named, never ignored.

A misspelt parameter would answer for the default instead: ``members?date=2024-06-30``
the latest run's members, ``DELETE …?expectedVersion=…`` a delete without its guard.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request  # at run time: FastAPI reads the annotations
from fastapi.exceptions import RequestValidationError

from segwise._validation import did_you_mean
from segwise.api.auth import current_principal
from segwise.api.state import Principal


async def known_query_only(
    request: Request, _caller: Annotated[Principal, Depends(current_principal)]
) -> None:
    """A dependency of every API route: a 422 naming each query parameter it does not take.

    The key is checked first (a caller without one learns nothing of the parameters).
    Async: it reads the request only, and a sync dependency costs a thread-pool hop.

    Examples
    --------
    >>> import tempfile, segwise as sw
    >>> from fastapi.testclient import TestClient
    >>> from segwise.api import Settings, create_app
    >>> from segwise.project import open_workspace
    >>> from segwise.store.keys import create_key
    >>> config = sw.Project.init(tempfile.mkdtemp())
    >>> _, key = create_key(open_workspace(config), "reader", "viewer")
    >>> service = TestClient(create_app(Settings(project=config)))
    >>> found = service.get("/api/v1/alerts?rnu=1", headers={"Authorization": f"Bearer {key}"})
    >>> found.status_code, found.json()["error"]["message"]
    (422, "query.rnu: unknown parameter (did you mean 'run'?)")
    """
    route = request.scope.get("route")
    if route is None or not request.query_params:
        return
    # Walked per request, only when there is a query: a few objects (routes are not hashable).
    taken = tuple(sorted(_query_names(route.dependant)))
    unknown = [name for name in request.query_params if name not in taken]
    if unknown:
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": _unknown(name, taken)}
                for name in dict.fromkeys(unknown)
            ]
        )


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names


def _unknown(name: str, taken: tuple[str, ...]) -> str:
    close = did_you_mean(name, taken)
    if close:
        return f"unknown parameter (did you mean {' or '.join(repr(c) for c in close)}?)"
    if not taken:
        return "unknown parameter (this route takes none)"
    return f"unknown parameter (the parameters are {', '.join(taken)})"
