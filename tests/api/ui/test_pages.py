"""The UI's page data, read from the store without a browser."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.api.ui.pages import segment_page
from segwise.store import Workspace
from tests.project.demo import keep_segmentations
from tests.store.test_refits import refitted_store_at

if TYPE_CHECKING:
    from pathlib import Path


def test_the_segment_page_of_a_refitted_clustering_carries_the_note(tmp_path: Path) -> None:
    store = Workspace(refitted_store_at(tmp_path / "store.duckdb"))
    page = segment_page(store, "groups", "Quiet")
    assert page is not None and page["refit_note"] is not None
    assert page["refit_note"].startswith("groups was fitted afresh between run 1 and run 2")
    ruled = segment_page(store, "value", "All")
    assert ruled is not None and ruled["refit_note"] is None


def test_a_segment_page_draws_only_the_flows_of_that_segment(tmp_path: Path) -> None:
    # Run 2 splits B (60) into Big spenders (5), Quiet (30) and Lapsed (25); A (40) becomes
    # Big spenders. Quiet's page shows where its members came from, not B's other halves.
    store = Workspace(refitted_store_at(tmp_path / "store.duckdb"))
    page = segment_page(store, "groups", "Quiet", k_min=1)
    assert page is not None and page["sankey"] is not None
    assert "Quiet: who stayed, came and left between runs 1 and 2" in page["sankey"]
    assert '"B"' in page["sankey"] and '"Quiet"' in page["sankey"]
    for elsewhere in ('"Lapsed"', '"Big spenders"', '"A"'):
        assert elsewhere not in page["sankey"]
    # Flows under k_min are not drawn apart: 30 customers is one flow at k_min 31, merged away.
    assert segment_page(store, "groups", "Quiet", k_min=31)["sankey"] is None  # type: ignore[index]


def test_a_segment_page_draws_its_small_flows_as_one(tmp_path: Path) -> None:
    # Online Retail's page of a segment fed by many small flows was a 500 (KeyError): the
    # "other moves" flow was built without the store matrix's segmentation column.
    import datetime as dt

    from tests.store.test_refits import _ids, _write

    store = Workspace(tmp_path / "store.duckdb")
    before = {"A": _ids("a", 20), **{name: _ids(name, 4) for name in "BCDE"}}
    _write(store, dt.date(2024, 1, 31), before, model={"centres": [0]})
    everyone = [c for m in before.values() for c in m]
    _write(store, dt.date(2024, 2, 29), {"Z": everyone}, model={"centres": [0]})
    page = segment_page(store, "groups", "Z", k_min=5)
    assert page is not None and page["sankey"] is not None
    assert '"other moves"' in page["sankey"] and '"A"' in page["sankey"]
    assert '"B"' not in page["sankey"]  # 4 customers: drawn only within the other moves


def test_the_overview_says_what_the_run_said_of_each_segmentation(tmp_path: Path) -> None:
    # The CLI and the report said "no number of segments is stable"; the UI did not.
    import datetime as dt

    import polars as pl

    from segwise.api.ui.pages import overview
    from segwise.store.records import RunRecord, SegmentationRecord

    store = Workspace(tmp_path / "store.duckdb")
    members = pl.DataFrame({"customer_id": ["a", "b"], "segment": ["A", "B"]})
    cards = [{"name": n, "size": 1, "share": 0.5} for n in ("A", "B")]
    said = "no number of segments from 3 to 8 is stable: treat the segments as a rough split"
    definitions = {
        "groups": {"method": "cluster", "model": {"centres": [0]}, "warnings": [said]},
        "value": {"method": "rules"},
    }
    records = [
        SegmentationRecord(n, d["method"], d, cards, members) for n, d in definitions.items()
    ]
    day = dt.date(2024, 1, 31)
    store.write_run(
        RunRecord(
            "shop", day, "hash", "name: shop", "0", "polars", 2, dt.datetime(2024, 1, 31), records
        )
    )
    page = overview(store)
    assert page is not None
    found = {s["name"]: s["warnings"] for s in page["segmentations"]}
    assert found == {"groups": [said], "value": []}


def test_the_segment_page_of_an_edited_segmentation_says_so(tmp_path: Path) -> None:
    import datetime as dt

    import polars as pl

    from segwise.store.records import RunRecord, SegmentationRecord

    store = Workspace(tmp_path / "store.duckdb")
    cards = [{"name": n, "size": 1, "share": 0.5} for n in ("Big", "Rest")]
    for bar, members in (("orders > 5", ["Big", "Rest"]), ("orders > 2", ["Big", "Big"])):
        rules = {"method": "rules", "segments": [{"name": "Big", "where": bar}]}
        frame = pl.DataFrame({"customer_id": ["a", "b"], "segment": members})
        store.write_run(
            RunRecord(
                "shop", dt.date(2024, 1, 31), "h", "name: shop", "0", "polars", 2,
                dt.datetime(2024, 2, 1), [SegmentationRecord("life", "rules", rules, cards, frame)],
            )
        )  # fmt: skip
    page = segment_page(store, "life", "Big")
    assert page is not None
    assert page["edit_note"] == (
        "life was edited between run 1 and run 2 (segwise diff --from 1 --to 2 shows how): its "
        "moves are the edit's as well as the customers'"
    )


def test_the_measure_page_of_a_project_not_yet_run(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    import segwise as sw
    from segwise.api import Settings, create_app
    from segwise.project import open_workspace
    from segwise.store.keys import create_key

    config = sw.Project.init(tmp_path / "shop")
    key = create_key(open_workspace(config), "analyst", "viewer")[1]
    with TestClient(create_app(Settings(project=config))) as client:
        client.post("/ui/login", data={"key": key, "next": "/ui"}, follow_redirects=False)
        page = client.get("/ui/measure")
        assert page.status_code == 200  # was a 500: the page read keys only a run gives
        assert "No runs yet." in page.text


def test_the_size_chart_starts_at_zero_and_waits_for_a_second_run(tmp_path: Path) -> None:
    # One run drew a lone point on an axis from 733 to 735.
    import segwise as sw

    project = sw.Project.from_yaml(keep_segmentations(sw.Project.init(tmp_path / "shop"), "value"))
    project.run(as_of="2024-09-30")
    store = Workspace(project.store.path)
    one = segment_page(store, "value", "Champions")
    assert one is not None and one["size_chart"] is None and len(one["sizes"]) == 1
    project.run(as_of="2024-10-31")
    two = segment_page(store, "value", "Champions")
    assert two is not None and two["size_chart"] is not None
    assert '"rangemode":"tozero"' in two["size_chart"].replace(" ", "")


def test_the_measure_page_says_the_currency_of_its_amounts(
    predicted_shop: Path, tmp_path: Path
) -> None:
    import segwise as sw
    from segwise.api.ui.pages import measure_page
    from tests.project.experiment_demo import copy_project

    config = copy_project(predicted_shop, tmp_path / "shop")
    plain = measure_page(sw.Project.from_yaml(config), "value")
    assert plain["run"] is not None and plain["money"]["AOV"] == "AOV"
    config.write_text(f"{config.read_text()}\ncurrency: GBP\n")
    page = measure_page(sw.Project.from_yaml(config), "value")
    assert page["money"] == {"revenue / customer": "revenue / customer (£)", "AOV": "AOV (£)"}


def test_the_held_out_column_shows_only_where_a_holdout_measured_one(
    predicted_shop: Path, tmp_path: Path
) -> None:
    # Online Retail II with no holdout: a column of empty cells under "targeted vs held out".
    from fastapi.testclient import TestClient

    from segwise.api import Settings, create_app
    from segwise.project import open_workspace
    from segwise.store.keys import create_key
    from tests.project.experiment_demo import copy_project
    from tests.project.test_holdouts import set_holdout

    config = copy_project(predicted_shop, tmp_path / "shop")
    key = create_key(open_workspace(config), "analyst", "viewer")[1]

    def page() -> str:
        with TestClient(create_app(Settings(project=config))) as client:
            client.post("/ui/login", data={"key": key, "next": "/ui"}, follow_redirects=False)
            found = client.get("/ui/measure", params={"segmentation": "value"})
            assert found.status_code == 200
            return found.text

    assert 'id="kpi-table"' in (plain := page()) and "targeted vs held out" not in plain
    set_holdout(config, "segmentations", "value", "20%")
    held = page()
    assert "<th>targeted vs held out</th>" in held and " held out)</span>" in held


def test_a_run_nobody_moved_in_says_so_instead_of_one_grey_band(tmp_path: Path) -> None:
    # Online Retail II run again as of the same day: "Lost → Lost", a Sankey of one band.
    import segwise as sw

    project = sw.Project.from_yaml(keep_segmentations(sw.Project.init(tmp_path / "shop"), "value"))
    project.run(as_of="2024-09-30")
    store = Workspace(project.store.path)
    first = segment_page(store, "value", "Champions")
    assert first is not None and first["sankey"] is None
    assert first["migration_note"] == "One run so far: the migration appears after the next run."
    project.run(as_of="2024-09-30")
    again = segment_page(store, "value", "Champions")
    assert again is not None and again["sankey"] is None
    size = again["sizes"][-1]["size"]
    assert again["migration_note"] == (
        f"Nobody came or left between runs 1 and 2: all {size:,} stayed."
    )
    project.run(as_of="2024-10-31")
    moved = segment_page(store, "value", "Champions")
    assert moved is not None and moved["sankey"] is not None


def test_a_hybrids_cards_sit_beside_their_parents() -> None:
    # Online Retail II's mix, largest first: 'Big accounts › Small-basket…' (150) sat between
    # 'Everyone else › Need Attention' (491) and '… › New Customers' (120).
    from segwise.api.ui.pages import by_parent

    sizes = [("Everyone else › Lost", 1121), ("Everyone else › Need Attention", 491),
             ("Big accounts › Small-basket", 150), ("Everyone else › New Customers", 120),
             ("Big accounts › Occasional", 63), ("Big accounts › Outliers", None)]  # fmt: skip
    cards = [{"segment": s, "size": n} for s, n in sizes]
    ordered = [c["segment"] for c in by_parent(cards, " › ")]
    assert ordered == [
        "Everyone else › Lost",
        "Everyone else › Need Attention",
        "Everyone else › New Customers",
        "Big accounts › Small-basket",
        "Big accounts › Occasional",
        "Big accounts › Outliers",
    ]
