"""Advice on planted segments: twins that behave alike merge, a different one does not, and a
segment of two kinds of buyers splits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
import pytest

import segwise as sw
from segwise.features.behaviour import customer_features
from segwise.measure.advice import BEHAVIOUR
from segwise.profiling.definitions import rule_mask
from segwise.project.advice import advise_project
from segwise.project.experiment_analysis import polars_frame
from segwise.project.results import as_polars
from tests.project.demo import keep_segmentations

if TYPE_CHECKING:
    from pathlib import Path

START = datetime(2024, 1, 1)


def planted(folder: Path) -> Path:
    """Teams A and B buy alike (5,000 each); team C buys four times as often (1,000); team D
    (1,000) is half frequent buyers, half rare ones."""
    rng = np.random.default_rng(12)
    teams = np.array(["A"] * 5_000 + ["B"] * 5_000 + ["C"] * 1_000 + ["D"] * 1_000)
    ids = np.array([f"c{i:05d}" for i in range(teams.size)])
    monthly = np.where(teams == "C", 1.5, 0.36)
    monthly[teams == "D"] = np.where(np.arange(1_000) % 2 == 0, 1.5, 0.1)
    counts = rng.poisson(monthly * 24)
    buyer = np.repeat(np.arange(teams.size), counts)
    seconds = rng.integers(0, 730 * 86_400, buyer.size)
    pl.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(buyer.size)],
            "customer_id": ids[buyer],
            "order_date": [START + timedelta(seconds=int(s)) for s in seconds],
            "amount": rng.gamma(2, 30, buyer.size).round(2),
        }
    ).write_csv(folder / "orders.csv")
    pl.DataFrame({"customer_id": ids, "team": teams}).write_csv(folder / "customers.csv")
    config = folder / "segwise.yaml"
    config.write_text(
        "name: teams\nstore: segwise.duckdb\n"
        "sources:\n  transactions: {path: orders.csv}\n  customers: {path: customers.csv}\n"
        "segmentations:\n  teams:\n    method: rules\n    segments:\n"
        "      - {name: Team A, where: \"team = 'A'\"}\n"
        "      - {name: Team B, where: \"team = 'B'\"}\n"
        "      - {name: Team C, where: \"team = 'C'\"}\n"
        "      - {name: Team D, where: \"team = 'D'\"}\n"
    )
    return config


@pytest.fixture(scope="module")
def teams(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = planted(tmp_path_factory.mktemp("teams"))
    sw.Project.from_yaml(config).run(as_of="2025-10-31")  # orders follow for two months
    sw.Project.from_yaml(config).run()
    return config


def test_twins_are_advised_to_merge_and_the_different_team_is_not(teams: Path) -> None:
    [advised] = advise_project(sw.Project.from_yaml(teams))
    merges = [a for a in advised.advice if a.kind == "merge"]
    assert [sorted(a.segments) for a in merges] == [["Team A", "Team B"]]
    [merge] = merges
    assert merge.action == "merge Team A and Team B: they do not respond differently"
    assert any(line.startswith("customers behave alike") for line in merge.evidence)
    assert any("conversion after the run" in line for line in merge.evidence)
    assert not [a for a in advised.advice if a.kind == "too small"]
    splits = [a for a in advised.advice if a.kind == "split"]
    assert [a.segments for a in splits] == [["Team D"]]
    assert "stable groups" in splits[0].evidence[0]


def test_the_split_names_a_condition_that_finds_the_planted_halves(teams: Path) -> None:
    """Team D is frequent and rare buyers together: the advice splits it by one condition,
    which picks out one planted half almost exactly, and its counts are that condition's."""
    project = sw.Project.from_yaml(teams)
    [advised] = advise_project(project)
    [split] = [a for a in advised.advice if a.kind == "split"]
    assert split.action.startswith("split Team D by ")
    rule = split.action.removeprefix("split Team D by ").split(":")[0]
    orders = polars_frame(project.read_source("transactions").data)
    before = as_polars(customer_features(nw.from_native(orders), as_of=date(2025, 10, 31)))
    team_d = before.filter(pl.col("customer_id").str.slice(1).cast(pl.Int64) >= 11_000)
    team_d = team_d.drop_nulls([c for c in BEHAVIOUR if c in team_d.columns])
    picked = rule_mask(rule, team_d)
    frequent = (team_d["customer_id"].str.slice(1).cast(pl.Int64) % 2 == 0).to_numpy()
    half = frequent if (picked & frequent).sum() > (picked & ~frequent).sum() else ~frequent
    assert (picked == half).mean() > 0.9
    assert f"{rule} picks out {int(picked.sum()):,} of them" in split.evidence[-1]


def test_without_orders_after_any_run_nothing_merges_and_the_note_says_why(
    tmp_path: Path,
) -> None:
    config = planted(tmp_path)
    sw.Project.from_yaml(config).run()
    [advised] = advise_project(sw.Project.from_yaml(config))
    assert not [a for a in advised.advice if a.kind in ("merge", "split")]
    assert any("no orders after any stored run yet" in note for note in advised.notes)


def test_a_clv_segmentations_tiers_get_advice_too(tmp_path: Path) -> None:
    """``future_tiers`` is a segmentation of the run without an entry of its own in the
    project file: advice on it uses the plain fix for small segments (it raised a KeyError)."""
    folder = tmp_path / "shop"
    keep_segmentations(sw.Project.init(folder), "future")
    sw.Project.from_yaml(folder).run()
    [advised] = advise_project(
        sw.Project.from_yaml(folder), segmentation="future_tiers", min_size=10_000, splits=False
    )
    assert advised.segmentation == "future_tiers"
    small = [a for a in advised.advice if a.kind == "too small"]
    assert sorted(a.segments[0] for a in small) == ["high", "low", "medium"]
    assert all(
        a.action.startswith(f"act on {a.segments[0]} together") or a.action.startswith("keep ")
        for a in small
    )


def test_advice_reads_the_latest_run_whose_whole_window_is_seen(tmp_path: Path) -> None:
    # Online Retail, a run of 2011-11-30 with 8.5 of its 30 days of orders: every segment
    # converted a third as often as the month before, and the advice read that.
    config = planted(tmp_path)
    sw.Project.from_yaml(config).run(as_of="2025-12-20")  # orders run to 2025-12-30
    [partial] = advise_project(sw.Project.from_yaml(config), splits=False)
    [note] = [n for n in partial.notes if n.startswith("behaviour after a run")]
    assert "after run 1 (2025-12-20) (only " in note and "days of orders so far)" in note
    # Runs go forwards: a whole window (run 1), then the open one (run 2), in a new store.
    config.write_text(config.read_text().replace("store: segwise.duckdb", "store: again.duckdb"))
    for as_of in ("2025-10-31", "2025-12-20"):
        sw.Project.from_yaml(config).run(as_of=as_of)
    [advised] = advise_project(sw.Project.from_yaml(config), splits=False)
    [note] = [n for n in advised.notes if n.startswith("behaviour after a run")]
    assert note == "behaviour after a run: the 30 days after run 1 (2025-10-31)"


def test_a_kept_cluster_model_the_customers_outgrew_is_advised_to_be_refitted_first(
    tmp_path: Path,
) -> None:
    # Online Retail II, refreshed monthly from its first month: 79% of the customers were
    # Outliers of the model fitted then, and the advice split a segment of 529 without a word
    # about the 4,665.
    from tests.project.methods.projects import KEPT_MODEL, sample_project

    project = sample_project(tmp_path / "p", KEPT_MODEL.format(refit=""))
    project.run(as_of="2023-03-31")  # the model is fitted on three months of orders
    # Fitted on the run's own customers, the model covers them: nothing to refit.
    assert all(a.kind != "refit" for a in advise_project(project, splits=False)[0].advice)
    project.run(as_of="2024-12-31")
    outgrown = project.store.definitions(2)["behaviour"]["outgrown"]
    [advised] = advise_project(project, splits=False)
    first = advised.advice[0]
    assert (first.kind, first.segments) == ("refit", ["Outliers"])
    assert first.action.startswith("fit models/behaviour.json afresh (delete it, or set refit")
    assert "refit: when_outgrown to have runs do it" in first.action
    assert "fitted as of 2023-03-31" in first.action
    assert first.evidence[0] == (
        f"{outgrown['share']:.0%} of customers ({outgrown['outliers']:,}) are Outliers "
        "(a fit puts about 1% there per rule)"
    )
