"""Rule definitions written back to segwise.yaml: comments kept, validated, versioned, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from segwise.api import Settings, create_app
from segwise.project import open_workspace
from segwise.store.audit import entries
from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path


def _service(config: Path) -> TestClient:
    return TestClient(create_app(Settings(project=config, rate_limit=1_000_000)))


def _editor(config: Path) -> dict[str, str]:
    from segwise.store.keys import create_key

    return bearer(create_key(open_workspace(config), "writer", "editor")[1])


def test_adding_a_segment_keeps_every_other_byte(project_copy: Path) -> None:
    before = project_copy.read_text()
    headers = _editor(project_copy)
    with _service(project_copy) as service:
        version = service.get("/api/v1/definitions/lifecycle", headers=headers).json()["version"]
        saved = service.put(
            "/api/v1/definitions/lifecycle/segments/Big spenders",
            json={
                "segment": {"where": "net_revenue > 3000", "priority": 5},
                "expected_version": version,
            },
            headers=headers,
        )
    assert saved.status_code == 200, saved.text
    assert saved.json()["previous_version"] == version
    after = project_copy.read_text()
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert [line.strip() for line in added] == [
        "- name: Big spenders",
        "where: net_revenue > 3000",
        "priority: 5",
    ]
    assert "# Natural clusters; k between 3 and 8 is chosen automatically." in after
    assert after.replace("\n".join(added) + "\n", "") == before


def test_a_stale_version_is_409_and_writes_nothing(project_copy: Path) -> None:
    before = project_copy.read_text()
    with _service(project_copy) as service:
        answer = service.put(
            "/api/v1/definitions/lifecycle/segments/X",
            json={"segment": {"where": "orders > 1"}, "expected_version": "0000000000000000"},
            headers=_editor(project_copy),
        )
    assert answer.status_code == 409
    assert project_copy.read_text() == before


def test_a_bad_rule_is_refused_with_its_position_and_writes_nothing(project_copy: Path) -> None:
    before = project_copy.read_text()
    headers = _editor(project_copy)
    with _service(project_copy) as service:
        syntax = service.put(
            "/api/v1/definitions/lifecycle/segments/Bad",
            json={"segment": {"where": "orders >> 3"}},
            headers=headers,
        )
        column = service.put(
            "/api/v1/definitions/lifecycle/segments/Bad",
            json={"segment": {"where": "netrevenue > 3"}},
            headers=headers,
        )
    assert syntax.status_code == 422
    assert syntax.json()["error"]["rule"]["column"] == 9
    assert column.status_code == 422
    assert "net_revenue" in column.json()["error"]["rule"]["hint"]
    assert project_copy.read_text() == before


def test_the_same_validation_as_the_cli_refuses_a_bad_key(project_copy: Path) -> None:
    before = project_copy.read_text()
    with _service(project_copy) as service:
        answer = service.put(
            "/api/v1/definitions/lifecycle",
            json={
                "definition": {"method": "rules", "segmens": [{"name": "A", "where": "orders > 1"}]}
            },
            headers=_editor(project_copy),
        )
    assert answer.status_code == 422
    assert "segmens" in answer.json()["error"]["message"]
    assert project_copy.read_text() == before


def test_create_replace_and_delete_a_segmentation_are_audited(project_copy: Path) -> None:
    headers = _editor(project_copy)
    definition = {"method": "rules", "segments": [{"name": "Heavy", "where": "orders >= 20"}]}
    with _service(project_copy) as service:
        created = service.post(
            "/api/v1/definitions",
            json={"segmentation": "heavy", "definition": definition},
            headers=headers,
        )
        again = service.post(
            "/api/v1/definitions",
            json={"segmentation": "heavy", "definition": definition},
            headers=headers,
        )
        definition["segments"][0]["where"] = "orders >= 25"
        replaced = service.put(
            "/api/v1/definitions/heavy", json={"definition": definition}, headers=headers
        )
        listed = {
            d["segmentation"] for d in service.get("/api/v1/definitions", headers=headers).json()
        }
        deleted = service.delete("/api/v1/definitions/heavy", headers=headers)
    assert created.status_code == 201
    assert again.status_code == 409
    assert replaced.json()["previous_version"] == created.json()["version"]
    assert "heavy" in listed
    assert deleted.status_code == 200
    assert "heavy" not in project_copy.read_text()
    log = entries(open_workspace(project_copy))
    assert log.filter(actor="key:writer")["action"].to_list() == [
        "definition.delete",
        "definition.update",
        "definition.create",
    ]


def test_other_methods_and_path_tricks_are_refused(project_copy: Path) -> None:
    before = project_copy.read_text()
    headers = _editor(project_copy)
    with _service(project_copy) as service:
        cluster = service.put(
            "/api/v1/definitions/behaviour/segments/X",
            json={"segment": {"where": "orders > 1"}},
            headers=headers,
        )
        for name in ("..%2F..%2Fetc", "../x", "a/b", ".hidden/..", "x" * 100):
            answer = service.post(
                "/api/v1/definitions",
                json={"segmentation": name, "definition": {"method": "rules", "segments": []}},
                headers=headers,
            )
            assert answer.status_code in (404, 422), name
    assert cluster.status_code == 422
    assert project_copy.read_text() == before


def test_a_viewer_cannot_write(project_copy: Path, keys: dict[str, str]) -> None:
    with _service(project_copy) as service:
        answer = service.delete("/api/v1/definitions/lifecycle", headers=bearer(keys["viewer"]))
    assert answer.status_code == 403
