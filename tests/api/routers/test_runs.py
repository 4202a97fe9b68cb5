"""Stored runs, and a run started through the API: a job to poll, one at a time, reads go on."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from segwise.api import Settings, create_app
from segwise.project import open_workspace
from segwise.store.audit import entries
from tests.api.conftest import bearer
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path


def test_runs_list_and_detail(client: TestClient, keys: dict[str, str]) -> None:
    runs = client.get("/api/v1/runs", headers=bearer(keys["viewer"])).json()
    assert [r["run_id"] for r in runs] == [1]
    assert runs[0]["customers"] == 5000
    detail = client.get("/api/v1/runs/1", headers=bearer(keys["viewer"])).json()
    names = {s["segmentation"] for s in detail["segmentations"]}
    assert {"value", "lifecycle", "behaviour", "future"} <= names
    lifecycle = next(s for s in detail["segmentations"] if s["segmentation"] == "lifecycle")
    assert sum(s["size"] for s in lifecycle["segments"]) == 5000
    assert client.get("/api/v1/runs/99", headers=bearer(keys["viewer"])).status_code == 404


def test_a_started_run_is_polled_to_its_end_while_reads_go_on(
    project_copy: Path, keys: dict[str, str]
) -> None:
    headers = bearer(keys["editor"])
    keep_segmentations(project_copy, "lifecycle")  # the one read below: the run takes seconds
    with TestClient(create_app(Settings(project=project_copy, rate_limit=1_000_000))) as service:
        started = service.post("/api/v1/runs", headers=headers)
        assert started.status_code == 202
        job = started.json()
        assert job["state"] in ("queued", "running")
        second = service.post("/api/v1/runs", headers=headers)
        assert second.status_code == 409
        reads, deadline = 0, time.monotonic() + 240
        while job["state"] in ("queued", "running") and time.monotonic() < deadline:
            # Reads during the run answer (they wait out its commit, never fail).
            assert service.get("/api/v1/runs", headers=headers).status_code == 200
            page = service.get(
                "/api/v1/segmentations/lifecycle/segments/VIP/members", headers=headers
            )
            assert page.status_code == 200
            reads += 1
            job = service.get(f"/api/v1/runs/jobs/{job['job_id']}", headers=headers).json()
        assert job["state"] == "succeeded", job
        assert job["run_id"] == 2
        assert reads > 0
        runs = service.get("/api/v1/runs", headers=headers).json()
        assert [r["run_id"] for r in runs] == [1, 2]
        listed = service.get("/api/v1/runs/jobs", headers=headers).json()
        assert listed[0]["job_id"] == job["job_id"]
        moved = service.get("/api/v1/changes?segmentation=lifecycle", headers=headers).json()
        assert (moved["from_run"], moved["to_run"]) == (1, 2)
        assert {s["segment"] for s in moved["segments"]} >= {"VIP", "Other"}
        counts = service.get("/api/v1/changes", headers=bearer(keys["viewer"])).json()
        assert "movers" not in counts  # viewers get the counts, not who moved
    log = entries(open_workspace(project_copy))
    assert log.filter(action="run.start")["actor"].to_list() == ["key:editor-key"]


def test_a_failed_run_reports_its_error(project_copy: Path, keys: dict[str, str]) -> None:
    (project_copy.parent / "data" / "orders.csv.gz").write_bytes(b"not gzip")
    with TestClient(create_app(Settings(project=project_copy))) as service:
        job = service.post("/api/v1/runs", headers=bearer(keys["editor"])).json()
        deadline = time.monotonic() + 120
        while job["state"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.3)
            job = service.get(
                f"/api/v1/runs/jobs/{job['job_id']}", headers=bearer(keys["editor"])
            ).json()
    assert job["state"] == "failed"
    assert "orders.csv.gz" in job["error"]


def test_an_unknown_job_is_404(client: TestClient, keys: dict[str, str]) -> None:
    for job_id in ("nope", "..%2F..%2Fetc"):
        answer = client.get(f"/api/v1/runs/jobs/{job_id}", headers=bearer(keys["viewer"]))
        assert answer.status_code == 404
