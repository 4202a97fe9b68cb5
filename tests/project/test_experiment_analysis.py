"""An experiment on the demo project: the planted effect, found where it was planted, with
each customer read in the segment they were in when exposed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl
import pytest

import segwise as sw
from segwise.exceptions import ConfigError
from segwise.measure.readout import ALL
from segwise.project import open_workspace
from segwise.project.experiment_analysis import analyze_experiment
from tests.project.experiment_demo import EXPERIMENT, EXPOSED, copy_project

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory, experiment_shop: Path) -> Path:
    return copy_project(experiment_shop, tmp_path_factory.mktemp("experiment") / "shop")


def test_the_planted_lift_is_found_in_lapsed_and_nowhere_else(experiment: Path) -> None:
    found = analyze_experiment(
        sw.Project.from_yaml(experiment),
        EXPERIMENT,
        segmentation="lifecycle",
        metrics=["conversion"],
    )
    assert found.control == "control"
    assert not found.srm.flagged
    by_segment = {r.segment: r for r in found.results}
    lapsed = by_segment["Lapsed"]
    assert lapsed.significant
    assert lapsed.comparison.ci_low > 0.25  # 40% planted on top of almost no one buying
    assert {s for s, r in by_segment.items() if r.significant} == {"Lapsed", ALL}
    assert "lifts conversion in Lapsed by +" in found.verdicts["Lapsed"]


def test_customers_are_read_in_the_segment_they_held_when_exposed(experiment: Path) -> None:
    store = open_workspace(experiment)
    assert store.runs().height == 2
    then = store.memberships(run=1, segmentation="lifecycle")
    now = store.memberships(run=2, segmentation="lifecycle")
    moved = then.join(now, on="customer_id", suffix="_now").filter(
        (pl.col("segment") == "Lapsed") & (pl.col("segment_now") != "Lapsed")
    )
    assert moved.height > 100  # the planted buyers left Lapsed by run 2
    found = analyze_experiment(
        sw.Project.from_yaml(experiment),
        EXPERIMENT,
        segmentation="lifecycle",
        metrics=["conversion"],
    )
    lapsed = next(r for r in found.results if r.segment == "Lapsed")
    exposed_then = then.filter(pl.col("segment") == "Lapsed").height
    assert lapsed.comparison.n + lapsed.comparison.control_n == exposed_then


def test_clear_errors_for_what_is_missing(experiment: Path) -> None:
    project = sw.Project.from_yaml(experiment)
    with pytest.raises(ConfigError, match="no exposures of experiment 'nope'") as caught:
        analyze_experiment(project, "nope")
    assert EXPERIMENT in str(caught.value.hint)
    with pytest.raises(ConfigError, match="no variant 'B'"):
        analyze_experiment(project, EXPERIMENT, control="B")
    with pytest.raises(ConfigError, match="--split gives 3 shares for 2 variants"):
        analyze_experiment(project, EXPERIMENT, split=[1, 1, 1])
    with pytest.raises(ConfigError, match="no segmentation 'value'"):
        analyze_experiment(project, EXPERIMENT, segmentation="value")


def test_customers_seen_in_two_variants_are_left_out_and_counted(
    experiment: Path, tmp_path: Path
) -> None:
    config = copy_project(experiment, tmp_path / "shop")
    log = config.parent / "exposures.csv"
    exposures = pl.read_csv(log, infer_schema=False)
    crossed = exposures.head(7).with_columns(
        pl.when(pl.col("variant") == "control")
        .then(pl.lit(EXPERIMENT))
        .otherwise(pl.lit("control"))
        .alias("variant")
    )
    pl.concat([exposures, crossed]).write_csv(log)
    project = sw.Project.from_yaml(config)
    found = analyze_experiment(project, EXPERIMENT, metrics=["conversion"], keep=False)
    everyone = next(r for r in found.results if r.segment == ALL).comparison
    assert everyone.n + everyone.control_n == exposures.height - 7
    assert any(
        n.startswith("7 customers were exposed to more than one variant") for n in found.notes
    )
    # The same customers the reader quarantines for it.
    quarantined = project.read_source("exposures").quarantine().collect().to_native()
    assert set(quarantined.filter(pl.col("reason") == "several_variants")["customer_id"]) == set(
        crossed["customer_id"]
    )


def test_notes_say_when_the_orders_end_inside_or_before_the_windows(
    experiment: Path, tmp_path: Path
) -> None:
    config = copy_project(experiment, tmp_path / "shop")
    orders_file = config.parent / "data" / "orders_with_test.csv"
    orders = pl.read_csv(orders_file, infer_schema=False)
    when = pl.col("order_date").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)

    def analysed(before: datetime) -> list[str]:
        orders.filter(when < before).write_csv(orders_file)
        project = sw.Project.from_yaml(config)
        return analyze_experiment(project, EXPERIMENT, metrics=["conversion"], keep=False).notes

    # Orders end ten days after the first exposure: every 30-day window is cut short.
    cut = analysed(EXPOSED + timedelta(days=10))
    exposed = pl.read_csv(config.parent / "exposures.csv").height
    assert any(n.startswith(f"{exposed:,} customers were exposed less than 30") for n in cut)
    # Orders end before the pre-period of the first exposure: nothing to measure.
    empty = analysed(EXPOSED - timedelta(days=30))
    assert any(
        n.startswith("there are no orders from the first exposure (2024-10-01") for n in empty
    )
    assert not any("cut short" in n for n in empty)
