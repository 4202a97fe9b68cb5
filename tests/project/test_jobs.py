"""Runs started for the service: one at a time, a status to poll, dead jobs seen as failed."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

import pytest

from segwise.exceptions import NotFoundError
from segwise.project.jobs import (
    RunInProgressError,
    jobs_folder,
    list_jobs,
    read_job,
    start_run,
    store_busy,
)
from segwise.store.lock import hold_lock

if TYPE_CHECKING:
    from pathlib import Path


def test_a_held_store_refuses_a_second_run(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    assert not store_busy(store)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with hold_lock(store, 5):
            held.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    held.wait(5)
    try:
        assert store_busy(store)
        with pytest.raises(RunInProgressError):
            start_run(tmp_path / "segwise.yaml", store)
    finally:
        release.set()
        worker.join()
    assert not store_busy(store)


def test_a_job_whose_process_died_is_failed(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    folder = jobs_folder(store)
    folder.mkdir()
    (folder / "20260101000000-abcdef.json").write_text(
        json.dumps({"state": "running", "pid": 2**22 + 12345, "started_at": "x"})
    )
    job = read_job(store, "20260101000000-abcdef")
    assert job.state == "failed"
    assert "ended without a result" in (job.error or "")
    assert [j.job_id for j in list_jobs(store)] == ["20260101000000-abcdef"]


def test_unknown_and_odd_job_ids_are_not_found(tmp_path: Path) -> None:
    for job_id in ("nope", "../../etc/passwd", "a/b"):
        with pytest.raises(NotFoundError):
            read_job(tmp_path / "s.duckdb", job_id)
