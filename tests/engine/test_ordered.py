"""Ordered aggregations: every engine gives a key's value at its smallest order."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.ordered import periods_per_key

if TYPE_CHECKING:
    from collections.abc import Callable

DAYS = pl.DataFrame(
    {
        "customer": ["a", "a", "a", "b", "c", "c"],
        "day": [date(2024, 3, 1), date(2024, 1, 5), date(2024, 2, 1), date(2024, 1, 1),
                date(2024, 5, 2), date(2024, 5, 1)],
        "value": [1.0, 20.0, 300.0, 7.0, -4.0, 50.0],
    }
)  # fmt: skip


def test_first_value_and_totals_on_every_engine(to_engine: Callable[[pl.DataFrame], Any]) -> None:
    frame = nw.from_native(to_engine(DAYS))
    out = periods_per_key(frame, "customer", "day", "value").collect("polars").to_native()
    out = out.sort("customer")
    assert out.rows() == [
        ("a", 3, date(2024, 1, 5), date(2024, 3, 1), 321.0, 20.0),
        ("b", 1, date(2024, 1, 1), date(2024, 1, 1), 7.0, 7.0),
        ("c", 2, date(2024, 5, 1), date(2024, 5, 2), 46.0, 50.0),
    ]
    counts = periods_per_key(frame, "customer", "day").collect("polars").to_native()
    counts = counts.sort("customer")
    assert counts.columns == ["customer", "__sw_rows", "__sw_first", "__sw_last"]
    assert counts["__sw_rows"].to_list() == [3, 1, 2]
