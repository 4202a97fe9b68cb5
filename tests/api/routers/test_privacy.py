"""Erasure, subject access and the record of processing through the API: admins only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from segwise.api import Settings, create_app
from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_only_admins_reach_the_privacy_routes(client: TestClient, keys: dict[str, str]) -> None:
    for role in ("viewer", "editor"):
        headers = bearer(keys[role])
        assert client.get("/api/v1/privacy", headers=headers).status_code == 403
        assert client.get("/api/v1/access?customer_id=0000001", headers=headers).status_code == 403
        forgot = client.post("/api/v1/forget", json={"customer_ids": ["1"]}, headers=headers)
        assert forgot.status_code == 403
    assert client.get("/api/v1/privacy").status_code == 401


def test_the_record_of_processing_is_served(client: TestClient, keys: dict[str, str]) -> None:
    found = client.get("/api/v1/privacy", headers=bearer(keys["admin"]))
    assert found.status_code == 200
    record = found.json()
    customers = next(s for s in record["sources"] if s["source"] == "customers")
    assert customers["personal"] == ["email", "phone"]
    assert record["purposes"]["segmentation"]["lifecycle"] == "rules"


def test_an_admin_reads_then_erases_a_customer(
    project_copy: Path, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGWISE_PRIVACY_KEY", "0123456789abcdef0123456789abcdef")
    admin = bearer(keys["admin"])
    with TestClient(create_app(Settings(project=project_copy))) as service:
        held = service.get("/api/v1/access", params={"customer_id": "0000001"}, headers=admin)
        assert held.status_code == 200
        assert held.json()["customer"]["email"] == "customer0000001@example.com"
        planned = service.post(
            "/api/v1/forget", json={"customer_ids": ["0000001"], "dry_run": True}, headers=admin
        )
        assert planned.status_code == 200 and planned.json()["store"]["membership_intervals"]
        assert service.get("/api/v1/customers/0000001", headers=admin).status_code == 200
        done = service.post("/api/v1/forget", json={"customer_ids": ["0000001"]}, headers=admin)
        assert done.status_code == 200 and done.json()["places"] >= 3
        assert done.json()["warehouse"] == {}  # this project writes no memberships back
        gone = service.get("/api/v1/access", params={"customer_id": "0000001"}, headers=admin)
        assert gone.status_code == 404
        assert service.get("/api/v1/customers/0000001", headers=admin).status_code == 404
        log = service.get("/api/v1/audit", headers=admin).json()
    assert [(e["actor"], e["action"]) for e in log[:2]] == [
        ("key:admin-key", "forget"), ("key:admin-key", "access"),
    ]  # fmt: skip
    assert "0000001" not in str(log)


def test_forget_refuses_an_empty_list(client: TestClient, keys: dict[str, str]) -> None:
    empty = client.post("/api/v1/forget", json={"customer_ids": []}, headers=bearer(keys["admin"]))
    assert empty.status_code == 422
