"""ClusterSegmenter: recovery of planted segments, determinism, engine parity, persistence."""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

import duckdb
import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from segwise.datasets.planted import planted_segments
from segwise.exceptions import ColumnNotFoundError, ConfigError
from segwise.segmenters import ClusterSegmenter, UnstableSegmentWarning

if TYPE_CHECKING:
    from pathlib import Path


def fitted(table: pl.DataFrame, **params: Any) -> ClusterSegmenter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstableSegmentWarning)
        return ClusterSegmenter(id_col="customer_id", random_state=0, **params).fit(table)


def ari(truth: np.ndarray, labels: np.ndarray) -> float:
    planted = truth >= 0  # noise rows have no true segment
    return float(adjusted_rand_score(truth[planted], labels[planted]))


@pytest.mark.parametrize("k", [3, 4, 5, 6])
def test_auto_recovers_the_planted_number_of_segments(k: int) -> None:
    table, truth = planted_segments(3_000, k, seed=k)
    segmenter = fitted(table)
    assert segmenter.n_segments_ == k
    assert ari(truth, segmenter.labels_) >= 0.9
    chosen = [c for c in segmenter.candidates_ if c.chosen]
    assert [c.k for c in chosen] == [k]
    assert [c.k for c in segmenter.candidates_] == [3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize("algorithm", ["gmm", "kprototypes"])
def test_other_algorithms_recover_planted_segments(algorithm: str) -> None:
    table, truth = planted_segments(2_000, 4, seed=11)
    segmenter = fitted(table, algorithm=algorithm, k_min=3, k_max=5, n_bootstrap=4)
    assert segmenter.n_segments_ == 4
    assert ari(truth, segmenter.labels_) >= 0.9


def test_results_are_deterministic_for_a_seed() -> None:
    table, _ = planted_segments(1_500, 4, seed=3)
    first, second = fitted(table, n_bootstrap=3), fitted(table, n_bootstrap=3)
    assert np.array_equal(first.labels_, second.labels_)
    assert first.clusters_.centres == second.clusters_.centres
    assert [c.stability for c in first.candidates_] == [c.stability for c in second.candidates_]


def test_features_are_detected_transformed_and_segments_ordered_by_size() -> None:
    table, _ = planted_segments(1_500, 3, seed=2)
    segmenter = fitted(table, n_bootstrap=2)
    transform = segmenter.transform_
    assert [f.name for f in transform.categorical] == ["device", "channel"]
    logged = {f.name for f in transform.numeric if f.log}
    assert {"monetary", "recency_days"} <= logged  # skewed money and day counts
    assert "age" not in logged
    sizes = np.bincount(segmenter.labels_[segmenter.labels_ >= 0])
    assert list(sizes) == sorted(sizes, reverse=True)
    assert segmenter.labels_.dtype == np.int64


def test_far_away_customers_are_outliers_not_a_clone_segment(tmp_path: Path) -> None:
    table, truth = planted_segments(2_000, 3, seed=5)
    # Five rows with an impossible age: winsorising alone would file them with the elderly.
    extreme = table.head(5).with_columns(
        pl.lit(999, dtype=pl.Int64).alias("age"), pl.col("customer_id") + "-x"
    )
    segmenter = fitted(pl.concat([table, extreme]), n_bootstrap=2)
    labels = segmenter.labels_
    assert segmenter.outlier_threshold_ is not None
    assert (labels[-5:] == -1).all()
    # The rest called outliers by their distance are the planted noise rows, and few.
    far = labels[:-5] == -1
    assert 1 <= far.sum() <= 0.01 * len(labels) and (truth[far] == -1).all()
    assigned = segmenter.assign(pl.concat([table, extreme]))
    outliers = assigned.filter(pl.col("segment_id") == -1)
    assert set(outliers["segment"].to_list()) == {"Outliers"}
    # The threshold survives a save and load, and the engines agree on who is out.
    again = ClusterSegmenter.load(segmenter.save(tmp_path / "outliers.json"))
    assert np.array_equal(again.predict(pl.concat([table, extreme])), labels)
    unset = fitted(table, n_bootstrap=2, outlier_cutoff=None)
    assert unset.outlier_threshold_ is None and (unset.labels_ >= 0).all()


def test_fits_on_a_sample_and_assigns_everyone() -> None:
    table, truth = planted_segments(4_000, 3, seed=4)
    segmenter = fitted(table, sample_size=800, n_bootstrap=2)
    assert segmenter.sample_rows_ == 800
    assert segmenter.labels_.shape == (4_000,)
    assert ari(truth, segmenter.labels_) >= 0.9


def test_assign_in_polars_and_duckdb_equals_predict() -> None:
    table, _ = planted_segments(2_000, 4, seed=5)
    segmenter = fitted(table.head(1_000), n_bootstrap=2)
    expected = segmenter.predict(table)
    lazy = segmenter.assign(table.lazy()).collect()
    assert lazy["segment_id"].to_list() == expected.tolist()
    relation = duckdb.connect().from_arrow(table.to_arrow())
    out = nw.from_native(segmenter.assign(relation)).collect(backend="polars").to_native()
    by_id = dict(zip(out["customer_id"], out["segment_id"], strict=True))
    assert [by_id[i] for i in table["customer_id"]] == expected.tolist()


@pytest.mark.spark
def test_assign_in_spark_equals_predict(spark: Any, tmp_path: Path) -> None:
    table, _ = planted_segments(2_000, 4, seed=5)
    segmenter = fitted(table.head(1_000), n_bootstrap=2)
    expected = segmenter.predict(table)
    table.write_parquet(tmp_path / "customers.parquet")
    frame = spark.read.parquet(str(tmp_path / "customers.parquet"))
    out = nw.from_native(segmenter.assign(frame)).collect(backend="polars").to_native()
    by_id = dict(zip(out["customer_id"], out["segment_id"], strict=True))
    assert [by_id[i] for i in table["customer_id"]] == expected.tolist()


def test_assign_returns_names_and_the_same_kind_of_frame() -> None:
    table, _ = planted_segments(600, 3, seed=6)
    segmenter = fitted(table, n_segments=3, n_bootstrap=0, outlier_cutoff=None)
    segmenter.rename({0: "Big spenders"})
    out = segmenter.assign(table.to_pandas())
    assert type(out).__name__ == "DataFrame" and hasattr(out, "iloc")
    assert set(out["segment"]) == {"Big spenders", "Segment 2", "Segment 3"}
    with pytest.raises(ConfigError, match="unique"):
        segmenter.rename({1: "Big spenders"})


def test_save_and_load_as_json(tmp_path: Path) -> None:
    table, _ = planted_segments(800, 3, seed=7)
    segmenter = fitted(table, n_bootstrap=2)
    path = segmenter.save(tmp_path / "model.json")
    payload = json.loads(path.read_text())  # plain JSON, not a pickle
    assert payload["format"] == "segwise.ClusterSegmenter"
    loaded = ClusterSegmenter.load(path)
    assert np.array_equal(loaded.predict(table), segmenter.predict(table))
    assert loaded.segment_names_ == segmenter.segment_names_
    assert loaded.get_params() == segmenter.get_params()


def test_plain_arrays_work() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [8, 8], [0, 8]])
    data = np.vstack([c + rng.normal(size=(100, 2)) for c in centres])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstableSegmentWarning)
        labels = ClusterSegmenter(random_state=0, n_bootstrap=3).fit_predict(data)
    assert len(set(labels.tolist())) == 3
    truth = np.repeat([0, 1, 2], 100)
    assert adjusted_rand_score(truth, labels) > 0.95


def test_missing_feature_at_assignment_names_it() -> None:
    table, _ = planted_segments(600, 3, seed=8)
    segmenter = fitted(table, n_segments=3, n_bootstrap=0)
    with pytest.raises(ColumnNotFoundError, match="the model needs column 'monetary'"):
        segmenter.assign(table.drop("monetary"))


def test_bad_parameters_are_refused() -> None:
    table, _ = planted_segments(300, 3, seed=9)
    with pytest.raises(ConfigError, match="k_min"):
        ClusterSegmenter(k_min=6, k_max=4).fit(table)
    with pytest.raises(ValueError, match="algorithm"):
        ClusterSegmenter(algorithm="dbscan").fit(table)


# -- issue 11: robust defaults ------------------------------------------------------------


def test_a_few_negative_values_keep_the_log_as_a_signed_log() -> None:
    # Two refunds (negative net revenue) switched the log off for every customer.
    import polars as pl

    from segwise.segmenters.cluster_features import CAP, FeatureTransform

    rng = np.random.default_rng(0)
    revenue = np.r_[rng.lognormal(5, 1.2, 998), [-44.0, -120.0]]
    returns = np.r_[np.zeros(900), rng.uniform(0.1, 1.0, 100)]  # mostly zero
    sample = pl.DataFrame({"net_revenue": revenue, "return_rate": returns})
    transform = FeatureTransform.fit(sample, numeric=["net_revenue", "return_rate"], categorical=[])
    revenue_feature = transform.numeric[0]
    assert revenue_feature.log and revenue_feature.signed
    assert "signed log" in revenue_feature.reason
    scaled = transform.matrix(sample)
    # No customer sits further than CAP robust units from the median on any feature.
    assert np.abs(scaled).max() <= CAP + 1e-9
    assert scaled[:, 0][-2:].max() < 0  # refunds stay below everyone, not at zero


def test_a_blank_time_since_the_last_one_is_the_far_end_not_the_median() -> None:
    # Never logged in (a blank days_since_last_login) sat at the median: beside the
    # customers who log in every few weeks, not beyond the ones gone quiet for a year.
    import polars as pl

    from segwise.segmenters.cluster_features import FeatureTransform

    rng = np.random.default_rng(3)
    days = rng.exponential(40, 900)
    blank = [None] * 100
    sample = pl.DataFrame(
        {
            "days_since_last_login": [*days, *blank],
            "recency_days": [*rng.uniform(0, 700, 900), *blank],
            "tenure_days": [*rng.uniform(0, 900, 900), *blank],
        }
    )
    names = ["days_since_last_login", "recency_days", "tenure_days"]
    transform = FeatureTransform.fit(sample, numeric=names, categorical=[])
    scaled = transform.matrix(sample)
    for column, feature in enumerate(transform.numeric[:2]):
        assert scaled[900:, column].min() == pytest.approx(scaled[:, column].max())
        assert feature.fill > np.percentile(sample[feature.name].drop_nulls(), 90)
        assert "far end" in feature.reason
    # A blank tenure is unknown, not "longest": it stays typical.
    assert transform.numeric[2].fill == pytest.approx(np.median(sample["tenure_days"].drop_nulls()))
    assert "far end" not in transform.numeric[2].reason


def test_no_stable_k_is_said_and_stored() -> None:
    rng = np.random.default_rng(1)
    noise = {f"x{i}": rng.normal(size=600) for i in range(4)}  # no structure at all
    import polars as pl

    frame = pl.DataFrame(noise)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        segmenter = ClusterSegmenter(random_state=0, n_bootstrap=4).fit(frame)
    assert any("is stable" in w for w in segmenter.warnings_)
    assert any(str(w.message) == segmenter.warnings_[0] for w in caught)


@pytest.mark.realdata
def test_online_retail_ii_default_clusters_are_sized_to_act_on(shared_data: Path) -> None:
    # Issue 11: the default run made five near-copies of 52, 15, 2, 2 and 1 customers.
    import polars as pl

    import segwise as sw

    orders = sw.read_transactions(shared_data / "online_retail_ii_2009_2010.csv.gz")
    features = sw.customer_features(orders)
    table = features if isinstance(features, pl.DataFrame) else features.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstableSegmentWarning)
        segmenter = ClusterSegmenter(id_col="customer_id", random_state=0).fit(table)
    assert (segmenter.labels_ == -1).mean() <= 0.02  # outliers apart: a small group to review
    shares = np.bincount(segmenter.labels_[segmenter.labels_ >= 0]) / segmenter.labels_.size
    assert 3 <= segmenter.n_segments_ <= 8
    assert shares.min() >= 0.02
    assert shares.max() <= 0.6


def _small_blobs() -> pl.DataFrame:
    """Three groups of 60 customers and two of 15, far from them and from each other."""
    rng = np.random.default_rng(0)
    centres, sizes = [(0, 0), (10, 0), (0, 10), (30, 30), (30, 40)], [60, 60, 60, 15, 15]
    xy = np.vstack([rng.normal(c, 1.0, (n, 2)) for c, n in zip(centres, sizes, strict=True)])
    return pl.DataFrame({"a": xy[:, 0], "b": xy[:, 1]})


def test_auto_k_passes_over_segments_too_few_to_measure() -> None:
    # UCI Online Retail's 152 wholesale customers (a hybrid's rule segment): k = 8 gave
    # segments of 11 and 12 customers, each 2% or more of so few.
    table = _small_blobs()
    options = {"random_state": 0, "outlier_cutoff": None, "log_transform": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        every = ClusterSegmenter(min_segment_size=1, **options).fit(table)
        sized = ClusterSegmenter(**options).fit(table)  # 30 by default
    assert every.n_segments_ == 5 and np.bincount(every.labels_).min() == 15
    assert sized.n_segments_ == 4 and np.bincount(sized.labels_).min() == 30
    assert [w[:30] for w in sized.warnings_] == ["k = 5 fits as well (silhouette"]
    # When no k can meet it, the fewest segments among the good fits, and it is said.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        strict = ClusterSegmenter(min_segment_size=40, **options).fit(table)
    assert strict.n_segments_ == 4  # k = 3 fits worse (silhouette 0.70 against 0.81)
    assert any("below the minimum of 40 customers" in w for w in strict.warnings_)


@pytest.mark.parametrize("id_col", ["customer_id", None])
def test_the_rows_order_does_not_change_the_segments(id_col: str | None) -> None:
    # An engine hands the rows over in any order (DuckDB's threads, Spark's partitions):
    # the sample and the k-means starts followed it, and with it the segments.
    rng = np.random.default_rng(5)
    frame = pl.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(900)],
            "spend": rng.gamma(2.0, 50.0, 900),
            "visits": rng.poisson(4, 900).astype(float),
        }
    )
    if id_col is None:
        frame = frame.drop("customer_id")
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=3)

    def fitted(rows: pl.DataFrame) -> ClusterSegmenter:
        return ClusterSegmenter(
            4, sample_size=300, n_bootstrap=0, random_state=0, id_col=id_col
        ).fit(rows)

    first, second = fitted(frame), fitted(shuffled)
    assert np.allclose(first.clusters_.centres, second.clusters_.centres)
