"""KPIs of each stored run's segments, on the orders that came after the run."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

import segwise as sw
from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError
from segwise.measure.kpis import EVERYONE
from segwise.project import open_workspace
from segwise.project.kpis import kpis_by_segment
from tests.project.demo import keep_segmentations
from tests.project.experiment_demo import copy_project

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory, experiment_shop: Path) -> Path:
    return copy_project(experiment_shop, tmp_path_factory.mktemp("kpis") / "shop")


def test_each_run_is_measured_on_the_orders_after_it(two_runs: Path) -> None:
    project = sw.Project.from_yaml(two_runs)
    name, found = kpis_by_segment(project, segmentation="lifecycle")
    assert name == "lifecycle"
    first, latest = found
    assert first.observed_days > 90  # 2024-10-01 to the orders' end, 2024-12-31
    assert latest.observed_days == 0  # as of the data's end: nothing after it yet
    orders = pl.DataFrame(
        to_lazy(project.read_source("transactions").data).collect(backend="polars").to_native()
    )
    start = datetime.combine(first.as_of + timedelta(days=1), datetime.min.time())
    bought = orders.filter(
        pl.col("timestamp").is_between(start, start + timedelta(days=30), closed="left")
        & ~pl.col("is_return")
    )["customer_id"].unique()
    members = open_workspace(two_runs).memberships(run=1, segmentation="lifecycle")
    for segment in (s for s in first.segments if s.segment != EVERYONE):
        ids = members.filter(pl.col("segment") == segment.segment)["customer_id"]
        assert segment.customers == ids.len()
        expected = ids.is_in(bought.implode()).mean()
        assert segment.kpis["conversion"].value == pytest.approx(expected)
    assert sorted(first.segments[0].retention) == [30, 60, 90]  # 180 days not observed yet


def test_a_run_that_is_not_stored_is_named(two_runs: Path) -> None:
    with pytest.raises(ConfigError, match="no run 9") as caught:
        kpis_by_segment(sw.Project.from_yaml(two_runs), runs=[9])
    assert "1, 2" in str(caught.value.hint)


@pytest.mark.realdata
def test_on_online_retail_champions_buy_again_far_more_than_the_lost(
    tmp_path: Path, shared_data: Path
) -> None:
    config = tmp_path / "segwise.yaml"
    config.write_text(
        "name: retail\nstore: segwise.duckdb\nsources:\n  transactions:\n"
        f"    path: {shared_data / 'online_retail_uci.csv.gz'}\n"
        "    customer_id: CustomerID\n    timestamp: InvoiceDate\n"
        "    amount: {quantity: Quantity, unit_price: UnitPrice}\n    order_id: InvoiceNo\n"
        "    policy: purchases-only\n"
        "segmentations:\n  value: {method: rfm}\n"
    )
    project = sw.Project.from_yaml(config, allow_outside=True)
    project.run(as_of="2011-08-31")
    _, [run] = kpis_by_segment(project)
    assert 95 < run.observed_days < 101  # orders run to 2011-12-09
    by_name = {s.segment: s for s in run.segments}
    champions, lost = by_name["Champions"].kpis, by_name["Lost"].kpis
    # Read as an analyst would: the best customers come back, the lost ones mostly do not.
    assert champions["conversion"].ci_low > lost["conversion"].ci_high
    assert champions["revenue_per_customer"].value > 5 * lost["revenue_per_customer"].value
    assert champions["conversion"].lift > 1.5
    assert lost["conversion"].lift < 0.6
    assert sorted(run.segments[0].retention) == [30, 60, 90]


def test_a_segmentation_holdout_gets_its_incremental_readout(
    two_runs: Path, tmp_path: Path
) -> None:
    from segwise.project.holdouts import withheld
    from tests.project.test_holdouts import set_holdout

    shutil.copytree(two_runs.parent, tmp_path / "copy")
    config = tmp_path / "copy" / two_runs.name
    set_holdout(config, "segmentations", "lifecycle", "10%")
    project = sw.Project.from_yaml(config)
    _, [run] = kpis_by_segment(project, segmentation="lifecycle", runs=[1])
    members = open_workspace(config).memberships(run=1, segmentation="lifecycle")
    held = withheld(project, members.select("segmentation", "segment", "customer_id"))
    for segment in run.segments:
        assert segment.holdout is not None
        if segment.segment != EVERYONE:
            assert segment.holdout["held_out"] == held.filter(segment=segment.segment).height
    # Nobody was actually targeted here: targeted and held out convert alike overall.
    overall = run.segments[0].holdout["conversion"]
    assert overall["ci_low"] < 0 < overall["ci_high"]


def test_a_clv_run_is_set_against_the_revenue_it_predicted(predicted_shop: Path) -> None:
    from segwise.models import predict_customers
    from segwise.project.methods.clv import _purchases

    project = sw.Project.from_yaml(predicted_shop)
    store = open_workspace(predicted_shop)
    definition = store.definitions(run=1)["future"]
    horizon = round(definition["horizon_days"])
    # Over its horizon, undiscounted, the predicted revenue is the CLV the run ranked on:
    # the segment mean of lifetime value summed period by period (another computation).
    _, [run] = kpis_by_segment(
        project, segmentation="future_tiers", runs=[1], window=timedelta(days=horizon)
    )
    orders = project.read_source("transactions").data
    summary = sw.rfm_summary(
        _purchases(orders), monetary_value_col="amount", observation_period_end=run.as_of,
        time_unit="W",
    )  # fmt: skip
    clv = predict_customers(pl.DataFrame(summary.lazy().collect()), horizon=52.0).table
    members = store.memberships(run=1, segmentation="future_tiers").join(clv, on="customer_id")
    means = dict(members.group_by("segment").agg(pl.col("clv").mean()).iter_rows())
    for segment in run.segments:
        assert segment.predicted is not None
        assert segment.predicted["window_complete"] is False  # a year has not passed
        assert segment.predicted["realised_to_predicted"] is None
        if segment.segment != EVERYONE:
            assert segment.predicted["revenue_per_customer"] == pytest.approx(
                means[segment.segment],
                rel=1e-4,  # refitted here: sums in another order
            )
    # A whole 30-day window: realised over predicted, its interval the realised one's.
    _, [month] = kpis_by_segment(project, segmentation="future", runs=[1])
    for segment in month.segments:
        predicted, realised = segment.predicted, segment.kpis["revenue_per_customer"]
        assert predicted is not None and predicted["window_complete"] is True
        ratio = predicted["realised_to_predicted"]
        assert ratio["value"] == pytest.approx(realised.value / predicted["revenue_per_customer"])
        assert ratio["ci_low"] < ratio["value"] < ratio["ci_high"]
    high = next(s for s in run.segments if s.segment == "high").predicted
    low = next(s for s in run.segments if s.segment == "low").predicted
    assert high["revenue_per_customer"] > 5 * low["revenue_per_customer"]


def test_segmentations_that_predict_nothing_have_no_prediction(predicted_shop: Path) -> None:
    _, [run] = kpis_by_segment(sw.Project.from_yaml(predicted_shop), segmentation="value", runs=[1])
    assert all(segment.predicted is None for segment in run.segments)


@pytest.mark.spark
def test_a_run_on_spark_measures_the_earlier_runs_as_a_run_on_polars_does(
    tmp_path: Path, spark: Any
) -> None:
    # The earlier run's KPIs are measured on the orders as the run holds them: collected
    # from Spark, their timestamps came back zoned, and every run of a Spark project after
    # its first failed with "can't subtract offset-naive and offset-aware datetimes".
    first = keep_segmentations(sw.Project.init(tmp_path / "first"), "lifecycle")
    sw.Project.from_yaml(first).run(as_of="2024-09-30")
    tables = {}
    for engine in ("polars", "spark"):
        folder = tmp_path / engine
        shutil.copytree(first.parent, folder)
        run = sw.Project.from_yaml(folder / "segwise.yaml").run(engine=engine, spark=spark)
        page = run.report.read_text()
        [table] = re.findall(r'<table class="kpi">.*?</table>', page, flags=re.S)
        # Each segment's customers and KPIs; the bootstrap's brackets depend on row order.
        tables[engine] = re.sub(r"\([^)]*\)", "", table)
    assert "run 1 (as of 2024-09-30)" in page
    assert tables["spark"] == tables["polars"]
