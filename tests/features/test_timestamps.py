"""Text timestamps handed to the feature functions directly: parsed as the readers parse."""

from __future__ import annotations

from datetime import date

import narwhals.stable.v2 as nw
import polars as pl
import pytest

from segwise.features._timestamps import ensure_datetime
from segwise.io.timestamps import AmbiguousDatesWarning


def _days(values: list[str]) -> list[date]:
    frame, name = ensure_datetime(nw.from_native(pl.LazyFrame({"t": values})), "t")
    return frame.collect()[name].dt.date().to_list()


def test_later_values_settle_a_sample_that_reads_both_ways() -> None:
    # 2,000 values from 1 to 6 December, then the 13th: month-first, as the 13th says.
    early = [f"12/{1 + i // 400}/2024" for i in range(2_400)]
    days = _days([*early, "12/13/2024"])
    assert days[0] == date(2024, 12, 1) and days[-1] == date(2024, 12, 13)
    assert days[-2] == date(2024, 12, 6)


def test_a_column_that_cannot_tell_is_read_day_first_and_said() -> None:
    with pytest.warns(AmbiguousDatesWarning, match=r"column 't': every date reads both") as seen:
        days = _days(["03/04/2024", "05/06/2024"])
    assert days == [date(2024, 4, 3), date(2024, 6, 5)]
    assert seen[0].message.other == "%m/%d/%Y"
