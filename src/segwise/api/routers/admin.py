"""API keys and the audit log (admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from segwise.api.auth import Admin, StateDep
from segwise.api.schemas.admin import AuditEntry, KeyIn, KeyOut, NewKey
from segwise.api.schemas.common import ERRORS
from segwise.store import audit
from segwise.store.keys import create_key, list_keys, revoke_key

router = APIRouter(tags=["admin"], responses=ERRORS)


@router.get("/keys", response_model=list[KeyOut])
def keys(state: StateDep, _caller: Admin) -> list[dict[str, Any]]:
    """Every key (active and revoked), never a secret."""
    return [k.to_dict() for k in state.reading(list_keys)]


@router.post("/keys", response_model=NewKey, status_code=201)
def new_key(body: KeyIn, state: StateDep, caller: Admin) -> dict[str, Any]:
    """Create a key; the response holds it this once."""

    def create(store: Any) -> dict[str, Any]:
        key, text = create_key(store, body.name, body.role, tuple(body.grants))
        audit.record(
            store,
            caller.actor,
            "key.create",
            key.name,
            role=caller.role,
            detail={"key_id": key.key_id, "role": key.role, "grants": list(key.grants)},
        )
        return key.to_dict() | {"key": text}

    made = state.writing(create)
    state.forget_keys()
    return made  # type: ignore[no-any-return]


@router.delete("/keys/{name}", response_model=KeyOut)
def revoke(name: str, state: StateDep, caller: Admin) -> dict[str, Any]:
    """Revoke a key by name or id; it stops working at once."""

    def remove(store: Any) -> dict[str, Any]:
        key = revoke_key(store, name)
        audit.record(
            store,
            caller.actor,
            "key.revoke",
            key.name,
            role=caller.role,
            detail={"key_id": key.key_id},
        )
        return key.to_dict()

    done = state.writing(remove)
    state.forget_keys()
    return done  # type: ignore[no-any-return]


@router.get("/audit", response_model=list[AuditEntry])
def audit_log(
    state: StateDep, _caller: Admin, limit: Annotated[int, Query(ge=1, le=10_000)] = 200
) -> list[dict[str, Any]]:
    """Who changed which definition, ran what, managed which key, when (newest first)."""
    return state.reading(lambda store: audit.entries(store, limit=limit)).to_dicts()  # type: ignore[no-any-return]
