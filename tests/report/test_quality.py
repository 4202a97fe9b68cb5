"""The HTML quality report: self-contained and faithful to the numbers."""

from __future__ import annotations

import polars as pl

import segwise as sw
from segwise.report import render_quality_report


def test_report_is_offline_and_shows_the_counts() -> None:
    frame = pl.DataFrame(
        {"customer_id": ["1", None, "2"], "date": ["2024-01-02"] * 3, "amount": [1234.0, 2.0, 3.0]}
    )
    html = render_quality_report([sw.read_transactions(frame).quality()], title="Shop <Q1>")
    assert "Shop &lt;Q1&gt;" in html  # escaped
    assert "3 read = 2 used (66.7%) + 1 quarantined" in html
    assert "missing_customer_id" in html
    assert "Plotly" in html and "<script src=" not in html and "<link " not in html
