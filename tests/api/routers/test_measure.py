"""KPIs and the analysed experiments over the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

import segwise as sw
from segwise.api import Settings, create_app
from segwise.project import open_workspace
from segwise.project.experiment_analysis import analyze_experiment
from segwise.project.kpis import kpis_by_segment
from segwise.store.keys import create_key
from tests.api.conftest import bearer
from tests.project.experiment_demo import EXPERIMENT

if TYPE_CHECKING:
    from pathlib import Path

API = "/api/v1"


def test_kpis_and_experiments_read_like_the_cli(experiment_copy: Path) -> None:
    config = experiment_copy
    project = sw.Project.from_yaml(config)
    viewer = bearer(create_key(open_workspace(config), "analyst", "viewer")[1])
    analyze_experiment(project, EXPERIMENT, segmentation="lifecycle")
    with TestClient(create_app(Settings(project=config, rate_limit=1_000_000))) as service:
        found = service.get(
            f"{API}/kpis", params={"segmentation": "lifecycle", "run": 1}, headers=viewer
        )
        assert found.status_code == 200, found.text
        [run] = found.json()["runs"]
        _, [expected] = kpis_by_segment(project, segmentation="lifecycle", runs=[1])
        assert run["segments"][0]["segment"] == "(everyone)"
        assert run["segments"][0]["conversion"]["value"] == pytest.approx(
            expected.segments[0].kpis["conversion"].value
        )
        [listed] = service.get(f"{API}/experiments", headers=viewer).json()
        assert (listed["experiment"], listed["srm_flagged"]) == (EXPERIMENT, False)
        lapsed = service.get(
            f"{API}/experiments/findings", params={"segment": "Lapsed"}, headers=viewer
        ).json()
        assert {(r["metric"], r["verdict"]) for r in lapsed} == {
            ("conversion", "worked"),
            ("revenue", "worked"),
        }
        assert service.get(f"{API}/kpis").status_code == 401
        assert (
            service.get(f"{API}/kpis", params={"window_days": 0}, headers=viewer).status_code == 422
        )
        unknown = service.get(f"{API}/kpis", params={"segmentation": "nope"}, headers=viewer)
        assert unknown.status_code == 422
        assert "no segmentation 'nope'" in unknown.text


def test_a_run_with_no_orders_after_it_is_counted_not_measured(
    client: TestClient, keys: dict[str, str]
) -> None:
    # The demo's run is as of its last order: it answered 0% conversion and 100% churn.
    viewer = bearer(keys["viewer"])
    found = client.get(f"{API}/kpis", params={"segmentation": "lifecycle"}, headers=viewer).json()
    [run] = found["runs"]
    assert run["observed_days"] == 0
    assert found["judged_run"] is None
    assert found["window_note"] == (
        f"no orders after any stored run's date yet (the latest run is as of {run['as_of']}); "
        "KPIs need the orders that come after a run"
    )
    everyone, *segments = run["segments"]
    assert everyone["customers"] == sum(s["customers"] for s in segments)  # exclusive rules
    for segment in run["segments"]:
        assert segment["conversion"] is None and segment["churn"] is None
        assert segment["revenue_per_customer"] is None and segment["retention"] == {}


def test_a_clv_segmentation_reads_realised_against_predicted(
    predicted_shop: Path, tmp_path: Path
) -> None:
    from tests.project.experiment_demo import copy_project

    config = copy_project(predicted_shop, tmp_path / "shop")
    viewer = create_key(open_workspace(config), "analyst", "viewer")[1]
    with TestClient(create_app(Settings(project=config, rate_limit=1_000_000))) as service:
        found = service.get(
            f"{API}/kpis", params={"segmentation": "future_tiers"}, headers=bearer(viewer)
        )
        assert found.status_code == 200, found.text
        [run] = found.json()["runs"]
        everyone = run["segments"][0]["predicted"]["realised_to_predicted"]
        unusual = not everyone["ci_low"] <= 1 <= everyone["ci_high"]
        assert (run["prediction_note"] is not None) == unusual
        for segment in run["segments"]:
            ratio = segment["predicted"]["realised_to_predicted"]
            realised = segment["revenue_per_customer"]["value"]
            assert ratio["value"] == pytest.approx(
                realised / segment["predicted"]["revenue_per_customer"]
            )
            assert 0 < segment["top_customer_share"] <= 1
            shares = (segment["top_customer_share"], segment["top_return_share"] or 0.0)
            assert (segment["revenue_note"] is None) == (max(shares) < 0.25)
        service.post("/ui/login", data={"key": viewer})
        page = service.get("/ui/measure", params={"segmentation": "future_tiers"}).text
        assert '<th class="n">realised / predicted</th>' in page
        assert page.count('<td class="n realised">×') == len(run["segments"])
        notes = [s["revenue_note"] for s in run["segments"] if s["revenue_note"]]
        assert page.count('class="warning concentrated"') == len(notes)
        assert ('class="warning prediction"' in page) == unusual


def test_the_measure_page_judges_by_the_latest_whole_window(tmp_path: Path) -> None:
    # Orders run to 2025-12-30: run 2 (2025-12-20) has 10 of its 30 days, run 1 all of them.
    from tests.project.test_advice import planted

    config = planted(tmp_path)
    sw.Project.from_yaml(config).run(as_of="2025-10-31")
    sw.Project.from_yaml(config).run(as_of="2025-12-20")
    viewer = create_key(open_workspace(config), "analyst", "viewer")[1]
    with TestClient(create_app(Settings(project=config, rate_limit=1_000_000))) as service:
        api = service.get(f"{API}/kpis", headers=bearer(viewer)).json()
        assert api["judged_run"] == 1 and "run 2 (as of 2025-12-20) has only" in api["window_note"]
        service.post("/ui/login", data={"key": viewer})
        page = service.get("/ui/measure").text
        assert "teams, run 1 (as of 2025-10-31)" in page
        assert 'class="muted window-note">run 2 (as of 2025-12-20) has only' in page
        assert '<option value="2" >run 2 · 2025-12-20 (' in page  # the open run, to pick
        assert 'id="trend"' in page and "/ui/static/plotly.min.js" in page
        picked = service.get("/ui/measure", params={"run": 2}).text
        assert "teams, run 2 (as of 2025-12-20)" in picked and "days of orders so far" in picked
        assert "window-note" not in picked
        missing = service.get("/ui/measure", params={"run": 9})
        assert missing.status_code == 404 and "no run 9 with orders after it" in missing.text
        wrong = service.get("/ui/measure", params={"segmentation": "nope", "run": 1})
        assert wrong.status_code == 404 and "customers &#39;nope&#39;" in wrong.text
