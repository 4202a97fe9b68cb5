"""Destinations, syncs (in the background), the delivery log and one-off exports."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from segwise.api.auth import Editor, StateDep, Viewer
from segwise.api.schemas.activation import (
    BatchOut,
    DeliveryOut,
    DestinationOut,
    DryRunOut,
    ExportRequest,
    SyncRequest,
)
from segwise.api.schemas.common import ERRORS
from segwise.api.schemas.runs import JobOut
from segwise.exceptions import ConfigError, NotFoundError
from segwise.project.jobs import read_job, start_sync
from segwise.store import outbox
from segwise.store.audit import record
from segwise.store.sync import deliveries

if TYPE_CHECKING:
    from segwise.store import Workspace

router = APIRouter(tags=["activation"], responses=ERRORS)

DestinationQuery = Annotated[str | None, Query(description="only this destination")]


@router.get("/destinations", response_model=list[DestinationOut])
def destinations(state: StateDep, _caller: Viewer) -> list[dict[str, Any]]:
    """The project's destinations, each with its last delivery and the batches waiting."""
    project = state.project()

    def read(store: Workspace) -> list[dict[str, Any]]:
        log = deliveries(store)
        out = []
        for name, spec in project.config.destinations.items():
            mine = log.filter(destination=name)
            out.append({
                "name": name, "type": spec.type, "mode": spec.mode,
                "segments": spec.segments, "identifiers": spec.identifiers,
                "consent": spec.consent, "consent_purpose": spec.consent_purpose,
                "min_size": spec.min_size,
                "target": getattr(spec, "url", None) or getattr(spec, "path", ""),
                "last_delivery": mine.row(0, named=True) if mine.height else None,
                "waiting_batches": len(outbox.waiting(store, name)),
            })  # fmt: skip
        return out

    return state.reading(read)  # type: ignore[no-any-return]


@router.get("/deliveries", response_model=list[DeliveryOut])
def delivery_log(
    state: StateDep, _caller: Viewer, destination: DestinationQuery = None
) -> list[dict[str, Any]]:
    """The delivery log, newest first."""
    return state.reading(lambda store: deliveries(store, destination).to_dicts())  # type: ignore[no-any-return]


@router.get("/deliveries/batches", response_model=list[BatchOut])
def batch_log(
    state: StateDep, _caller: Viewer, destination: DestinationQuery = None
) -> list[dict[str, Any]]:
    """Webhook batches, newest first: status, attempts, HTTP status, time and error."""
    return state.reading(lambda store: outbox.batches(store, destination).to_dicts())  # type: ignore[no-any-return]


@router.post("/sync/dry-run", response_model=DryRunOut)
def dry_run(state: StateDep, _caller: Editor, body: SyncRequest | None = None) -> dict[str, Any]:
    """What a sync would send to each destination and who would be left out; sends nothing."""
    from segwise.project.sync import sync_destinations  # noqa: PLC0415 - loads the planners
    from segwise.project.triggers import fire_triggers  # noqa: PLC0415

    name = None if body is None else body.destination
    project = state.project()

    def plan(_store: Workspace) -> dict[str, Any]:
        planned = sync_destinations(project, destination=name, dry_run=True)
        fired = fire_triggers(project, destination=name, dry_run=True)
        return {
            "destinations": [r.to_dict() for r in planned],
            "triggers": [t.to_dict() for t in fired],
        }

    return state.reading(plan)  # type: ignore[no-any-return]


@router.post("/sync", response_model=JobOut, status_code=202)
def sync(state: StateDep, caller: Editor, body: SyncRequest | None = None) -> dict[str, Any]:
    """Start ``segwise sync`` in the background; poll ``/sync/jobs/{job_id}``.

    409 while another sync is going.
    """
    name = None if body is None else body.destination
    declared = state.project().config.destinations
    if not declared:
        raise ConfigError(
            "the project has no destinations", hint="declare destinations: in segwise.yaml"
        )
    if name is not None and name not in declared:
        raise NotFoundError(f"no destination '{name}' in the project")
    job = start_sync(state.project_file, state.store_path, destination=name)
    state.writing(
        lambda s: record(
            s,
            caller.actor,
            "sync.start",
            job.job_id,
            role=caller.role,
            detail={"destination": name},
        )
    )
    return job.to_dict()


@router.get("/sync/jobs/{job_id}", response_model=JobOut)
def sync_job(job_id: str, state: StateDep, _caller: Viewer) -> dict[str, Any]:
    """One sync: queued, running (with its step), succeeded or failed, with its summary."""
    found = read_job(state.store_path, job_id)
    if found.kind != "sync":
        raise NotFoundError(f"no sync job '{job_id}'", hint="GET /api/v1/runs/jobs lists runs")
    return found.to_dict()


@router.post(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export(body: ExportRequest, state: StateDep, caller: Editor) -> Response:
    """One segment's members as CSV, with customers-source columns, hashed if asked."""
    from segwise.project.export import export_segment  # noqa: PLC0415 - loads the hashers

    project = state.project()
    found = state.reading(
        lambda _store: export_segment(
            project, body.segment, segmentation=body.segmentation, run=body.run,
            columns=body.columns, hashing=body.hash, country=body.country,
            country_col=body.country_col, consent=body.consent,
            consent_purpose=body.consent_purpose,
        )
    )  # fmt: skip
    target = f"{found.segmentation}/{found.segment}"
    detail = {"rows": found.table.height, "columns": found.table.columns, "hash": body.hash}
    state.writing(
        lambda s: record(s, caller.actor, "export", target, role=caller.role, detail=detail)
    )
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{target}-run{found.run_id}") + ".csv"
    return Response(
        found.table.write_csv(),
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            # Which consent was checked ("none": everyone went in), and who it left out.
            "X-Segwise-Consent": found.consent or "none",
            "X-Segwise-Without-Consent": str(found.without_consent),
        },
    )
