"""HybridSegmenter: rules first, then a segmenter fitted on each rule segment's rows alone."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from segwise.datasets.planted import planted_segments
from segwise.exceptions import ConfigError
from segwise.segmenters import ClusterSegmenter, HybridSegmenter, RuleSegmenter


def _two_markets() -> tuple[pl.DataFrame, np.ndarray]:
    """Two markets of customers, each with three planted segments of its own."""
    home, home_truth = planted_segments(1_200, 3, seed=1, noise_share=0.0, missing_share=0.0)
    away, away_truth = planted_segments(900, 3, seed=2, noise_share=0.0, missing_share=0.0)
    table = pl.concat(
        [
            home.with_columns(pl.lit("UK").alias("market")),
            away.with_columns(
                pl.lit("FR").alias("market"), ("f" + pl.col("customer_id")).alias("customer_id")
            ),
        ]
    )
    return table, np.concatenate([home_truth, away_truth + 10])


def test_each_parent_is_clustered_on_its_own_rows() -> None:
    table, truth = _two_markets()
    features = ["age", "recency_days", "orders", "visits_30d", "monetary", "avg_basket", "device"]
    cluster = ClusterSegmenter(3, features=features, n_bootstrap=0, random_state=0)
    hybrid = HybridSegmenter(
        {"UK": "market = 'UK'"}, {"UK": cluster, "Other": cluster}, id_col="customer_id"
    ).fit(table)
    uk = (table["market"] == "UK").to_numpy()
    assert hybrid.children_["UK"].labels_.shape == (int(uk.sum()),)
    assert hybrid.children_["Other"].labels_.shape == (int((~uk).sum()),)
    # The planted segments come back inside each market, and no leaf spans both.
    assert adjusted_rand_score(truth, hybrid.labels_) > 0.9
    names = hybrid.segment(table)["segment"].to_list()
    assert all(n.startswith("UK › ") for n, home in zip(names, uk, strict=True) if home)
    assert all(n.startswith("Other › ") for n, home in zip(names, uk, strict=True) if not home)
    assert len(hybrid.segment_names_) == 6
    np.testing.assert_array_equal(hybrid.predict(table), hybrid.labels_)
    assert (
        cluster.get_params()
        == ClusterSegmenter(3, features=features, n_bootstrap=0, random_state=0).get_params()
    )  # the estimator given is cloned, never fitted itself
    assert not hasattr(cluster, "labels_")


def test_parents_without_a_child_stay_whole() -> None:
    table, _truth = _two_markets()
    hybrid = HybridSegmenter(
        {"UK": "market = 'UK'"},
        {"UK": RuleSegmenter({"Frequent": "orders >= 5"})},
        id_col="customer_id",
    ).fit(table)
    assert set(hybrid.segment_names_.values()) == {"UK › Frequent", "UK › Other", "Other"}
    found = hybrid.segment(table)
    frequent = table.filter((pl.col("market") == "UK") & (pl.col("orders") >= 5))
    assert set(found.filter(pl.col("segment") == "UK › Frequent")["customer_id"]) == set(
        frequent["customer_id"]
    )


def test_a_child_for_no_rule_segment_is_refused() -> None:
    table, _truth = _two_markets()
    hybrid = HybridSegmenter({"UK": "market = 'UK'"}, {"Uk": RuleSegmenter()})
    with pytest.raises(ConfigError, match="'Uk' is not one of the rule segments"):
        hybrid.fit(table)
