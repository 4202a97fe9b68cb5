"""Destinations over the API: a dry run, a sync job to poll (one at a time), the log, exports."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING

import polars as pl
from fastapi.testclient import TestClient

from segwise.activation import hash_identifier
from segwise.api import Settings, create_app
from segwise.project import open_workspace
from segwise.store.audit import entries
from tests.activation.receiver import Receiver
from tests.activation.test_receiver import SECRET, expected, with_hook
from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

API = "/api/v1"


def test_a_sync_is_planned_started_polled_and_logged(
    project_copy: Path, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGWISE_HOOK_SECRET", SECRET)  # the job's process inherits it
    editor, viewer = bearer(keys["editor"]), bearer(keys["viewer"])
    with Receiver(SECRET, delay=0.02) as hook:
        with_hook(project_copy, hook.url)
        settings = Settings(project=project_copy, rate_limit=1_000_000)
        with TestClient(create_app(settings)) as service:
            [listed] = service.get(f"{API}/destinations", headers=viewer).json()
            assert (listed["name"], listed["type"], listed["target"]) == (
                "hook",
                "webhook",
                hook.url,
            )
            assert listed["last_delivery"] is None
            planned = service.post(f"{API}/sync/dry-run", headers=editor, json={}).json()
            [plan] = planned["destinations"]
            assert plan["adds"] == len(expected(project_copy))
            assert hook.requests == 0
            assert service.post(f"{API}/sync", headers=viewer).status_code == 403
            started = service.post(f"{API}/sync", headers=editor, json={"destination": "hook"})
            assert started.status_code == 202
            job = started.json()
            assert job["kind"] == "sync"
            assert service.post(f"{API}/sync", headers=editor).status_code == 409
            deadline = time.monotonic() + 120
            while job["state"] in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.2)
                job = service.get(f"{API}/sync/jobs/{job['job_id']}", headers=viewer).json()
            assert job["state"] == "succeeded", job
            assert job["summary"]["destinations"][0]["status"] == "delivered"
            assert hook.members == expected(project_copy)
            log = service.get(f"{API}/deliveries?destination=hook", headers=viewer)
            assert log.status_code == 200, log.text
            [logged] = log.json()
            assert (logged["status"], logged["adds"]) == ("delivered", plan["adds"])
            batches = service.get(f"{API}/deliveries/batches", headers=viewer).json()
            assert {b["status"] for b in batches} == {"delivered"}
            assert len(batches) == logged["batches"]
            [listed] = service.get(f"{API}/destinations", headers=viewer).json()
            assert listed["last_delivery"]["delivery_id"] == logged["delivery_id"]
            assert service.get(f"{API}/sync/jobs/nope", headers=viewer).status_code == 404
            unknown = service.post(f"{API}/sync", headers=editor, json={"destination": "crm"})
            assert unknown.status_code == 404
    assert entries(open_workspace(project_copy)).filter(action="sync.start").height == 1


def test_an_export_is_a_csv_of_hashed_contacts_for_editors(
    project_copy: Path, keys: dict[str, str]
) -> None:
    body = {"segment": "lifecycle/VIP", "columns": ["email"], "hash": "google"}
    settings = Settings(project=project_copy, rate_limit=1_000_000)
    with TestClient(create_app(settings)) as client:  # exports are written to the audit log
        refused = client.post(f"{API}/export", headers=bearer(keys["viewer"]), json=body)
        assert refused.status_code == 403
        found = client.post(f"{API}/export", headers=bearer(keys["editor"]), json=body)
        missing = client.post(
            f"{API}/export", headers=bearer(keys["editor"]), json={"segment": "Nobody"}
        )
        agreed = client.post(
            f"{API}/export",
            headers=bearer(keys["editor"]),
            json={**body, "consent": "consent_ads"},
        )
    assert found.status_code == 200
    assert found.headers["x-segwise-consent"] == "none"
    # With consent asked, those who did not agree stay out, and the headers count them.
    assert agreed.status_code == 200 and agreed.headers["x-segwise-consent"] == "consent_ads"
    kept = pl.read_csv(io.BytesIO(agreed.content)).height
    assert (
        int(agreed.headers["x-segwise-without-consent"])
        == len(found.content.splitlines()) - 1 - kept
        > 0
    )
    assert found.headers["content-type"].startswith("text/csv")
    assert "lifecycle_VIP-run1.csv" in found.headers["content-disposition"]
    table = pl.read_csv(io.BytesIO(found.content), infer_schema=False)
    members = open_workspace(project_copy).members("VIP")["customer_id"].cast(pl.String)
    source = pl.read_csv(project_copy.parent / "data" / "customers.csv.gz", infer_schema=False)
    emails = source.filter(pl.col("customer_id").is_in(members.to_list()))["email"]
    assert sorted(table["email"]) == sorted(hash_identifier(e, "email", "google") for e in emails)
    assert missing.status_code in (404, 422)
    assert "Nobody" in missing.json()["error"]["message"]
    logged = entries(open_workspace(project_copy)).filter(action="export")
    assert logged["target"].to_list() == ["lifecycle/VIP"] * 2
