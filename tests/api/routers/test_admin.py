"""Keys managed through the API, and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from segwise.api import Settings, create_app
from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path


def test_an_admin_creates_uses_and_revokes_a_key(project_copy: Path, keys: dict[str, str]) -> None:
    admin = bearer(keys["admin"])
    with TestClient(create_app(Settings(project=project_copy))) as service:
        made = service.post("/api/v1/keys", json={"name": "crm", "role": "viewer"}, headers=admin)
        assert made.status_code == 201
        key = made.json()["key"]
        assert service.get("/api/v1/runs", headers=bearer(key)).status_code == 200
        listed = service.get("/api/v1/keys", headers=admin).json()
        assert all("key" not in k and "hash" not in k for k in listed)
        assert {k["name"] for k in listed} >= {"crm", "admin-key"}
        revoked = service.delete("/api/v1/keys/crm", headers=admin)
        assert revoked.json()["revoked_at"] is not None
        assert service.get("/api/v1/runs", headers=bearer(key)).status_code == 401
        log = service.get("/api/v1/audit", headers=admin).json()
    actions = [(e["actor"], e["action"], e["target"]) for e in log[:2]]
    assert actions == [
        ("key:admin-key", "key.revoke", "crm"),
        ("key:admin-key", "key.create", "crm"),
    ]
    assert key not in str(log)


def test_a_bad_role_or_duplicate_name_is_refused(project_copy: Path, keys: dict[str, str]) -> None:
    admin = bearer(keys["admin"])
    with TestClient(create_app(Settings(project=project_copy))) as service:
        assert (
            service.post(
                "/api/v1/keys", json={"name": "x", "role": "root"}, headers=admin
            ).status_code
            == 422
        )
        duplicate = service.post(
            "/api/v1/keys", json={"name": "admin-key", "role": "viewer"}, headers=admin
        )
        assert duplicate.status_code == 422
        assert service.delete("/api/v1/keys/nobody", headers=admin).status_code == 404
