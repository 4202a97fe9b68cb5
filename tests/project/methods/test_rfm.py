"""method: rfm: a segment the score map calls new (or recent) is, or the run says it is not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from segwise.profiling import profile_segments
from segwise.project.methods.rfm import misread

if TYPE_CHECKING:
    from segwise.profiling.profiles import SegmentProfiles


def _profiles(new_tenure: float, recency: float = 20.0) -> SegmentProfiles:
    table = pl.DataFrame(
        {
            "tenure_days": [new_tenure] * 40 + [400.0] * 160,
            "recency_days": [recency] * 40 + [recency] * 160,
            "orders": [1] * 40 + [5] * 160,
            "segment": ["New Customers"] * 40 + ["Champions"] * 160,
        }
    )
    return profile_segments(table, "segment", definitions=False)


MAP = {
    "New Customers": "Bought recently, for the first time or two.",
    "Champions": "Bought recently, buy often and spend the most.",
}


def test_new_customers_who_joined_long_ago_are_said_not_new() -> None:
    # CDNOW as of 1997-12-31, a cohort that all joined in early 1997: "New Customers ...
    # customer for 9 months".
    [note] = misread(_profiles(270.0), {})
    assert note.startswith("New Customers: its typical customer first bought 9 months ago;")
    assert "read the card, not the name" in note
    assert misread(_profiles(120.0), {}) == []  # four months: the sample retailer's, not said


def test_segments_described_as_recent_whose_customers_are_not_are_said() -> None:
    # CDNOW as of 1997-12-31: "Potential Loyalists: Recent customers with a few purchases"
    # beside "last bought 6 months ago".
    notes = misread(_profiles(60.0, recency=194.0), MAP)
    assert sorted(n.split(":")[0] for n in notes) == ["Champions", "New Customers"]
    assert all("as recent, but the typical one last bought 6 months ago" in n for n in notes)
    assert misread(_profiles(60.0, recency=120.0), MAP) == []  # the sample retailer's 4 months
    # One note a segment: the older claim (new) first; "not always the most recent" claims none.
    both = misread(_profiles(270.0, recency=194.0), MAP)
    [new] = [n for n in both if n.startswith("New Customers:")]
    assert new.startswith("New Customers: its typical customer first bought")
    loyal = {"Champions": "Buy regularly and spend well; not always the most recent."}
    assert misread(_profiles(60.0, recency=194.0), loyal) == []
