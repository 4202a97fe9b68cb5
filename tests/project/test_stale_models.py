"""Kept cluster models that no longer fit their customers become alerts."""

from __future__ import annotations

import polars as pl

from segwise.profiling.cards import SegmentationResult
from segwise.project.stale_models import stale_model_alerts


def test_a_stale_frozen_model_is_an_alert_record() -> None:
    note = "model m.json was fitted as of 2024-01-31, 3 runs ago, and agrees on only 41%"
    stale = SegmentationResult(
        "behaviour",
        "cluster",
        pl.DataFrame({"customer_id": ["a"], "segment": ["A"]}),
        {"refitted": False, "staleness": {"stale": True, "agreement": 0.41, "note": note}},
        [],
    )
    (alert,) = stale_model_alerts([stale])
    assert (alert.kind, alert.level, alert.value) == ("stale_model", "warning", 0.41)
    assert alert.message == f"behaviour: {note}"
    fine = SegmentationResult(
        "behaviour",
        "cluster",
        stale.members,
        {"refitted": False, "staleness": {"stale": False, "agreement": 0.97, "note": note}},
        [],
    )
    assert stale_model_alerts([fine]) == []


def test_a_hybrids_models_inside_its_parents_are_checked_too() -> None:
    note = "23% of customers (35) are Outliers under model models/wholesale.json"
    child = {"method": "cluster", "refitted": False, "outgrown": {"share": 0.23, "note": note}}
    hybrid = SegmentationResult(
        "mix",
        "hybrid",
        pl.DataFrame({"customer_id": ["a"], "segment": ["Wholesale / A"]}),
        {"method": "hybrid", "within": {"Wholesale": child, "Everyone else": {"method": "rfm"}}},
        [],
    )
    (alert,) = stale_model_alerts([hybrid])
    assert (alert.kind, alert.value) == ("stale_model", 0.23)
    assert alert.message == f"mix: in 'Wholesale': {note}"
