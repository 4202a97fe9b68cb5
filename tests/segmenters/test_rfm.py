"""RFMSegmenter: the estimator face of RFM segments, equal to rfm_table, presets as data."""

from __future__ import annotations

import warnings

import polars as pl
import pytest
from sklearn.base import clone

import segwise as sw
from segwise.datasets import sample_paths
from segwise.exceptions import ConfigError
from segwise.features import RFM_PRESETS, RFMBinningWarning


@pytest.fixture(scope="module")
def orders() -> sw.Dataset:
    return sw.read_transactions(sample_paths()["orders"])


@pytest.mark.parametrize("preset", sorted(RFM_PRESETS))
def test_labels_are_the_rfm_tables_segments(orders: sw.Dataset, preset: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMBinningWarning)
        segmenter = sw.RFMSegmenter(preset, as_of="2024-12-31").fit(orders)
        table = sw.rfm_table(orders, preset=preset, as_of="2024-12-31").sort("customer_id")
    named = [segmenter.segment_names_[label] for label in segmenter.labels_]
    assert named == table["segment"].to_list()
    assert segmenter.table_.equals(table)
    assert set(named) <= set(segmenter.segment_names_.values())
    assert segmenter.n_segments_ == len(segmenter.segment_names_)


def test_it_is_a_scikit_learn_estimator(orders: sw.Dataset) -> None:
    segmenter = sw.RFMSegmenter("segwise", bins=5, as_of="2024-12-31")
    twin = clone(segmenter)
    assert twin.get_params() == segmenter.get_params()
    assert segmenter.fit(orders) is segmenter  # fit returns self
    assert not hasattr(twin, "labels_")


def test_a_project_score_map_replaces_the_presets_names(orders: sw.Dataset) -> None:
    two = sw.ScoreMap.from_text(
        "name: two\nbins: 5\nsegments:\n"
        "  - {name: Recent, cells: [{r: [4, 5], fm: [1, 5]}]}\n"
        "  - {name: Earlier, cells: [{r: [1, 3], fm: [1, 5]}]}\n",
        source="two.yaml",
    )
    segmenter = sw.RFMSegmenter(segment_map=two, as_of="2024-12-31").fit(orders)
    assert set(segmenter.table_["segment"].unique()) == {"Recent", "Earlier"}
    recent = segmenter.table_.filter(pl.col("segment") == "Recent")
    assert recent["r_score"].min() >= 4


def test_an_unknown_preset_names_the_choices(orders: sw.Dataset) -> None:
    with pytest.raises(ConfigError, match="segwise-detailed"):
        sw.RFMSegmenter("segwize").fit(orders)
