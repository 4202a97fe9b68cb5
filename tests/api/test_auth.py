"""Keys, roles, sessions and rate limits: 401 without a valid key, 403 below the role."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from segwise.api import Settings, create_app
from segwise.project import open_workspace
from segwise.store.keys import create_key, revoke_key
from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path

#: (method, path, body, lowest role allowed)
ROUTES = [
    ("GET", "/api/v1/project", None, "viewer"),
    ("GET", "/api/v1/runs", None, "viewer"),
    ("GET", "/api/v1/segmentations", None, "viewer"),
    ("GET", "/api/v1/alerts", None, "viewer"),
    ("POST", "/api/v1/rules/check", {"rule": "orders > 1"}, "viewer"),
    ("POST", "/api/v1/classify", {"attributes": {"orders": 3}}, "viewer"),
    ("GET", "/api/v1/customers/0000004", None, "editor"),
    ("GET", "/api/v1/segmentations/lifecycle/segments/VIP/members.csv", None, "editor"),
    (
        "POST",
        "/api/v1/rules/explain",
        {"segmentation": "lifecycle", "segment": "VIP", "customer_id": "0000004"},
        "editor",
    ),
    ("GET", "/api/v1/keys", None, "admin"),
    ("GET", "/api/v1/audit", None, "admin"),
]
ORDER = ("viewer", "editor", "admin")


@pytest.mark.parametrize(("method", "path", "body", "lowest"), ROUTES)
def test_each_role_gets_in_or_gets_403(
    client: TestClient, keys: dict[str, str], method: str, path: str, body: object, lowest: str
) -> None:
    for role in ORDER:
        answer = client.request(method, path, json=body, headers=bearer(keys[role]))
        if ORDER.index(role) >= ORDER.index(lowest):
            assert answer.status_code == 200, (role, path, answer.text)
        else:
            assert answer.status_code == 403, (role, path)
            message = answer.json()["error"]["message"]
            assert f"this needs {lowest}" in message or "without the members grant" in message


def test_a_viewer_sees_member_counts_not_identifiers(
    client: TestClient, keys: dict[str, str]
) -> None:
    path = "/api/v1/segmentations/lifecycle/segments/VIP/members"
    seen = client.get(path, headers=bearer(keys["viewer"])).json()
    assert seen["members"] is None
    assert seen["size"] > 0
    assert len(client.get(path, headers=bearer(keys["editor"])).json()["members"]) > 0


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer sw_00000000_wrongsecret", "Basic dXNlcjpwYXNz", "Bearer "],
)
def test_bad_keys_are_401(client: TestClient, header: str) -> None:
    assert client.get("/api/v1/runs", headers={"Authorization": header}).status_code == 401


def test_a_right_id_with_a_wrong_secret_is_401(client: TestClient, keys: dict[str, str]) -> None:
    forged = keys["admin"][:-4] + "AAAA"
    assert client.get("/api/v1/runs", headers=bearer(forged)).status_code == 401


def test_a_revoked_key_stops_working_at_once(project_copy: Path) -> None:
    store = open_workspace(project_copy)
    _, key = create_key(store, "temporary", "viewer")
    with TestClient(create_app(Settings(project=project_copy))) as service:
        assert service.get("/api/v1/runs", headers=bearer(key)).status_code == 200
        revoke_key(store, "temporary")  # from another process's point of view: the CLI
        assert service.get("/api/v1/runs", headers=bearer(key)).status_code == 401


def test_the_rate_limit_answers_429_with_retry_after(
    served_project: tuple[Path, dict[str, str]],
) -> None:
    config, keys = served_project
    with TestClient(create_app(Settings(project=config, rate_limit=60))) as limited:
        codes = [limited.get("/api/v1/runs", headers=bearer(keys["viewer"])) for _ in range(15)]
    assert [c.status_code for c in codes[:10]] == [200] * 10  # the burst
    refused = [c for c in codes[10:] if c.status_code == 429]
    assert refused  # one token a second refills far slower than these requests arrive
    assert int(refused[0].headers["retry-after"]) >= 1


def test_a_viewer_granted_members_sees_ids_and_customers(project_copy: Path) -> None:
    store = open_workspace(project_copy)
    _, granted = create_key(store, "analyst", "viewer", ("members",))
    with TestClient(create_app(Settings(project=project_copy))) as service:
        page = service.get(
            "/api/v1/segmentations/lifecycle/segments/VIP/members", headers=bearer(granted)
        ).json()
        assert len(page["members"]) == 100
        assert service.get("/api/v1/customers/0000004", headers=bearer(granted)).status_code == 200
        # Still a viewer: no writes.
        assert service.post("/api/v1/runs", headers=bearer(granted)).status_code == 403
    with pytest.raises(Exception, match="unknown grant"):
        create_key(store, "x", "viewer", ("everything",))
