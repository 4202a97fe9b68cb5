"""Who is calling, and may they: bearer keys, browser sessions, roles, rate limits.

Every route but health and readiness needs a key: ``Authorization: Bearer
sw_…``, or the session cookie the UI sets after a login with a key. No key
(or a revoked one) is 401; a key whose role is too low is 403; a key over its
rate is 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request

from segwise.api.state import Principal, ServiceState

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

SESSION_COOKIE = "segwise_session"
UI_HEADER = "x-segwise-request"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_state(request: Request) -> ServiceState:
    """The process's service state (set by ``create_app``)."""
    state: ServiceState = request.app.state.service
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


def session_token(state: ServiceState, principal: Principal) -> str:
    """A signed, expiring session for a browser: the key's id, never the key."""
    expires = int(time.time()) + state.settings.session_seconds
    body = f"{principal.key_id}.{expires}"
    return f"{body}.{_sign(state, body)}"


def _sign(state: ServiceState, body: str) -> str:
    return hmac.new(state.session_secret, body.encode(), hashlib.sha256).hexdigest()


def _from_session(state: ServiceState, token: str) -> Principal | None:
    key_id, _, rest = token.partition(".")
    expires, _, signature = rest.partition(".")
    if not expires.isdigit() or not hmac.compare_digest(
        _sign(state, f"{key_id}.{expires}"), signature
    ):
        return None
    if int(expires) < time.time():
        return None
    return state.principal(key_id)


def session_principal(state: ServiceState, request: Request) -> Principal | None:
    """The caller of a UI page, from its session cookie (None: show the login page)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return None if cookie is None else _from_session(state, cookie)


async def current_principal(request: Request, state: StateDep) -> Principal:
    """The caller, from the bearer key or the session cookie; 401 without either.

    Async on purpose: a sync dependency costs a hop to the thread pool on every
    request, and this one only does a dictionary lookup (scrypt once per key).
    """
    header = request.headers.get("authorization", "")
    principal = None
    if header[:7].lower() == "bearer ":
        principal = state.authenticate(header[7:].strip())
    elif (cookie := request.cookies.get(SESSION_COOKIE)) is not None:
        principal = _from_session(state, cookie)
        # A cross-site form cannot set a header: the UI's own scripts always do.
        if (
            principal is not None
            and request.method not in SAFE_METHODS
            and request.headers.get(UI_HEADER) != "ui"
        ):
            raise HTTPException(403, f"a browser session's changes need the {UI_HEADER} header")
    if principal is None:
        raise HTTPException(
            401,
            "an API key is needed: Authorization: Bearer <key> (segwise keys create)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.principal = principal
    wait = state.limiter.wait_for(principal.key_id)
    if wait > 0:
        raise HTTPException(
            429,
            f"key '{principal.name}' is over its rate limit; retry in {math.ceil(wait)} s",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    return principal


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets in callers whose role includes ``role`` (else 403)."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has(role):
            raise HTTPException(
                403, f"key '{principal.name}' is a {principal.role}; this needs {role} or above"
            )
        return principal

    return check


def require_members() -> Callable[..., Awaitable[Principal]]:
    """A dependency for member ids and customer data: editors, admins, granted viewers."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.sees_members:
            raise HTTPException(
                403,
                f"key '{principal.name}' is a viewer without the members grant; "
                "member ids need an editor key, or: segwise keys create … --grant members",
            )
        return principal

    return check


Viewer = Annotated[Principal, Depends(require("viewer"))]
MemberReader = Annotated[Principal, Depends(require_members())]
Editor = Annotated[Principal, Depends(require("editor"))]
Admin = Annotated[Principal, Depends(require("admin"))]


def may_see_members(principal: Principal) -> bool:
    """Member identifiers go to editors and admins; viewers see counts."""
    return principal.has("editor")
