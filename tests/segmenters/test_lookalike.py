"""LookalikeSegmenter: a small seed finds the rest of its planted segment; estimates are honest."""

from __future__ import annotations

import warnings
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest

from segwise.datasets.planted import planted_segments
from segwise.exceptions import ConfigError, SeedError
from segwise.segmenters import LookalikeSegmenter, LookalikeWarning


@pytest.mark.parametrize("seed_of", [0, 2, 4])
def test_a_tenth_of_a_planted_segment_finds_the_rest(seed_of: int) -> None:
    table, truth = planted_segments(6_000, 5, seed=4)
    rng = np.random.default_rng(seed_of)
    inside = np.flatnonzero(truth == seed_of)
    seed_rows = rng.choice(inside, size=len(inside) // 10, replace=False)
    seed = np.zeros(table.height, dtype=int)
    seed[seed_rows] = 1
    rest = len(inside) - len(seed_rows)  # the audience: as many as the segment's other members
    for size in (rest, rest // 2, rest * 2):
        found = LookalikeSegmenter(size=size, id_col="customer_id").fit(table, seed)
        audience = found.labels_ == 2
        assert audience.sum() == size
        precision = (truth[audience] == seed_of).mean()
        true_recall = (truth[audience] == seed_of).sum() / rest
        if size == rest:
            assert true_recall >= 0.8, true_recall  # the acceptance: 80% of the rest found
        # The estimates, from the seed's own cross-fitted scores, track the truth.
        assert found.precision_ == pytest.approx(precision, abs=0.15), size
        assert found.recall_ == pytest.approx(true_recall, abs=0.15), size


def test_the_segments_and_scores_of_the_fitted_customers() -> None:
    table, truth = planted_segments(2_000, 4, seed=1)
    seed = (truth == 1) & (np.arange(truth.size) % 5 == 0)
    found = LookalikeSegmenter(size=0.1, id_col="customer_id").fit(table, seed.astype(int))
    out = found.segment(table)
    counts = dict(out.group_by("segment").len().iter_rows())
    assert counts["Seed"] == seed.sum()
    assert counts["Lookalikes"] == round(0.1 * (table.height - seed.sum()))
    lookalikes = out.filter(pl.col("segment") == "Lookalikes")["score"]
    others = out.filter(pl.col("segment") == "Others")["score"]
    assert lookalikes.min() >= others.max()


def test_a_seed_of_everyone_or_no_one_is_refused() -> None:
    table, _truth = planted_segments(200, 2, seed=1)
    with pytest.raises(SeedError, match="one class only"):
        LookalikeSegmenter().fit(table.drop("customer_id"), np.zeros(table.height))


def test_new_customers_are_scored_by_the_model_fitted_on_everyone() -> None:
    table, truth = planted_segments(5_000, 4, seed=3)
    fitted, new = table.head(4_000), table.tail(1_000)
    seed = ((truth[:4_000] == 2) & (np.arange(4_000) % 4 == 0)).astype(int)
    found = LookalikeSegmenter(size=0.2, id_col="customer_id").fit(fitted, seed)
    picked = found.predict(new) == 1
    assert picked.any()
    assert (truth[4_000:][picked] == 2).mean() >= 0.8  # those picked are mostly of the segment
    assert picked[truth[4_000:] == 2].mean() >= 0.5  # and much of the segment is picked


def _seeded(n: int = 1_500) -> pl.DataFrame:
    table, truth = planted_segments(n, 4, seed=5)
    return table.with_columns(in_seed=pl.Series((truth == 1) & (np.arange(n) % 4 == 0)))


def test_the_segments_follow_the_ids_not_the_rows_order() -> None:
    # A query's rows come back in any order (a group-by's do): the fitted customers keep
    # their segments, and the fit its audience, whatever order the rows arrive in.
    table = _seeded()
    shuffled = table.sample(fraction=1.0, shuffle=True, seed=1)
    people, others = table.drop("in_seed"), shuffled.drop("in_seed")
    fitted = LookalikeSegmenter(size=0.1, id_col="customer_id").fit(people, table["in_seed"])
    expected = fitted.segment(people).sort("customer_id")
    assert fitted.segment(others).sort("customer_id").equals(expected)
    again = LookalikeSegmenter(size=0.1, id_col="customer_id").fit(others, shuffled["in_seed"])
    assert again.segment(people).sort("customer_id").equals(expected)
    # labels_, scores_ and ids_ are in the order of the rows fitted on.
    assert again.ids_.tolist() == shuffled["customer_id"].to_list()
    seeds = expected.filter(pl.col("segment") == "Seed")["customer_id"]
    assert seeds.sort().equals(table.filter("in_seed")["customer_id"].sort())


def test_a_query_takes_its_seed_as_a_column_and_its_segments_come_back_on_its_engine() -> None:
    table = _seeded()
    expected = (
        LookalikeSegmenter(size=50, id_col="customer_id")
        .fit(table.drop("in_seed"), table["in_seed"].to_numpy())
        .segment(table)
        .sort("customer_id")
    )
    relation = duckdb.from_arrow(table.to_arrow())
    found = LookalikeSegmenter(size=50, id_col="customer_id").fit(relation, "in_seed")
    assert "in_seed" not in found.coder_.names  # the flag is not a feature
    out = found.segment(relation)
    assert isinstance(out, duckdb.DuckDBPyRelation)
    assert pl.from_arrow(out.arrow()).sort("customer_id").equals(expected)
    lazy = table.lazy()
    with pytest.raises(
        ConfigError, match="y cannot be matched to X's rows by position: X is a Polars LazyFrame"
    ) as caught:
        LookalikeSegmenter(id_col="customer_id").fit(lazy, table["in_seed"].to_numpy())
    assert "pass its name as y" in caught.value.one_line()
    with pytest.raises(ConfigError, match="X has no column 'seed'"):
        LookalikeSegmenter(id_col="customer_id").fit(lazy, "seed")
    with pytest.raises(ConfigError, match="id_col: X has no column 'id'"):
        LookalikeSegmenter(id_col="id").fit(table, "in_seed")
    with pytest.raises(ConfigError, match="the seed column 'in_seed' is among the features"):
        LookalikeSegmenter(features=["orders", "in_seed"]).fit(table, "in_seed")


def test_segment_refuses_customers_it_was_not_fitted_on() -> None:
    table = _seeded(400)
    found = LookalikeSegmenter(size=10, id_col="customer_id").fit(table, "in_seed")
    other = table.with_columns(pl.col("customer_id").str.replace(r"^", "x"))
    with pytest.raises(ConfigError, match="labels the customers the segmenter was fitted on"):
        found.segment(other)
    twice = pl.concat([table.head(200), table.head(200)])
    with warnings.catch_warnings():
        # Each row twice: a seed row's copy is in the seed too, so no one outside looks alike.
        warnings.simplefilter("ignore", LookalikeWarning)
        repeated = LookalikeSegmenter(size=10, id_col="customer_id").fit(twice, "in_seed")
    with pytest.raises(ConfigError, match="the fitted table repeats customer_id"):
        repeated.segment(twice)


@pytest.mark.spark
def test_a_spark_frame_gets_the_segments_polars_gets(spark: Any) -> None:
    table = _seeded(600)
    expected = (
        LookalikeSegmenter(size=30, id_col="customer_id")
        .fit(table, "in_seed")
        .segment(table)
        .sort("customer_id")
    )
    frame = spark.createDataFrame(table.to_arrow()).repartition(3)
    out = LookalikeSegmenter(size=30, id_col="customer_id").fit(frame, "in_seed").segment(frame)
    got = pl.from_arrow(out.toArrow())
    assert isinstance(got, pl.DataFrame)
    assert got.sort("customer_id").equals(expected)


def test_a_seed_drawn_by_rules_on_the_features_is_said_to_have_no_lookalikes() -> None:
    # The best customers by a rule on the very features compared: everyone like them is in
    # the seed, the estimated precision is 0, and the fit says why instead of a bare 0.
    table, _truth = planted_segments(2_000, 3, seed=2)
    best = (pl.col("recency_days") <= 30) & (pl.col("orders") >= pl.col("orders").quantile(0.7))
    seed = table.select(best.fill_null(False)).to_series().to_numpy().astype(int)
    with pytest.warns(LookalikeWarning, match="everyone like it is in it already"):
        found = LookalikeSegmenter(size=0.1, id_col="customer_id").fit(table, seed)
    assert found.precision_ < 0.05
    assert len(found.warnings_) == 1


def test_an_audience_of_true_lookalikes_has_no_warning() -> None:
    table, truth = planted_segments(3_000, 4, seed=4)
    seed = ((truth == 1) & (np.arange(truth.size) % 5 == 0)).astype(int)
    rest = int((truth == 1).sum() - seed.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error", LookalikeWarning)
        found = LookalikeSegmenter(size=rest, id_col="customer_id").fit(table, seed)
    assert found.warnings_ == []
    assert found.precision_ >= 0.5
