"""method: rfm: a segment the score map calls new is new, or the run says it is not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from segwise.profiling import profile_segments
from segwise.project.methods.rfm import not_new

if TYPE_CHECKING:
    from segwise.profiling.profiles import SegmentProfiles


def _profiles(new_tenure: float) -> SegmentProfiles:
    table = pl.DataFrame(
        {
            "tenure_days": [new_tenure] * 40 + [400.0] * 160,
            "orders": [1] * 40 + [5] * 160,
            "segment": ["New Customers"] * 40 + ["Champions"] * 160,
        }
    )
    return profile_segments(table, "segment", definitions=False)


def test_new_customers_who_joined_long_ago_are_said_not_new() -> None:
    # CDNOW as of 1997-12-31, a cohort that all joined in early 1997: "New Customers ...
    # customer for 9 months".
    [note] = not_new(_profiles(270.0))
    assert note.startswith("New Customers: its typical customer first bought 9 months ago;")
    assert "read the card, not the name" in note
    assert not_new(_profiles(120.0)) == []  # four months: the sample retailer's, not said
