"""A customer's segments and history; changes between runs; alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path

    from fastapi.testclient import TestClient


def test_a_customer_has_one_segment_per_exclusive_segmentation(
    served_project: tuple[Path, dict[str, str]], client: TestClient, keys: dict[str, str]
) -> None:
    from segwise.project import open_workspace

    found = client.get("/api/v1/customers/0000004", headers=bearer(keys["editor"])).json()
    held = {(s["segmentation"], s["segment"]) for s in found["segments"]}
    stored = open_workspace(served_project[0]).memberships().filter(customer_id="0000004")
    assert held == set(stored.select("segmentation", "segment").iter_rows())
    assert found["history"]["customer_id"] == "0000004"


def test_an_unknown_customer_is_404(client: TestClient, keys: dict[str, str]) -> None:
    assert client.get("/api/v1/customers/nobody", headers=bearer(keys["editor"])).status_code == 404


def test_changes_with_one_run_say_why_not(client: TestClient, keys: dict[str, str]) -> None:
    answer = client.get("/api/v1/changes", headers=bearer(keys["viewer"]))
    assert answer.status_code == 422
    assert "no earlier run" in answer.json()["error"]["message"]


def test_alerts_are_a_list(client: TestClient, keys: dict[str, str]) -> None:
    assert isinstance(client.get("/api/v1/alerts", headers=bearer(keys["viewer"])).json(), list)
