"""Checks on a source as opened: the id's type, reserved names, text columns it lacks."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

import segwise as sw
from segwise.exceptions import DataError


@pytest.mark.parametrize(
    ("ids", "shown"),
    [
        (pl.Series([["a"], ["b"]]), "List(String)"),
        (pl.Series([date(2024, 1, 1), date(2024, 1, 2)]), "Date"),
    ],
)
def test_an_id_column_of_lists_or_dates_is_refused(ids: pl.Series, shown: str) -> None:
    orders = pl.DataFrame({"customer_id": ids}).with_columns(
        date=pl.lit("2024-01-05"), amount=pl.lit(3.0)
    )
    with pytest.raises(DataError, match=rf"the customer id column has type {re.escape(shown)};"):
        sw.read_transactions(orders)


def test_reserved_names_and_missing_text_columns_are_named() -> None:
    orders = pl.DataFrame({"customer_id": ["1"], "date": ["2024-01-05"], "amount": [2.0]})
    with pytest.raises(DataError, match="column '__sw_x' uses the prefix __sw_"):
        sw.read_transactions(orders.with_columns(__sw_x=pl.lit(1)))
    with pytest.raises(DataError, match="text column 'sku' is not in the data"):
        sw.read_transactions(orders, text_columns=["sku"])
