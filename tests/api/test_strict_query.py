"""Query parameters a route does not take: refused and named, never answered for the default."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from segwise.api import Settings, create_app
from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path


def test_a_misspelt_date_is_refused_not_answered_for_the_latest_run(
    client: TestClient, keys: dict[str, str]
) -> None:
    viewer = bearer(keys["viewer"])
    members = "/api/v1/segmentations/lifecycle/segments/VIP/members"
    assert client.get(members, params={"on": "2024-12-31"}, headers=viewer).status_code == 200
    found = client.get(members, params={"date": "2024-06-30", "limit": 5}, headers=viewer)
    assert found.status_code == 422
    error = found.json()["error"]
    assert error["message"] == (
        "query.date: unknown parameter (the parameters are cursor, limit, on, run, search)"
    )
    assert [f["location"] for f in error["fields"]] == ["query.date"]
    runs = client.get("/api/v1/changes", params={"from": 1, "to_run": 1}, headers=viewer)
    assert runs.status_code == 422
    assert "query.from: unknown parameter (did you mean 'from_run'?)" in runs.text
    # A route that takes no query says so.
    assert "this route takes none" in client.get("/api/v1/runs?x=1", headers=viewer).text


def test_a_delete_with_a_misspelt_version_guard_deletes_nothing(
    project_copy: Path, keys: dict[str, str]
) -> None:
    editor = bearer(keys["editor"])
    with TestClient(create_app(Settings(project=project_copy))) as service:
        lifecycle = "/api/v1/definitions/lifecycle"
        version = service.get(lifecycle, headers=editor).json()["version"]
        deleted = service.delete(lifecycle, params={"expectedVersion": version}, headers=editor)
        assert deleted.status_code == 422
        assert "did you mean 'expected_version'?" in deleted.json()["error"]["message"]
        assert service.get(lifecycle, headers=editor).json()["version"] == version
        kept = service.delete(lifecycle, params={"expected_version": version}, headers=editor)
        assert kept.status_code == 200
        assert service.get(lifecycle, headers=editor).status_code == 404


def test_unauthenticated_callers_learn_nothing_from_the_parameters(client: TestClient) -> None:
    # The key is checked first: a probe cannot map the routes' parameters without one.
    found = client.get("/api/v1/alerts", params={"rnu": 1})
    assert found.status_code == 401
    assert "run" not in found.json()["error"]["message"]
