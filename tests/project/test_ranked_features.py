"""Which segments a segmentation ranks afresh in every run, on which features."""

from __future__ import annotations

import polars as pl

from segwise.profiling.cards import SegmentationResult
from segwise.project.methods.rfm import RFM_FEATURES
from segwise.project.ranked_features import ranked_on

NONE = pl.DataFrame({"customer_id": [], "segment": []})


def test_quantile_rfm_ranks_everyone_and_a_hybrid_ranks_within_its_rfm_parents() -> None:
    assert ranked_on(SegmentationResult("v", "rfm", NONE, {}, [])) == {"": RFM_FEATURES}
    fixed = SegmentationResult("v", "rfm", NONE, {"binning": "fixed"}, [])
    assert ranked_on(fixed) == {}
    assert ranked_on(SegmentationResult("c", "cluster", NONE, {}, [])) == {}
    within = {
        "Rest": {"method": "rfm"},
        "Fixed": {"method": "rfm", "binning": "fixed"},
        "Big": {"method": "cluster"},
    }
    hybrid = {"method": "hybrid", "separator": " / ", "within": within}
    assert ranked_on(SegmentationResult("m", "hybrid", NONE, hybrid, [])) == {
        "Rest / ": RFM_FEATURES
    }
