"""name_clusters: the one fit → profile → name workflow of `segwise cluster` and projects."""

from __future__ import annotations

import polars as pl
import pytest

import segwise as sw
from segwise.datasets.planted import planted_segments
from segwise.exceptions import ConfigError
from segwise.profiling.named_clusters import name_clusters
from segwise.segmenters.cluster_outliers import OUTLIER_ID


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    data, _ = planted_segments(900, 3, seed=1)
    return data


def test_segments_get_their_profiles_names(table: pl.DataFrame) -> None:
    named = name_clusters(sw.ClusterSegmenter(3, id_col="customer_id", n_bootstrap=3), table)
    assert named.fitted
    assert named.segmenter.n_segments_ == 3
    for label, name in named.profiles.names.items():
        if label != OUTLIER_ID:
            assert named.segmenter.segment_names_[label] == name
    assert sum(p.size for p in named.profiles.segments) == table.height
    payload = named.to_dict()
    assert [s["segment_id"] for s in payload["segments"]] == [
        p.label for p in named.profiles.segments
    ]
    assert payload["customers"] == table.height


def test_a_reused_model_keeps_its_names_and_follows_the_data(table: pl.DataFrame) -> None:
    first = name_clusters(sw.ClusterSegmenter(3, id_col="customer_id", n_bootstrap=3), table)
    first.segmenter.rename({0: "Kept name"})
    later = table.head(450)
    reused = name_clusters(first.segmenter, later, fit=False)
    assert not reused.fitted
    assert reused.segmenter.segment_names_[0] == "Kept name"
    assert sum(p.size for p in reused.profiles.segments) == 450
    assert list(reused.labels) == list(first.segmenter.predict(later))


def test_data_that_cannot_be_clustered_is_one_located_line() -> None:
    tiny = pl.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 2.0]})
    with pytest.raises(ConfigError, match=r"^segmentation 'x': "):
        name_clusters(
            sw.ClusterSegmenter(3, id_col="customer_id"), tiny, where="segmentation 'x': "
        )
