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


def test_changes_carry_a_refit_note_with_small_matches_hidden(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from segwise.api import Settings, create_app
    from segwise.store import Workspace
    from segwise.store.keys import create_key
    from tests.store.test_refits import refitted_store_at

    config = tmp_path / "segwise.yaml"
    config.write_text(
        "name: shop\nstore: store.duckdb\nsources: {transactions: {path: t.csv}}\n"
        "segmentations: {value: {method: rfm}}\nprivacy: {k_min: 41}\n"
    )
    refitted_store_at(tmp_path / "store.duckdb")
    key = create_key(Workspace(tmp_path / "store.duckdb"), "viewer-key", "viewer")[1]
    with TestClient(create_app(Settings(project=config))) as service:
        answer = service.get("/api/v1/changes?segmentation=groups", headers=bearer(key))
    assert answer.status_code == 200, answer.text
    [refit] = answer.json()["refits"]
    assert refit["note"].startswith("groups was fitted afresh between run 1 and run 2")
    matches = {m["from_segment"]: m for m in refit["matches"]}
    # B's closest (Quiet) holds 30 of its customers, A's (Big spenders) 40: both under
    # k_min = 41, so count, share and overlap are hidden and only the names are shown.
    assert (matches["A"]["to_segment"], matches["B"]["to_segment"]) == ("Big spenders", "Quiet")
    for match in matches.values():
        assert (match["customers"], match["share"], match["overlap"]) == (None, None, None)
