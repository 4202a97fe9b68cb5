"""Erasure, subject access and the record of processing: the data-protection officer's routes.

Admins only (the service's roles: admins manage keys and erasure). Ids are taken
as the sources write them, also when the store holds pseudonyms. A request's
path never carries them: ``POST /forget`` has them in its body, and the access
record's id is in the query, which the logs leave out unless ``--debug-ids``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from segwise.api.auth import Admin, StateDep
from segwise.api.schemas.common import ERRORS
from segwise.api.schemas.privacy import CustomerId, ForgetIn, ForgetOut, ProcessingRecord

router = APIRouter(tags=["privacy"], responses=ERRORS)


@router.post("/forget", response_model=ForgetOut)
def forget(body: ForgetIn, state: StateDep, caller: Admin) -> dict[str, Any]:
    """Erase customers from every place segwise wrote, and keep them out of later runs."""
    from segwise.project.erasure import forget as erase  # noqa: PLC0415 - loads the hashers

    project = state.project()
    found = state.writing(
        lambda _store: erase(project, body.customer_ids, dry_run=body.dry_run, actor=caller.actor)
    )
    return found.to_dict()  # type: ignore[no-any-return]


@router.get("/access")
def access(
    state: StateDep, caller: Admin, customer_id: Annotated[CustomerId, Query()]
) -> dict[str, Any]:
    """Everything held about one customer (their own data included), for a subject request."""
    from segwise.project.access import customer_record  # noqa: PLC0415
    from segwise.store import audit  # noqa: PLC0415

    project = state.project()
    record = state.reading(lambda _store: customer_record(project, customer_id))
    if project.store.path.exists():
        state.writing(
            lambda store: audit.record(store, caller.actor, "access", "customer", role=caller.role)
        )
    return record  # type: ignore[no-any-return]


@router.get("/privacy", response_model=ProcessingRecord)
def record_of_processing(state: StateDep, _caller: Admin) -> dict[str, Any]:
    """The record of processing: sources, personal columns, purposes, retention, erasures."""
    from segwise.project.processing import processing_record  # noqa: PLC0415

    project = state.project()
    return state.reading(lambda _store: processing_record(project))  # type: ignore[no-any-return]
