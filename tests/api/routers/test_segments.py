"""Segmentations, segment cards and members: cursor pages, on=DATE, the CSV stream."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path

    from fastapi.testclient import TestClient

MEMBERS = "/api/v1/segmentations/{}/segments/{}/members"


def test_cards_match_the_stored_profiles(client: TestClient, keys: dict[str, str]) -> None:
    found = client.get("/api/v1/segmentations/lifecycle", headers=bearer(keys["viewer"])).json()
    assert found["method"] == "rules"
    sizes = {card["segment"]: card["size"] for card in found["cards"]}
    assert sum(sizes.values()) == 5000  # exclusive: everyone exactly once
    vip = next(c for c in found["cards"] if c["segment"] == "VIP")
    assert vip["profile"]["traits"]
    assert vip["profile"]["definition"] == "net_revenue > 1500 AND orders >= 12"
    every = client.get("/api/v1/segmentations", headers=bearer(keys["viewer"])).json()
    cluster = next(s for s in every if s["segmentation"] == "behaviour")
    assert "model" not in cluster["definition"]  # the fitted model is not card data


def test_a_segment_page_has_its_card_and_sizes_over_runs(
    client: TestClient, keys: dict[str, str]
) -> None:
    found = client.get(
        "/api/v1/segmentations/lifecycle/segments/VIP", headers=bearer(keys["viewer"])
    ).json()
    assert found["card"]["segment"] == "VIP"
    assert [p["run_id"] for p in found["sizes"]] == [1]
    assert found["sizes"][0]["size"] == found["card"]["size"]


def test_cursor_pages_cover_the_members_once_in_order(
    served_project: tuple[Path, dict[str, str]], client: TestClient, keys: dict[str, str]
) -> None:
    from segwise.project import open_workspace

    expected = open_workspace(served_project[0]).members("Lapsed", segmentation="lifecycle")
    seen: list[str] = []
    url = MEMBERS.format("lifecycle", "Lapsed") + "?limit=400"
    pages = 0
    while url:
        page = client.get(url, headers=bearer(keys["editor"])).json()
        seen += page["members"]
        pages += 1
        cursor = page["next_cursor"]
        url = (
            MEMBERS.format("lifecycle", "Lapsed") + f"?limit=400&cursor={cursor}" if cursor else ""
        )
    assert seen == expected["customer_id"].to_list()
    assert pages == -(-len(seen) // 400)


def test_on_a_date_before_the_first_run_is_a_clear_error(
    client: TestClient, keys: dict[str, str]
) -> None:
    answer = client.get(
        MEMBERS.format("lifecycle", "VIP") + "?on=2000-01-01", headers=bearer(keys["editor"])
    )
    assert answer.status_code == 422
    assert "no run as of 2000-01-01" in answer.json()["error"]["message"]
    later = client.get(
        MEMBERS.format("lifecycle", "VIP") + "?on=2030-01-01", headers=bearer(keys["editor"])
    )
    assert later.json()["run_id"] == 1


def test_search_keeps_ids_with_the_prefix(client: TestClient, keys: dict[str, str]) -> None:
    page = client.get(
        MEMBERS.format("lifecycle", "Lapsed") + "?search=00001&limit=1000",
        headers=bearer(keys["editor"]),
    ).json()
    assert page["members"]
    assert all(m.startswith("00001") for m in page["members"])


def test_the_csv_stream_holds_every_member(
    served_project: tuple[Path, dict[str, str]], client: TestClient, keys: dict[str, str]
) -> None:
    from segwise.project import open_workspace

    answer = client.get(
        MEMBERS.format("lifecycle", "Other") + ".csv", headers=bearer(keys["editor"])
    )
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="lifecycle-Other-run1.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    expected = open_workspace(served_project[0]).members("Other", segmentation="lifecycle")
    assert [r["customer_id"] for r in rows] == expected["customer_id"].to_list()


def test_unknown_names_are_404_and_never_reach_a_path(
    client: TestClient, keys: dict[str, str]
) -> None:
    for name in ("nope", "..%2F..%2Fetc", "%2E%2E"):
        answer = client.get(
            f"/api/v1/segmentations/lifecycle/segments/{name}", headers=bearer(keys["viewer"])
        )
        assert answer.status_code == 404
    assert (
        client.get(
            "/api/v1/segmentations/../../etc/passwd", headers=bearer(keys["viewer"])
        ).status_code
        == 404
    )


def test_a_forged_cursor_is_422(client: TestClient, keys: dict[str, str]) -> None:
    answer = client.get(
        MEMBERS.format("lifecycle", "VIP") + "?cursor=not-base64!", headers=bearer(keys["editor"])
    )
    assert answer.status_code == 422
