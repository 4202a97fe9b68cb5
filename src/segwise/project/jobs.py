"""Runs and syncs started by the service: in a child process, with a status to poll.

A run is CPU-heavy and holds the store's lock for minutes, so the service
never runs one in its own process: it starts ``python -m
segwise.project.job_worker`` and answers at once with a job id. The child
writes its progress to a small JSON file (atomically, so a poll never reads
half a status) in the store's ``jobs`` folder. If the service stops, the
child finishes its run and its status stays readable by the next service.
Syncs (``segwise sync``: destinations and triggers) are jobs too, of kind
``sync``, one at a time as well, beside runs.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from segwise.exceptions import NotFoundError, SegwiseError
from segwise.io.writers import write_text
from segwise.store.lock import run_held

if TYPE_CHECKING:
    from pathlib import Path

#: Jobs kept in the folder; older status files are removed when a new job starts.
KEEP = 50

#: Children this process started, by pid: reaped once their job has ended (no zombies).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class RunInProgressError(SegwiseError):
    """Another run holds the store: runs go one at a time."""


class SyncInProgressError(SegwiseError):
    """Another sync is going: syncs go one at a time."""


@dataclass(frozen=True)
class Job:
    """One run or sync started by the service, as its status file says."""

    job_id: str
    state: str  # queued | running | succeeded | failed
    step: str | None
    run_id: int | None
    error: str | None
    started_at: str
    finished_at: str | None
    kind: str = "run"  # run | sync
    #: A finished sync's summary: per destination and trigger, status and counts.
    summary: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "job_id": self.job_id,
            "state": self.state,
            "step": self.step,
            "run_id": self.run_id,
            "error": self.error,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "kind": self.kind,
            "summary": self.summary,
        }


def jobs_folder(store: Path) -> Path:
    """Where a store's job status files live."""
    return store.with_name(store.name + ".jobs")


def write_status(path: Path, **status: Any) -> None:
    """Write a job's status atomically."""
    write_text(json.dumps(status, default=str), path)


def store_busy(store: Path) -> bool:
    """Whether a run (of any process) holds the store's lock right now."""
    return run_held(store)


def start_run(project_file: Path, store: Path, *, as_of: str | None = None) -> Job:
    """Start a run of the project in a child process; refuse while another run is going."""
    if store_busy(store) or _going(store, "run"):
        raise RunInProgressError(
            "a run is already in progress on this store",
            hint="poll its job, or wait for it to finish; runs go one at a time",
        )
    return _start(project_file, store, [] if as_of is None else ["--as-of", as_of])


def start_sync(project_file: Path, store: Path, *, destination: str | None = None) -> Job:
    """Start ``segwise sync`` of the project in a child process; one at a time."""
    if _going(store, "sync") or run_held(store.with_name(store.name + ".sync")):
        raise SyncInProgressError(
            "a sync is already in progress on this store",
            hint="poll its job, or wait for it to finish; syncs go one at a time",
        )
    options = ["--sync"] + ([] if destination is None else ["--destination", destination])
    return _start(project_file, store, options)


def _going(store: Path, kind: str) -> bool:
    return any(j.kind == kind and j.state in ("queued", "running") for j in list_jobs(store))


def _start(project_file: Path, store: Path, options: list[str]) -> Job:
    folder = jobs_folder(store)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder)
    job_id = datetime.now().strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)
    status = folder / f"{job_id}.json"
    started = datetime.now().isoformat(timespec="seconds")
    kind = "sync" if "--sync" in options else "run"
    write_status(status, job_id=job_id, state="queued", started_at=started, pid=None, kind=kind)
    command = [sys.executable, "-m", "segwise.project.job_worker", str(project_file), str(status)]
    command += options
    with open(os.devnull, "wb") as quiet:  # noqa: PTH123 - a file handle for Popen
        # Its own session: a Ctrl-C to the service does not kill a run half-way.
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            command, stdout=quiet, stderr=quiet, start_new_session=True
        )
    # Beside the status, which the child may already be writing: a queued job whose
    # process died before its first word is then seen as failed, not queued forever.
    status.with_suffix(".pid").write_text(str(child.pid))
    _CHILDREN[child.pid] = child
    return read_job(store, job_id)


def read_job(store: Path, job_id: str) -> Job:
    """A job's status; a job whose process died without a word is reported failed."""
    if not job_id.replace("-", "").isalnum():
        raise NotFoundError(f"no job '{job_id[:40]}'")
    path = jobs_folder(store) / f"{job_id}.json"
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFoundError(f"no job '{job_id}'", hint="GET /api/v1/runs/jobs lists them") from None
    state = status.get("state", "failed")
    pid = status.get("pid") or _pid(path.with_suffix(".pid"))
    if state in ("queued", "running") and pid is not None and not _alive(int(pid)):
        what = status.get("kind", "run")
        state, status["error"] = "failed", f"the {what}'s process ended without a result"
    if state in ("succeeded", "failed") and pid is not None:
        _reap(int(pid))
    return Job(
        job_id,
        state,
        status.get("step"),
        status.get("run_id"),
        status.get("error"),
        status.get("started_at", ""),
        status.get("finished_at"),
        status.get("kind", "run"),
        status.get("summary"),
    )


def list_jobs(store: Path) -> list[Job]:
    """Every job kept, newest first."""
    folder = jobs_folder(store)
    if not folder.is_dir():
        return []
    names = sorted((p.stem for p in folder.glob("*.json")), reverse=True)
    return [read_job(store, name) for name in names]


def _reap(pid: int) -> None:
    """Collect an ended child's exit status (it has written its last word)."""
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _CHILDREN[pid] = child


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        return child.poll() is None  # our own child: a zombie is not alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prune(folder: Path) -> None:
    for old in sorted(folder.glob("*.json"), reverse=True)[KEEP:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".pid").unlink(missing_ok=True)
