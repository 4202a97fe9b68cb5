"""The Markov forecast recovers a known chain and forecasts what it implies."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.exceptions import ConfigError
from segwise.store import RunRecord, SegmentationRecord, Workspace

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
STATES = ["Active", "At Risk", "Lost"]
TRUE = np.array([[0.80, 0.15, 0.05], [0.30, 0.50, 0.20], [0.05, 0.05, 0.90]])


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("chain")
    (folder / "segwise.yaml").write_text(
        "name: shop\nstore: s.duckdb\nsources: {transactions: {path: a.csv}}\n"
        "segmentations: {v: {method: rfm}}\n"
    )
    store = Workspace(folder / "s.duckdb")
    rng = np.random.default_rng(5)
    state = rng.integers(0, 3, 6_000)
    for run in range(10):
        if run:
            state = np.array([rng.choice(3, p=TRUE[s]) for s in state])
        members = pl.DataFrame(
            {
                "customer_id": [f"c{i}" for i in range(len(state))],
                "segment": [STATES[s] for s in state],
            }
        )
        store.write_run(
            RunRecord(
                "shop",
                dt.date(2024, 1, 1) + dt.timedelta(days=30 * run),
                "h",
                "c",
                "0",
                "polars",
                len(state),
                dt.datetime(2024, 1, 1),
                [SegmentationRecord("v", "rfm", {}, [], members)],
            )
        )
    return folder


def test_the_fitted_transitions_are_the_true_ones(chain: Path) -> None:
    found = Workspace(chain / "s.duckdb").forecast("v", steps=3)
    assert found.segments == [*STATES, "(none)"]
    assert found.pairs == 9
    assert np.abs(found.transitions[:, :3] - TRUE).max() < 0.03
    assert np.allclose(found.transitions.sum(axis=1), 1.0)


def test_the_forecast_is_the_chain_applied_with_honest_intervals(chain: Path) -> None:
    store = Workspace(chain / "s.duckdb")
    found = store.forecast("v", steps=3)
    latest = store.memberships(segmentation="v").group_by("segment").len()
    n = np.array([dict(latest.iter_rows())[s] for s in STATES], dtype=float)
    for step in (1, 2, 3):
        n = n @ found.transitions[:, :3]
        rows = found.sizes.filter(pl.col("step") == step).sort("segment")
        assert rows["expected"].to_numpy() == pytest.approx(n)
        assert (rows["low"] <= rows["expected"]).all() and (rows["expected"] <= rows["high"]).all()
    widths = found.sizes.with_columns((pl.col("high") - pl.col("low")).alias("w"))
    by_step = widths.group_by("step").agg(pl.col("w").sum()).sort("step")["w"].to_list()
    assert by_step == sorted(by_step)  # further ahead, wider


def test_the_cli_forecasts_and_refuses_without_history(chain: Path, tmp_path: Path) -> None:
    shown = runner.invoke(
        app, ["changes", str(chain), "--segmentation", "v", "--forecast", "2", "--json"]
    )
    assert shown.exit_code == 0, shown.stderr
    assert {row["step"] for row in json.loads(shown.stdout)["sizes"]} == {1, 2}
    lonely = Workspace(tmp_path / "one.duckdb")
    members = pl.DataFrame({"customer_id": ["a"], "segment": ["Active"]})
    lonely.write_run(
        RunRecord(
            "s",
            dt.date(2024, 1, 1),
            "h",
            "c",
            "0",
            "polars",
            1,
            dt.datetime(2024, 1, 1),
            [SegmentationRecord("v", "rfm", {}, [], members)],
        )
    )
    with pytest.raises(ConfigError, match="needs the moves between at least two"):
        lonely.forecast("v")


def test_each_run_keeps_its_moves_and_the_forecast_reads_them(chain: Path) -> None:
    store = Workspace(chain / "s.duckdb")
    kept = store.transitions("v")
    assert kept["run_id"].unique().sort().to_list() == list(range(2, 11))
    for run in (2, 6, 10):
        stored = (
            kept.filter(pl.col("run_id") == run)
            .select("from_segment", "to_segment", "customers")
            .sort("from_segment", "to_segment")
        )
        recomputed = store.changes(run - 1, run, segmentation="v").matrix.select(
            "from_segment", "to_segment", "customers"
        )
        assert stored.equals(recomputed.sort("from_segment", "to_segment")), run
    # A store written before transitions were kept recomputes them: the same forecast.
    copy = chain / "old.duckdb"
    copy.write_bytes((chain / "s.duckdb").read_bytes())
    with duckdb.connect(str(copy)) as connection:
        connection.execute("DROP TABLE transitions")
    old = Workspace(copy)
    assert old.transitions("v").height == 0
    assert old.forecast("v").sizes.equals(store.forecast("v").sizes)
