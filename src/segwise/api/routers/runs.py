"""Stored runs, and runs started in the background (one at a time)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from segwise.api.auth import Editor, StateDep, Viewer
from segwise.api.schemas.common import ERRORS
from segwise.api.schemas.runs import JobOut, RunDetail, RunOut, RunRequest
from segwise.project.jobs import list_jobs, read_job, start_run
from segwise.store.audit import record

router = APIRouter(prefix="/runs", tags=["runs"], responses=ERRORS)


def _run_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "report_written": row.get("report") is not None}


@router.get("", response_model=list[RunOut])
def runs(state: StateDep, _caller: Viewer) -> list[dict[str, Any]]:
    """Every stored run, oldest first (empty before the first run)."""
    if not state.store_path.exists():
        return []
    return [_run_row(row) for row in state.reading(lambda s: s.runs()).to_dicts()]


@router.post("", response_model=JobOut, status_code=202)
def start(state: StateDep, caller: Editor, body: RunRequest | None = None) -> dict[str, Any]:
    """Start a run in the background; poll ``/runs/jobs/{job_id}``. 409 while one is going."""
    as_of = None if body is None or body.as_of is None else body.as_of.isoformat()
    job = start_run(state.project_file, state.store_path, as_of=as_of)
    state.writing(
        lambda s: record(
            s, caller.actor, "run.start", job.job_id, role=caller.role, detail={"as_of": as_of}
        )
    )
    return job.to_dict()


@router.get("/jobs", response_model=list[JobOut])
def jobs(state: StateDep, _caller: Viewer) -> list[dict[str, Any]]:
    """Runs started by the service, newest first."""
    return [job.to_dict() for job in list_jobs(state.store_path)]


@router.get("/jobs/{job_id}", response_model=JobOut)
def job(job_id: str, state: StateDep, _caller: Viewer) -> dict[str, Any]:
    """One started run: queued, running (with its step), succeeded (with its run id) or failed."""
    return read_job(state.store_path, job_id).to_dict()


@router.get("/{run_id}", response_model=RunDetail)
def run(run_id: int, state: StateDep, _caller: Viewer) -> dict[str, Any]:
    """One run with its segmentations and their segments' sizes."""

    def read(store: Any) -> dict[str, Any]:
        with store.reading():
            found = store.runs().filter(run_id=run_id)
            if found.height == 0:
                raise HTTPException(404, f"no run {run_id}")
            definitions = store.definitions(run_id)
            sizes = store.profiles(run_id)
        return {
            **_run_row(found.row(0, named=True)),
            "segmentations": [
                {
                    "segmentation": name,
                    "method": definition.get("method", ""),
                    "level": definition.get("level", "customer"),
                    "segments": sizes.filter(segmentation=name)
                    .select("segment", "size", "share")
                    .to_dicts(),
                }
                for name, definition in definitions.items()
            ],
        }

    return state.reading(read)  # type: ignore[no-any-return]
